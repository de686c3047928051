"""Speaker adaptation (MLLR) for pocketsphinx: the model files are read right, a known
shift of the features is recovered, pocketsphinx accepts the transforms written, and a
reading with adaptation on is recognized and leaves no features of the voice behind."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from sidekick.audio.resample import float_to_pcm, resample
from sidekick.listening import adapt
from sidekick.listening.base import Stretch
from sidekick.listening.models import page_words
from sidekick.listening.sphinx_engine import SphinxListener
from sidekick.listening.sphinx_page import model_dir
from tests.helpers.listening import matched

TEXT = "Pip the puppy found a red ball under the big green bush. He rolled it to his friend."
HMM = model_dir() / "en-us"


@pytest.fixture(scope="module")
def reading(tmp_path_factory: pytest.TempPathFactory, speak_to_wav) -> bytes:
    wav = speak_to_wav(TEXT, tmp_path_factory.mktemp("adapt") / "joe.wav", varied=False)
    audio, rate = sf.read(wav, dtype="float32")
    return float_to_pcm(resample(audio, rate, 16_000))


def test_the_model_is_read() -> None:
    model = adapt.acoustic_model(HMM)
    assert model.means.shape == (42, 3, 128, 13)  # one codebook per base phone and stream
    assert model.variances.shape == model.means.shape and model.variances.min() > 0
    assert {"SIL", "AA", "ZH", "+NSN+"} <= set(model.phones)
    assert np.isfinite(model.means).all() and np.abs(model.means).max() < 1000


def test_streams_are_cepstra_deltas_and_double_deltas() -> None:
    slope = np.linspace(-1, 1, 13)
    cepstra = np.arange(50)[:, None] * slope[None] + 7.0  # a steady ramp
    c, delta, double = adapt.streams(cepstra)
    assert np.allclose(c.mean(axis=0), 0)
    assert np.allclose(delta[5:-5], 4 * slope)  # (t+2) - (t-2)
    assert np.allclose(double[5:-5], 0)


def test_a_shift_of_the_features_is_recovered() -> None:
    """Frames drawn from three codebooks' Gaussians, the cepstra moved by a bias: the
    estimated transform is that bias (A stays the identity)."""
    model = adapt.acoustic_model(HMM)
    rng = np.random.default_rng(0)
    bias = np.linspace(-6, 6, 13)  # the variances are 10-160: a shift of up to 0.7 sd
    codebooks, frames = [], [[], [], []]
    for phone in ("AA", "S", "M"):
        cb = model.phones[phone]
        picks = rng.integers(0, 128, 1500)
        for s in range(3):
            mean, var = model.means[cb, s, picks], model.variances[cb, s, picks]
            frames[s].append(mean + rng.standard_normal(mean.shape) * np.sqrt(var))
        codebooks.append(np.full(1500, cb))
    features = [np.concatenate(f) for f in frames]
    features[0] = features[0] + bias
    rows = adapt.estimate(model, np.concatenate(codebooks), features)
    assert np.abs(rows[0][:, 0] - bias).max() < 1.0, rows[0][:, 0]
    for stream in rows:
        assert np.abs(stream[:, 1:] - np.eye(13)).max() < 0.15


def test_pocketsphinx_accepts_the_transform(tmp_path, reading) -> None:
    """The identity, written as a transform, decodes exactly as no transform does."""
    import pocketsphinx

    path = tmp_path / "identity.mllr"
    path.write_text(adapt.transform_text([np.hstack([np.zeros((13, 1)), np.eye(13)])] * 3))
    heard = []
    for extra in ({}, {"mllr": str(path)}):
        decoder = pocketsphinx.Decoder(hmm=str(HMM), loglevel="FATAL", **extra)
        decoder.start_utt()
        decoder.process_raw(reading, False, True)
        decoder.end_utt()
        heard.append(decoder.hyp().hypstr)
    assert heard[0] == heard[1] and len(heard[0].split()) > 5


def test_a_reading_adapts_the_listener(reading) -> None:
    listener = SphinxListener()

    def read_page() -> list[str]:
        listener.start(TEXT.split())
        for i in range(0, len(reading), 3200):
            listener.accept(reading[i : i + 3200])
        return [w.word for w in listener.finish().words]

    try:
        heard = read_page()
        assert listener._adapted and listener._transform.read().startswith(b"1\n3\n")
        assert matched(page_words(TEXT.split()), heard) >= 0.9, heard
        # Features and transform were never on a file system (memfd), and nothing is kept.
        assert listener._transform.in_memory and listener._features is not None
        log = listener._features
        assert log._next >= 1 and log.caught == log._next  # every log went to memory
        assert not any(listener._features.folder.iterdir())
        listener.second_look(
            Stretch(reading[:48_000], "ball", "big")
        )  # the checker takes the transform
        assert listener._checker.config["mllr"] == listener._transform.path

        # The same reader's next page is decoded with that transform from its start, then
        # adapted to again.
        listener.start(TEXT.split())
        assert listener._adapted and listener._decoder.config["mllr"] == listener._transform.path
        listener.finish()
        heard = read_page()
        assert listener._adapted and matched(page_words(TEXT.split()), heard) >= 0.9, heard

        listener.new_reader()  # someone else: their first page starts unadapted
        listener.start(TEXT.split())
        assert not listener._adapted and listener._decoder.config["mllr"] is None
    finally:
        listener.close()


def test_without_in_memory_files_the_same_words_and_nothing_kept(
    reading, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where there is no memfd (not Linux), the page files and features go to the private
    folder instead: the reading is recognized the same, and no feature file is kept."""

    def read_page() -> tuple[list[tuple[str, float | None]], int, list]:
        listener = SphinxListener()
        try:
            listener.start(TEXT.split())
            listener.accept(reading)
            words = [(w.word, w.start) for w in listener.finish().words]
            assert listener._adapted
            log = listener._features
            return words, log.caught, list(log.folder.iterdir())
        finally:
            listener.close()

    in_memory = read_page()
    monkeypatch.delattr("os.memfd_create")
    on_files = read_page()
    assert on_files[0] == in_memory[0]
    assert in_memory[1] >= 1 and on_files[1] == 0  # caught in memory / read from a file
    assert in_memory[2] == on_files[2] == []
