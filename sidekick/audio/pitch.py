"""How high a reader's voice is: the median pitch (F0) of a recording.

The recognizer's frequency warp is chosen from it (see :mod:`sidekick.listening.
sphinx_reader`): a higher voice usually comes from a shorter vocal tract, whose formants
sit higher. The estimate is YIN's (de Cheveigné and Kawahara, 2002) cumulative mean
normalized difference on 40 ms frames, taken only on the louder, clearly periodic frames,
in plain numpy so that the app needs no signal-processing library for it.
"""

from __future__ import annotations

import numpy as np

from sidekick.audio.base import SAMPLE_RATE
from sidekick.audio.resample import pcm_to_float

FMIN, FMAX = 70.0, 500.0  # Hz: men's low voices to children's high ones
FRAME = 640  # 40 ms
HOP = 160  # 10 ms
THRESHOLD = 0.15  # YIN: a dip under this is a period
MIN_VOICED = 20  # frames (0.2 s) of clear voicing before an estimate is given
MAX_FRAMES = 1000  # frames analysed at most (10 s of speech)


def median_pitch(audio: np.ndarray | bytes, sample_rate: int = SAMPLE_RATE) -> float | None:
    """The median F0 in Hz of the voiced frames of a mono recording (float samples or
    16-bit PCM bytes), or None when under 0.2 s of it is clearly voiced."""
    x = np.asarray(pcm_to_float(audio) if isinstance(audio, bytes) else audio, dtype=np.float64)
    min_lag, max_lag = int(sample_rate / FMAX), int(sample_rate / FMIN) + 1
    span = FRAME + max_lag
    if len(x) < span:
        return None
    starts = np.arange(0, len(x) - span + 1, HOP)
    frames = np.lib.stride_tricks.sliding_window_view(x, span)[starts]
    energy = (frames[:, :FRAME] ** 2).sum(axis=1)
    loud = energy > np.percentile(energy, 50) * 0.5  # speech, not the pauses between it
    frames = frames[loud & (energy > 0)]
    if len(frames) < MIN_VOICED:
        return None
    if len(frames) > MAX_FRAMES:  # a long page: an even sample of it is enough for a median
        frames = frames[np.linspace(0, len(frames) - 1, MAX_FRAMES).astype(int)]
    frames = frames - frames.mean(axis=1, keepdims=True)
    # d(t) = sum_j (x_j - x_{j+t})^2 over the window j < FRAME, for every lag t, via FFT.
    n = 1 << int(np.ceil(np.log2(span + FRAME)))
    spec_frame = np.fft.rfft(frames, n)
    spec_window = np.fft.rfft(frames[:, :FRAME], n)
    cross = np.fft.irfft(spec_frame * np.conj(spec_window), n)[:, : max_lag + 1]
    squares = np.concatenate([np.zeros((len(frames), 1)), np.cumsum(frames**2, axis=1)], axis=1)
    lags = np.arange(max_lag + 1)
    shifted = squares[:, lags + FRAME] - squares[:, lags]
    diff = squares[:, FRAME : FRAME + 1] + shifted - 2 * cross
    diff[:, 0] = 0.0
    cumulative = np.cumsum(diff[:, 1:], axis=1)
    cmnd = np.ones_like(diff)
    cmnd[:, 1:] = diff[:, 1:] * lags[1:] / np.maximum(cumulative, 1e-12)
    search = cmnd[:, min_lag:max_lag]
    below = search < THRESHOLD
    voiced = np.flatnonzero(below.any(axis=1))
    if len(voiced) < MIN_VOICED:
        return None
    search = search[voiced]
    lag = below[voiced].argmax(axis=1)  # the first dip under the threshold...
    rows = np.arange(len(voiced))
    for _ in range(search.shape[1]):  # ...followed down to its bottom
        step = (lag + 1 < search.shape[1]) & (
            search[rows, np.minimum(lag + 1, search.shape[1] - 1)] < search[rows, lag]
        )
        if not step.any():
            break
        lag = lag + step
    pitches = sample_rate / (min_lag + lag)
    return float(np.median(pitches))
