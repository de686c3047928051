"""The streaming denoiser in front of pocketsphinx, on real speech from the standard voice."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from sidekick.audio import resample
from sidekick.audio.denoise import Denoiser, denoise

RATE = 16_000


@pytest.fixture(scope="module")
def speech(speak_to_wav, tmp_path_factory) -> np.ndarray:
    """Two sentences of real speech (16 kHz int16) with a quiet lead-in and a pause."""
    path = Path(tmp_path_factory.mktemp("denoise")) / "speech.wav"
    speak_to_wav("The little boat sailed across the lake. A duck swam beside it.", path)
    audio, rate = sf.read(path, dtype="float32")
    audio = np.round(resample(audio, rate, RATE) * 32767).astype(np.int16)
    pad = np.zeros(RATE // 2, dtype=np.int16)
    return np.concatenate([pad, audio, pad])


def _noise(n: int, dbfs: float, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(n) * 10 ** (dbfs / 20) * 32768


def _stream(d: Denoiser, pcm: bytes, chunk: int) -> bytes:
    out = [d.process(pcm[i : i + chunk]) for i in range(0, len(pcm), chunk)]
    return b"".join(out) + d.flush()


def test_clean_speech_goes_through_unchanged(speech: np.ndarray) -> None:
    pcm = speech.tobytes()
    for chunk in (2, 3200, 12_346):
        assert _stream(Denoiser(), pcm, chunk) == pcm


def test_a_single_word_without_lead_in_is_not_noise(speak_to_wav, tmp_path: Path) -> None:
    """A practice attempt: one word, speech almost from the first sample, then digital
    silence. A slowly smoothed level once took the fading word for a noise floor, and the
    second look then waved the misreading "string" for "strong" through."""
    path = speak_to_wav("string", tmp_path / "word.wav", pause_s=0.3, varied=False)
    audio, rate = sf.read(path, dtype="float32")
    pcm = np.round(resample(audio, rate, RATE) * 32767).astype(np.int16).tobytes()
    d = Denoiser()
    _stream(d, pcm, 3200)
    assert not d.noisy and d.level < 1e-9


def test_output_is_aligned_and_the_same_in_any_chunking(speech: np.ndarray) -> None:
    noisy = np.clip(speech + _noise(len(speech), -35), -32768, 32767).astype("<i2")
    whole = denoise(noisy.tobytes())
    assert len(whole) == len(noisy.tobytes())
    for chunk in (2, 1000, 3200):
        assert _stream(Denoiser(), noisy.tobytes(), chunk) == whole
    # Aligned: the cleaned speech lines up with the clean speech sample for sample.
    cleaned = np.frombuffer(whole, dtype="<i2").astype(float)
    lags = range(-40, 41, 4)
    corr = [np.dot(np.roll(cleaned, lag), speech.astype(float)) for lag in lags]
    assert list(lags)[int(np.argmax(corr))] == 0


def test_noise_is_reduced_and_speech_kept(speech: np.ndarray) -> None:
    noise = _noise(len(speech), -35, seed=1)
    noisy = np.clip(speech + noise, -32768, 32767).astype("<i2")
    cleaned = np.frombuffer(denoise(noisy.tobytes()), dtype="<i2").astype(float)
    s = speech.astype(float)

    def snr(x: np.ndarray) -> float:
        return 10 * np.log10(np.sum(s**2) / np.sum((x - s) ** 2))

    assert snr(cleaned) > snr(noisy.astype(float)) + 3  # at least 3 dB better
    tail = slice(len(speech) - RATE // 2, None)  # noise only, after the speech: 10 dB less
    assert np.std(cleaned[tail]) < np.std(noisy[tail].astype(float)) / 10 ** (10 / 20)
    d = Denoiser()
    d.process(noisy.tobytes())
    assert d.noisy
    # The padding that ends the stream is not the recording: it stays noisy, its noise
    # estimate unchanged (the second looks denoise with it).
    noise = d.noise.copy()
    d.flush()
    assert d.noisy and np.array_equal(d.noise, noise)


def test_frozen_copy_keeps_the_noise_estimate(speech: np.ndarray) -> None:
    noisy = np.clip(speech + _noise(len(speech), -35, seed=2), -32768, 32767).astype("<i2")
    d = Denoiser()
    d.process(noisy.tobytes())
    part = slice(RATE, RATE + RATE // 2)  # half a second of speech in the middle
    stretch = noisy[part].tobytes()
    fresh = np.frombuffer(denoise(stretch), dtype="<i2").astype(float)
    known = np.frombuffer(denoise(stretch, d.frozen()), dtype="<i2").astype(float)
    assert len(known) == len(stretch) // 2
    # A fresh denoiser takes the first speech it hears for noise; the frozen one knows it.
    s = speech[part].astype(float)
    assert np.sum((known - s) ** 2) < np.sum((fresh - s) ** 2)
    clean = Denoiser()
    clean.process(speech.tobytes())
    assert not clean.noisy
    # A stretch of a clean recording is left as it is, as the whole recording was.
    assert denoise(speech[part].tobytes(), clean.frozen()) == speech[part].tobytes()
