"""Where a reading starts, and where it stalls, from the audio itself.

The recognizer places a word's start at the end of whatever it took for silence; in noise it
often stretches the first word back over the lead-in (up to 0.9 s on noisy child-like
development clips), which lengthens the reading time and lowers WCPM by 10-20%. The sound
level finds the real onset: the first moment inside the word where the level stays well
above the recording's background (measured between the words) and within reach of the
word's own peak.

In babble the recognizer may even hear the first words of the page in the noise before the
reading (and the words themselves as others), or stretch the last word over the noise after
it: the reading then seems up to a second longer. :func:`reading_onset` and
:func:`reading_offset` find where the reader's voice begins and ends.

In noise the recognizer also takes noise for words: in a long silence where the reader
stalled on a word, babble heard as that very word (or as an attempt at it) would break the
silence into short ones. The level tells a silence from speech: :func:`quiet_spans`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sidekick.audio.base import SAMPLE_RATE

HOP_S = 0.01  # level frames every 10 ms
WINDOW_S = 0.025  # each 25 ms long
ABOVE_NOISE_DB = 8.0  # the onset is this far above the background...
BELOW_PEAK_DB = 25.0  # ...and no further than this below the word's loudest frame
FAINT_DB = 15.0  # a first "word" this far below the reading's typical peak is noise
NEAR_TYPICAL_DB = 12.0  # and the reading starts where the level comes this near that peak
SUSTAIN = 3  # frames in a row (30 ms), so a click is not an onset
#: The reading starts where the level first comes this near the reading's typical word
#: peak. Chosen on the noisy child-like development clips (error of the reading's start,
#: 5th / 95th percentile: 6 dB -0.01 / +0.15 s, 9 dB -0.02 / +0.09 s, 12 dB -0.55 / +0.07 s,
#: where babble already comes that near).
ONSET_NEAR_DB = 9.0
#: The reading ends ``TAIL_S`` after the level last comes this near the typical peak: a
#: word's soft ending fades under the threshold before it ends (noisy development clips,
#: the level's end against the reading's: median 12 dB -0.09 s, 9 dB -0.14 s).
OFFSET_NEAR_DB = 12.0
TAIL_S = 0.15


def levels_db(pcm: bytes, rate: int = SAMPLE_RATE) -> np.ndarray:
    """Level (dBFS) of 16-bit mono ``pcm`` in 25 ms frames every 10 ms."""
    x = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype="<i2").astype(np.float64) / 32768
    hop, win = int(HOP_S * rate), int(WINDOW_S * rate)
    n = (len(x) - win) // hop + 1
    if n <= 0:
        return np.zeros(0)
    energy = np.concatenate([[0.0], np.cumsum(x**2)])
    starts = hop * np.arange(n)
    power = np.maximum(energy[starts + win] - energy[starts], 0.0) / win
    return 10 * np.log10(power + 1e-12)


def _background(db: np.ndarray, words: Sequence[tuple[float, float]]) -> float:
    """The recording's background level: the median between the words heard."""
    outside = np.ones(len(db), dtype=bool)
    for s, e in words:
        outside[max(0, int(s / HOP_S)) : int(e / HOP_S) + 1] = False
    if outside.sum() >= 20:
        return float(np.median(db[outside]))
    return float(np.percentile(db, 10))


def _runs(level: np.ndarray, threshold: float) -> np.ndarray:
    """Where ``level`` starts ``SUSTAIN`` frames in a row above ``threshold``."""
    above = (level > threshold).astype(int)
    return np.convolve(above, np.ones(SUSTAIN, dtype=int), "valid") >= SUSTAIN


def _typical_peak(db: np.ndarray, words: Sequence[tuple[float, float]]) -> float | None:
    """The reading's typical word peak: the median of the words' loudest frames."""
    peaks = [float(db[int(s / HOP_S) : int(e / HOP_S) + 1].max())
             for s, e in words if int(s / HOP_S) < min(len(db), int(e / HOP_S) + 1)]  # fmt: skip
    return float(np.median(peaks)) if peaks else None


def quiet_spans(
    pcm: bytes, words: Sequence[tuple[float, float]], min_s: float, rate: int = SAMPLE_RATE
) -> list[tuple[float, float]]:
    """The stretches (s) longer than ``min_s`` where the level never comes within
    ``NEAR_TYPICAL_DB`` of the reading's typical word peak (``words``: the (start, end) of
    the words heard): silences, or noise, but no reading. The lead-in is not one."""
    db = levels_db(pcm, rate)
    typical = _typical_peak(db, words)
    if typical is None:
        return []
    loud = np.flatnonzero(db >= typical - NEAR_TYPICAL_DB)
    if not len(loud):
        return []
    edges = np.concatenate([loud, [len(db)]])
    return [
        ((a + 1) * HOP_S, b * HOP_S)
        for a, b in zip(edges[:-1], edges[1:], strict=True)
        if (b - a - 1) * HOP_S > min_s
    ]


def _near_peak(
    pcm: bytes, words: Sequence[tuple[float, float]], near_db: float, rate: int
) -> np.ndarray:
    """Frame indices where the level stays within ``near_db`` of the reading's typical word
    peak (``words``: the (start, end) of the words heard) for :data:`SUSTAIN` frames."""
    db = levels_db(pcm, rate)
    typical = _typical_peak(db, words)
    if typical is None:
        return np.zeros(0, dtype=int)
    return np.flatnonzero(_runs(db, typical - near_db))


def sustained_near_peak(
    pcm: bytes,
    words: Sequence[tuple[float, float]],
    start: float,
    end: float,
    near_db: float,
    rate: int = SAMPLE_RATE,
) -> bool:
    """Whether the level comes within ``near_db`` of the reading's typical word peak for
    :data:`SUSTAIN` frames between ``start`` and ``end`` (s): speech as loud as the
    reading's, not fainter noise."""
    frames = _near_peak(pcm, words, near_db, rate)
    return bool(((frames >= int(start / HOP_S)) & (frames < int(end / HOP_S))).any())


def reading_onset(
    pcm: bytes, words: Sequence[tuple[float, float]], rate: int = SAMPLE_RATE
) -> float | None:
    """Where (s) the reader's voice begins: the level first comes within
    :data:`ONSET_NEAR_DB` of the reading's typical word peak; None if it never does."""
    frames = _near_peak(pcm, words, ONSET_NEAR_DB, rate)
    return float(frames[0]) * HOP_S if len(frames) else None


def reading_offset(
    pcm: bytes, words: Sequence[tuple[float, float]], rate: int = SAMPLE_RATE
) -> float | None:
    """Where (s) the reading ends: :data:`TAIL_S` after the level was last within
    :data:`OFFSET_NEAR_DB` of the reading's typical word peak; None if it never was."""
    frames = _near_peak(pcm, words, OFFSET_NEAR_DB, rate)
    return float(frames[-1] + SUSTAIN) * HOP_S + WINDOW_S + TAIL_S if len(frames) else None


def speech_onset(
    pcm: bytes,
    start: float,
    end: float,
    words: Sequence[tuple[float, float]],
    rate: int = SAMPLE_RATE,
) -> float:
    """The start (s) of the word heard at ``start``-``end``, moved later to where its sound
    begins; ``words``: the (start, end) of every word heard, so the background is measured
    outside them. Never earlier than ``start``; ``start`` itself when the level says nothing
    clear (too little audio, no sustained rise)."""
    db = levels_db(pcm, rate)
    a, b = int(start / HOP_S), min(len(db), int(end / HOP_S) + 1)
    if b - a < SUSTAIN:
        return start
    noise = _background(db, words)
    level = db[a:b]
    typical = _typical_peak(db, words)
    typical = float(level.max()) if typical is None else typical
    threshold = max(noise + ABOVE_NOISE_DB, float(level.max()) - BELOW_PEAK_DB)
    if float(level.max()) < typical - FAINT_DB:
        # Far fainter than the words read: noise taken for the word. The reading starts
        # where speech as loud as the rest of it does, before the next word heard.
        later = [s for s, _ in words if s > start]
        if later:
            b = min(len(db), int(min(later) / HOP_S) + 1)
            level = db[a:b]
            threshold = max(noise + ABOVE_NOISE_DB, typical - NEAR_TYPICAL_DB)
    runs = _runs(level, threshold)
    if not runs.any():
        return start
    return max(start, (a + int(np.argmax(runs))) * HOP_S)


def signal_to_noise_db(
    pcm: bytes, words: Sequence[tuple[float, float]], rate: int = SAMPLE_RATE
) -> float | None:
    """The reading's signal-to-noise ratio (dB): its typical word peak over the background
    between the words (``words``: the (start, end) of the words heard); None without
    words."""
    db = levels_db(pcm, rate)
    typical = _typical_peak(db, words) if len(db) else None
    return None if typical is None else typical - _background(db, words)
