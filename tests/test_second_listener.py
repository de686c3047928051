"""The second listener: Whisper tiny.en forced on the page text, on real speech (the
standard voice, espeak-ng's British English voice) and the real pocketsphinx check."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from sidekick.errors import ModelError
from sidekick.listening.second_listener import (
    MODEL_SHA256,
    SecondListener,
    Spoken,
    _assign,
    _window_starts,
    log_mel,
    model_dir,
    shared,
)


def _pcm(wav: Path) -> bytes:
    from sidekick.audio.sources import WavFileSource

    return b"".join(WavFileSource(wav, realtime=False).chunks())


def test_features_are_whispers_own() -> None:
    from faster_whisper.feature_extractor import FeatureExtractor

    rng = np.random.default_rng(3)
    t = np.arange(16000 * 4) / 16000
    audio = (0.3 * np.sin(2 * np.pi * 220 * t) + 0.05 * rng.standard_normal(t.size)).astype(
        np.float32
    )
    theirs = FeatureExtractor()(audio, padding=0)
    frames = len(audio) // 160 - 1
    np.testing.assert_allclose(log_mel(audio)[:, :frames], theirs[:, :frames], atol=1e-4)


def test_a_model_file_with_another_checksum_is_refused(tmp_path: Path) -> None:
    for name in MODEL_SHA256:
        (tmp_path / name).symlink_to(model_dir() / name)
    (tmp_path / "model.bin").unlink()
    (tmp_path / "model.bin").write_bytes(b"not the weights")
    with pytest.raises(ModelError, match="checksum"):
        SecondListener(tmp_path)


def test_a_long_page_is_cut_into_30_s_windows_between_words() -> None:
    words = [Spoken(f"w{i}", 0.5 + 0.9 * i) for i in range(80)]  # 72 s of reading
    words[10] = Spoken("skipped", None)
    starts = _window_starts([w.at for w in words], 73.0)
    windows = _assign(words, starts)
    assert len(windows) == 3
    assert [i for idx in windows for i in idx] == list(range(80))
    for start, idx in zip(starts, windows, strict=True):
        timed = [words[i].at for i in idx if words[i].at is not None]
        assert start <= min(timed) and max(timed) + 0.9 <= start + 30
    assert _window_starts([w.at for w in words], 29.0) == [0.0]


@pytest.mark.slow
def test_the_page_read_as_written_scores_high_and_a_changed_word_low(
    speak_to_wav, tmp_path: Path
) -> None:
    text = "The little dog ran to the house and sat down by the red door."
    words = [Spoken(w.strip(".")) for w in text.split()]
    (read,) = shared().word_logprobs(_pcm(speak_to_wav(text, tmp_path / "read.wav")), words)
    assert min(read) > -1.0, read
    misread = text.replace("house", "horse")
    (changed,) = shared().word_logprobs(_pcm(speak_to_wav(misread, tmp_path / "mis.wav")), words)
    house = [w.word for w in words].index("house")
    assert changed[house] < -5.0, changed
    others = [s for k, s in enumerate(changed) if k not in (house, house + 1)]
    assert min(others) > -1.0, changed


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")
def test_the_check_clears_a_substitution_heard_in_an_accent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """espeak-ng's Caribbean English (en-029) says "red", "big", "blue" with its own vowels:
    pocketsphinx alone hears other words; Whisper, forced to the page, hears them as written."""
    from sidekick.reading.assessor import Assessor

    text = "Sam has a new hat. The hat is red. It has a big blue dot on top."
    wav = tmp_path / "en-029.wav"
    subprocess.run(["espeak-ng", "-v", "en-029", "-w", str(wav), text], check=True)
    assessor = Assessor("pocketsphinx")
    monkeypatch.setenv("SIDEKICK_SECOND_LISTENER", "0")
    alone = assessor.assess_wav(text, wav)["words"]
    monkeypatch.setenv("SIDEKICK_SECOND_LISTENER", "1")
    both = assessor.assess_wav(text, wav)["words"]
    cleared = [k for k, w in enumerate(alone) if w["status"] == "substituted"]
    assert cleared, alone
    assert all(w["second_logprob"] is None for w in alone)
    assert any(both[k]["status"] == "correct" for k in cleared), both
    assert all(w["second_logprob"] is not None for w in both)


def test_the_forced_text_has_the_extra_words_where_they_were_said() -> None:
    from sidekick.reading.assess import assess
    from sidekick.reading.result import Token
    from sidekick.reading.second_opinion import forced_text

    said = "the big very dog dog ran hum home fast Then it sat"
    times = [Token(w, i * 0.5, i * 0.5 + 0.4) for i, w in enumerate(said.split())]
    result = assess("the big dog ran home fast Then it sat".split(), times)
    spoken, owners = forced_text(result)
    assert [s.word for s in spoken] == [
        "The", "big", "very", "dog", "dog", "ran", "hum", "home", "fast", ".", "Then", "it", "sat"
    ]  # fmt: skip
    assert [result.words[k].word for k in owners if k is not None] == [w.word for w in result.words]


FORK_WHILE_LOADING = """
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from sidekick.listening import second_listener as s

def child():
    return s.shared() is not None

if __name__ == "__main__":
    s.warm_up()
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        print(pool.submit(child).result(timeout=60))
"""


def test_a_process_forked_while_it_loads_loads_its_own(tmp_path: Path) -> None:
    """The evaluation forks its workers right after the parent set up its check; a child
    must not wait for a load that only the parent's thread was doing."""
    import os
    import sys

    script = tmp_path / "fork.py"
    script.write_text(FORK_WHILE_LOADING)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         timeout=120, env=env)  # fmt: skip
    assert out.stdout.strip() == "True", out.stderr


def test_a_rival_text_takes_the_words_place_and_stops_two_words_after() -> None:
    from sidekick.reading.rivals import Rival, rival_text

    spoken = [Spoken(w, float(i)) for i, w in enumerate("The dog ran home . Then it sat".split())]
    owners = [0, 1, 2, 3, None, 4, 5, 6]
    text, cut = rival_text(spoken, owners, Rival(1, "dig"))
    assert [w.word for w in text] == ["The", "dig", "ran", "home"]
    assert cut == 4 and text[1].at == 1.0
    text, cut = rival_text(spoken, owners, Rival(3, "house"))
    assert [w.word for w in text] == ["The", "dog", "ran", "house", ".", "Then", "it"]
    text, _ = rival_text(spoken, owners, Rival(0, None))  # a sentence's next word: a capital
    assert [w.word for w in text] == ["Dog", "ran"]
    text, _ = rival_text(spoken, owners, Rival(4, "when"))
    assert [w.word for w in text][-4:] == [".", "When", "it", "sat"]


@pytest.mark.slow
def test_the_ratio_to_a_rival_reading_tells_what_was_said(speak_to_wav, tmp_path: Path) -> None:
    """Forced on the same audio, the page as written against the page with a rival in a
    word's place: the text that was said wins, by a wide margin, whichever it is; a word
    left out beats the written text only when it was left out."""
    from sidekick.reading.rivals import Rival, rival_ratios

    text = "The little dog ran to the house and sat down by the red door."
    words = [Spoken(w.strip(".")) for w in text.split()]
    owners = list(range(len(words)))
    rivals = [Rival(6, "horse"), Rival(12, "rod"), Rival(3, None)]
    listener = shared()

    def ratios(said: str) -> list[float]:
        pcm = _pcm(speak_to_wav(said, tmp_path / "said.wav"))
        encoded = listener.encode(pcm, words)
        (written,) = listener.token_logprobs(encoded, [words])
        return rival_ratios(listener, encoded, words, owners, written, rivals)

    read = ratios(text)
    assert max(read) < -3.0, read
    horse, rod, left_out = ratios(text.replace("house", "horse").replace("dog ran", "dog"))
    assert horse > 3.0 and left_out > 3.0, (horse, left_out)
    assert rod < -3.0, rod


def test_rivals_settle_an_error_only_when_the_ratio_is_clear() -> None:
    from sidekick.reading.assess import assess
    from sidekick.reading.result import Token
    from sidekick.reading.second_opinion import ERROR_ABOVE, READ_BELOW, rivals_of, weigh

    said = "the big dug ran home fast"
    times = [Token(w, i * 0.5, i * 0.5 + 0.4) for i, w in enumerate(said.split())]
    result = assess("the big dog ran to home fast".split(), times)
    wrong = {w.index: w.status for w in result.words if w.status != "correct"}
    assert wrong == {2: "substituted", 4: "omitted"}, wrong
    rivals = rivals_of(result)
    assert {r.index for r in rivals} == {2, 4}
    assert [r.word for r in rivals if r.index == 2][:2] == ["dug", None]
    assert [r.word for r in rivals if r.index == 4][0] is None
    ratios = [ERROR_ABOVE + 1 if r.index == 2 else READ_BELOW - 1 for r in rivals]
    assert weigh(result, rivals, ratios) == {2, 4}
    assert result.words[2].status == "substituted" and result.words[4].status == "correct"
    middle = [(ERROR_ABOVE + READ_BELOW) / 2] * len(rivals)
    again = assess("the big dog ran to home fast".split(), times)
    assert weigh(again, rivals, middle) == set()
    assert again.words[2].second_ratio == round(middle[0], 3)


@pytest.mark.slow
def test_the_check_keeps_a_misreading_a_rival_explains(speak_to_wav, tmp_path: Path) -> None:
    """The standard voice reads "horse" for "house": the check through pocketsphinx and the
    second listener calls it an error, and the rival readings confirm it (so doubt leaves
    it); the other words are read."""
    from sidekick.reading.assessor import Assessor
    from sidekick.reading.second_opinion import ERROR_ABOVE

    text = "The little dog ran to the house and sat down by the red door."
    wav = speak_to_wav(text.replace("house", "horse"), tmp_path / "misread.wav")
    words = Assessor("pocketsphinx").assess_wav(text, wav)["words"]
    house = next(w for w in words if w["word"] == "house")
    assert house["status"] == "substituted", words
    assert house["second_ratio"] is not None and house["second_ratio"] > ERROR_ABOVE, house
    assert all(w["status"] == "correct" for w in words if w["word"] != "house"), words
