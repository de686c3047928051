"""Pitch and loudness manipulation (PSOLA with Praat through parselmouth) and measurements.

PSOLA resynthesis changes pitch while keeping every sample where it was, so teacher
durations stay exact after :func:`reshape_pitch`. The measurements (pitch range, pauses) are
used by both the corpus statistics and the curation report.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

PITCH_FLOOR, PITCH_CEILING = 60.0, 300.0  # analysis of the (male) teacher voice: no doubling
MEASURE_FLOOR, MEASURE_CEILING = 50.0, 500.0  # measurement: room for widened pitch
MIN_HZ, MAX_HZ = 50.0, 600.0  # bounds after manipulation
BASE_PERCENTILE = 10  # the range is widened upwards from this percentile (the "floor")


def _sound(audio: np.ndarray, sr: int):  # -> parselmouth.Sound
    import parselmouth

    return parselmouth.Sound(np.asarray(audio, dtype=np.float64), sampling_frequency=sr)


def semitones(hz: np.ndarray) -> np.ndarray:
    return 12.0 * np.log2(np.asarray(hz, dtype=np.float64) / 100.0)


def reshape_pitch(
    audio: np.ndarray,
    sr: int,
    range_factor: float,
    accents: Sequence[tuple[float, float, float]] = (),
) -> np.ndarray:
    """Widen the pitch range by ``range_factor`` and add pitch accents ``(start_s, end_s,
    semitones)``; same length as the input (PSOLA).

    Widening is in semitones from the speaker's low pitch (10th percentile), so excursions
    grow upwards as in lively speech, instead of pushing low notes into creak."""
    from parselmouth.praat import call

    snd = _sound(audio, sr)
    manip = call(snd, "To Manipulation", 0.01, PITCH_FLOOR, PITCH_CEILING)
    tier = call(manip, "Extract pitch tier")
    n = int(call(tier, "Get number of points"))
    if n < 2:
        return np.asarray(audio, dtype=np.float32)
    times = np.array([call(tier, "Get time from index", i + 1) for i in range(n)])
    hz = np.array([call(tier, "Get value at index", i + 1) for i in range(n)])
    st = semitones(hz)
    base = float(np.percentile(st, BASE_PERCENTILE))
    new = base + range_factor * (st - base)
    for start, end, amount in accents:
        new += amount * _bump(times, start, end)
    new_hz = np.clip(100.0 * 2.0 ** (new / 12.0), MIN_HZ, MAX_HZ)
    out_tier = call("Create PitchTier", "shaped", snd.xmin, snd.xmax)
    for t, f in zip(times, new_hz, strict=True):
        call(out_tier, "Add point", float(t), float(f))
    call([out_tier, manip], "Replace pitch tier")
    result = call(manip, "Get resynthesis (overlap-add)")
    out = np.asarray(result.values[0], dtype=np.float32)
    return _fit_length(out, len(audio))


def _bump(times: np.ndarray, start: float, end: float, ramp: float = 0.04) -> np.ndarray:
    """1 inside [start, end], raised-cosine ramps of ``ramp`` seconds outside, 0 elsewhere."""
    w = np.zeros_like(times)
    w[(times >= start) & (times <= end)] = 1.0
    for edge, sign in ((start, -1), (end, 1)):
        d = (times - edge) * sign
        m = (d > 0) & (d < ramp)
        w[m] = np.maximum(w[m], 0.5 * (1 + np.cos(np.pi * d[m] / ramp)))
    return w


def _fit_length(audio: np.ndarray, n: int) -> np.ndarray:
    if len(audio) >= n:
        return audio[:n]
    return np.pad(audio, (0, n - len(audio)))


def apply_gain(
    audio: np.ndarray, sr: int, regions: Sequence[tuple[float, float, float]], ramp: float = 0.03
) -> np.ndarray:
    """Loudness changes ``(start_s, end_s, dB)`` with smooth ramps; peaks kept below 0.97."""
    if not regions:
        return audio
    t = np.arange(len(audio)) / sr
    db = np.zeros(len(audio))
    for start, end, gain in regions:
        db += gain * _bump(t, start, end, ramp)
    out = audio * (10.0 ** (db / 20.0))
    peak = float(np.max(np.abs(out))) if len(out) else 0.0
    if peak > 0.97:
        out *= 0.97 / peak
    return out.astype(np.float32)


def pitch_track(audio: np.ndarray, sr: int, min_strength: float = 0.0) -> np.ndarray:
    """F0 (Hz, 0 where unvoiced) every 10 ms; a high octave-jump cost avoids doubling.
    Frames whose periodicity (Praat's autocorrelation strength) is below ``min_strength``
    count as unvoiced."""
    snd = _sound(audio, sr)
    pitch = snd.to_pitch_ac(
        time_step=0.01,
        pitch_floor=MEASURE_FLOOR,
        pitch_ceiling=MEASURE_CEILING,
        octave_jump_cost=0.7,
        voicing_threshold=0.5,
    ).selected_array
    f0 = np.asarray(pitch["frequency"])
    return np.where(np.asarray(pitch["strength"]) >= min_strength, f0, 0.0) if min_strength else f0


def pitch_range_st(audio: np.ndarray, sr: int) -> float:
    """Pitch range in semitones: 90th minus 10th percentile of voiced F0 (0 if unvoiced)."""
    f0 = pitch_track(audio, sr)
    f0 = f0[f0 > 0]
    if len(f0) < 5:
        return 0.0
    st = semitones(f0)
    return float(np.percentile(st, 90) - np.percentile(st, 10))


def frame_db(audio: np.ndarray, sr: int, hop_s: float = 0.01, win_s: float = 0.025) -> np.ndarray:
    """RMS level in dB per frame."""
    hop, win = int(sr * hop_s), int(sr * win_s)
    if len(audio) < win:
        return np.array([-120.0])
    frames = np.lib.stride_tricks.sliding_window_view(audio, win)[::hop]
    rms = np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1) + 1e-12)
    return 20 * np.log10(rms)


def inner_pauses(
    audio: np.ndarray, sr: int, below_db: float = 40.0, min_pause_s: float = 0.06
) -> list[tuple[float, float]]:
    """Silent stretches between the first and the last speech, by energy alone.

    A frame is silent when it is more than ``below_db`` under the utterance's loudest
    frame (so cutting silence never moves the threshold).
    Independent of any recognizer, so it can check what curation did.
    """
    hop_s = 0.01
    db = frame_db(audio, sr, hop_s)
    speech = db > max(float(db.max()) - below_db, -70.0)
    idx = np.flatnonzero(speech)
    if len(idx) == 0:
        return []
    pauses: list[tuple[float, float]] = []
    start = None
    for i in range(idx[0], idx[-1] + 1):
        if not speech[i] and start is None:
            start = i
        elif speech[i] and start is not None:
            if (i - start) * hop_s >= min_pause_s:
                pauses.append((start * hop_s, i * hop_s))
            start = None
    return pauses


def longest_inner_pause(audio: np.ndarray, sr: int) -> float:
    pauses = inner_pauses(audio, sr)
    return max((e - s for s, e in pauses), default=0.0)


def pitch_stats(audio: np.ndarray, sr: int, min_strength: float = 0.0) -> dict[str, float]:
    """Pitch statistics in semitones re 100 Hz: level (median), top (75th percentile),
    spread (interquartile range) — robust to the odd octave error — and range (10th to
    90th percentile, for reports); zeros when (almost) nothing is voiced. ``min_strength``
    as in :func:`pitch_track`."""
    f0 = pitch_track(audio, sr, min_strength)
    voiced = f0[f0 > 0]
    if len(voiced) < 5:
        return {"level_st": 0.0, "top_st": 0.0, "spread_st": 0.0, "range_st": 0.0, "voiced": 0.0}
    st = semitones(voiced)
    p10, p25, p50, p75, p90 = np.percentile(st, [10, 25, 50, 75, 90])
    return {
        "level_st": round(float(p50), 3),
        "top_st": round(float(p75), 3),
        "spread_st": round(float(p75 - p25), 3),
        "range_st": round(float(p90 - p10), 3),
        "voiced": round(len(voiced) / len(f0), 3),
    }
