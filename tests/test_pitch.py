"""The reader's pitch (sidekick.audio.pitch) and the recognizer's warp that follows it, on
the real standard voice and a PSOLA-raised copy of it (Praat, as in the evaluation set)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import soundfile as sf

from sidekick.audio.pitch import median_pitch
from sidekick.audio.resample import float_to_pcm, resample
from sidekick.listening.models import page_words
from sidekick.listening.sphinx_engine import SphinxListener
from sidekick.listening.sphinx_page import DECODER_OPTIONS
from sidekick.listening.sphinx_reader import WARP_BY_PITCH, warp_for_pitch
from tests.helpers.listening import matched

TEXT = "The little boat sailed across the lake. A duck swam beside it and called to the wind."


@pytest.fixture(scope="module")
def voices(tmp_path_factory: pytest.TempPathFactory, speak_to_wav) -> dict[str, np.ndarray]:
    """The standard voice at 16 kHz, and the same reading with its pitch median at 240 Hz
    and formants x1.1 (a child-like voice, above the warp ramp)."""
    import parselmouth
    from parselmouth.praat import call

    wav = speak_to_wav(TEXT, tmp_path_factory.mktemp("pitch") / "joe.wav", varied=False)
    audio, rate = sf.read(wav, dtype="float32")
    high = call(parselmouth.Sound(audio.astype(np.float64), rate), "Change gender",
                75, 600, 1.1, 240.0, 1.0, 1.0).values[0]  # fmt: skip
    return {
        "standard": resample(audio, rate, 16_000),
        "high": resample(np.asarray(high, dtype=np.float32), rate, 16_000),
    }


def test_median_pitch_of_a_real_voice_and_a_raised_copy(voices) -> None:
    low = median_pitch(voices["standard"])
    high = median_pitch(float_to_pcm(voices["high"]))  # 16-bit PCM bytes as from a microphone
    assert low is not None and 80 < low < 140, low  # the standard voice is a man's
    assert high is not None and abs(high - 240) < 15, high


def test_median_pitch_needs_voicing() -> None:
    rng = np.random.default_rng(0)
    assert median_pitch(np.zeros(16_000, dtype=np.float32)) is None
    assert median_pitch(rng.standard_normal(32_000) * 0.1) is None  # noise has no period
    assert median_pitch(np.zeros(100, dtype=np.float32)) is None  # shorter than a frame


def test_warp_ramp() -> None:
    (lowest, warp_lowest), (highest, warp_highest) = WARP_BY_PITCH[0], WARP_BY_PITCH[-1]
    assert warp_for_pitch(lowest / 2) == warp_lowest
    assert warp_for_pitch(highest * 2) == warp_highest
    for pitch, warp in WARP_BY_PITCH:
        assert warp_for_pitch(pitch) == warp
    for (low, warp_low), (high, warp_high) in itertools.pairwise(WARP_BY_PITCH):
        if warp_high - warp_low >= 0.2:
            assert warp_low < warp_for_pitch((low * high) ** 0.5) < warp_high
    pitches = np.geomspace(lowest / 2, highest * 2, 60)
    assert all(np.diff([warp_for_pitch(p) for p in pitches]) >= 0)


def _read(listener: SphinxListener, audio: np.ndarray) -> list[str]:
    listener.start(TEXT.split())
    pcm = float_to_pcm(audio)
    for i in range(0, len(pcm), 3200):
        listener.accept(pcm[i : i + 3200])
    return [w.word for w in listener.finish().words]


@pytest.mark.slow  # 4-5 s on 2 cores
def test_sphinx_warp_follows_the_reader(voices) -> None:
    """A high voice is decoded again at the high warp, which then stays for the next page;
    a low voice brings the warp back down; a silent page leaves it. Both readings are
    recognized."""
    default = float(DECODER_OPTIONS["warp_params"])
    warp_high = WARP_BY_PITCH[-1][1]
    warp_low = warp_for_pitch(median_pitch(voices["standard"]))
    assert warp_low < warp_high
    expected = page_words(TEXT.split())
    listener = SphinxListener()
    fixed = SphinxListener(adapt_warp=False)
    try:
        assert listener.warp == default
        for voice, warp in (("high", warp_high), ("high", warp_high), ("standard", warp_low)):
            heard = _read(listener, voices[voice])
            assert listener.warp == warp, voice
            assert matched(expected, heard) >= 0.85, (voice, heard)
        for silence in (bytes(16_000), b""):  # a page with no voice tells nothing of the reader
            listener.start(TEXT.split())
            listener.accept(silence)
            assert listener.finish().words == ()
            assert listener.warp == warp_low
        _read(fixed, voices["high"])
        assert fixed.warp == default
    finally:
        listener.close()
        fixed.close()


def test_a_new_readers_warp_and_model_follow_them_while_they_read(voices) -> None:
    """On a new reader's first page the warp is set from their pitch after LIVE_PITCH_S of
    audio and the model fitted to them after LIVE_ADAPT_S, before the page ends, so the
    words light up as they are read; the reader's next page changes neither while read."""
    from sidekick.listening.sphinx_engine import LIVE_ADAPT_S, LIVE_PITCH_S

    pcm = float_to_pcm(voices["high"])
    assert len(pcm) / 32_000 > LIVE_ADAPT_S + 1.0
    expected = page_words(TEXT.split())
    listener = SphinxListener()
    try:
        for page in (1, 2):
            listener.start(TEXT.split())
            warped_at = adapted_at = None
            for i in range(0, len(pcm), 3200):
                hyp = listener.accept(pcm[i : i + 3200])
                t = (i + 3200) / 32_000
                if warped_at is None and listener.warp == WARP_BY_PITCH[-1][1]:
                    warped_at = t
                if adapted_at is None and listener._adapted:
                    adapted_at = t
            if page == 1:
                assert warped_at is not None and LIVE_PITCH_S <= warped_at < LIVE_PITCH_S + 1
                assert adapted_at is not None and LIVE_ADAPT_S <= adapted_at < LIVE_ADAPT_S + 1
            else:  # known from the first page: both hold from the start
                assert warped_at == adapted_at == 0.1
            assert matched(expected, [w.word for w in hyp.words]) >= 0.85, hyp.words
            listener.finish()
    finally:
        listener.close()
