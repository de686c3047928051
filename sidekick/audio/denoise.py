"""Streaming noise reduction for the recognizer's input (numpy only).

A short-time Fourier transform (32 ms frames, 16 ms hop, square-root Hann windows, so the
overlap-add gives the input back exactly when nothing is removed), a noise spectrum tracked
by minimum statistics (the lowest smoothed power of each frequency over the last 1.5 s:
speech pauses often enough that the minimum is the noise; Martin 2001), and a Wiener gain
with a decision-directed a-priori SNR (Ephraim and Malah 1984), floored so that residual
noise stays smooth instead of "musical".

A recording without noise goes through unchanged, sample for sample: the level of the
quietest stretch over the last half minute decides whether there is noise to remove at all
(a short minimum window alone would take sustained speech for noise and thin it out).

The output is aligned with the input: ``process`` returns what is ready (all but the last
16-32 ms) and ``flush`` the rest, so word times computed on the output hold for the input.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

FRAME = 512  # 32 ms at 16 kHz
HOP = FRAME // 2
_WINDOW = np.sqrt(np.hanning(FRAME + 1)[:FRAME])  # periodic: overlap-adds to exactly 1
_WINDOW_POWER = float(np.sum(_WINDOW**2))
#: A denoiser's estimates of the recording's noise, which :meth:`Denoiser.flush` keeps.
_LEARNT = ("noise", "level", "noisy", "_smooth", "_bins", "_level", "_prev_clean")


class _Minimum:
    """The minimum of a (smoothed) value over the last ``frames`` frames, kept as a few
    sub-window minima (a few array minimums per frame)."""

    def __init__(self, frames: int, parts: int = 8) -> None:
        self.parts = parts
        self.part_len = max(1, frames // parts)
        self.done: list[np.ndarray] = []
        self.current: np.ndarray | None = None
        self.count = 0

    def update(self, value: np.ndarray) -> np.ndarray:
        cur = value if self.current is None else np.minimum(self.current, value)
        self.current = cur
        self.count += 1
        if self.count >= self.part_len:
            self.done = [*self.done[-(self.parts - 1) :], cur]
            self.current, self.count = None, 0
        out = cur
        for m in self.done:
            out = np.minimum(out, m)
        return out


@dataclass(eq=False)
class Denoiser:
    """Spectral noise reduction, block by block (16 kHz mono int16 PCM or float samples).

    ``floor``: the smallest gain (0.2 = at most 14 dB of attenuation); ``window_s``: how far
    back the noise minimum of each frequency is looked for; ``bias``: the minimum of a noisy
    power spectrum underestimates its mean, so it is scaled up by this much;
    ``quiet_dbfs``: noise whose level over the last ``detect_s`` stays below this is left
    alone.
    """

    floor: float = 0.2
    window_s: float = 1.5
    bias: float = 1.5
    quiet_dbfs: float = -60.0
    detect_s: float = 30.0
    smoothing: float = 0.8
    dd: float = 0.96
    rate: int = 16_000

    def __post_init__(self) -> None:
        # Power of each frequency bin of white noise at quiet_dbfs.
        self._quiet = 10 ** (self.quiet_dbfs / 10) * _WINDOW_POWER
        self.reset()

    def reset(self) -> None:
        """Forget the signal and the noise estimate."""
        self._in = np.zeros(FRAME - HOP)  # input not yet framed (starts with padding)
        self._out = np.zeros(FRAME - HOP)  # overlap-add tail
        self._skip = FRAME - HOP  # padding samples still to drop from the output
        self._fed = 0  # samples in and out, so the output ends where the input did
        self._given = 0
        self._smooth: np.ndarray | None = None
        self._bins = _Minimum(int(self.window_s * self.rate / HOP))
        self._level = _Minimum(int(self.detect_s * self.rate / HOP))
        self._prev_clean: np.ndarray | None = None
        self.noise: np.ndarray | None = None  # noise power per frequency bin
        self.level = 0.0  # the quietest frame power of the last detect_s
        self.noisy = False  # whether the last frame had noise worth removing

    def frozen(self) -> Denoiser:
        """A new denoiser that starts from this one's noise estimate, to re-listen to a
        stretch of the same recording."""
        other = copy.copy(self)  # the same settings ...
        other.reset()  # ... and a fresh signal state
        if self.noise is not None:
            start = self.noise / self.bias
            other._smooth = start.copy()
            other._bins.update(start)
            other._level.update(np.array([self.level]))
        return other

    def _frame(self, frame: np.ndarray) -> np.ndarray:
        spec = np.fft.rfft(frame * _WINDOW)
        power = spec.real**2 + spec.imag**2
        if self._smooth is None:
            self._smooth = power.copy()
        else:
            self._smooth = self.smoothing * self._smooth + (1 - self.smoothing) * power
        self.noise = noise = self.bias * self._bins.update(self._smooth)
        # The frame's own power, not the smoothed one: the smoothing decays slowly into a
        # short pause, so a single word followed by digital silence looked "noisy".
        self.level = float(self._level.update(np.array([power.mean()]))[0])
        self.noisy = self.level > self._quiet
        if not self.noisy:  # nothing to remove: the frame goes through unchanged
            self._prev_clean = power
            return frame * _WINDOW * _WINDOW
        noise = np.maximum(noise, 1e-12)
        gamma = power / noise  # a-posteriori SNR
        ml = np.maximum(gamma - 1.0, 0.0)
        xi = ml if self._prev_clean is None else self.dd * self._prev_clean / noise + (
            1 - self.dd
        ) * ml  # fmt: skip
        gain = np.maximum(xi / (1.0 + xi), self.floor)
        self._prev_clean = (gain**2) * power
        return np.fft.irfft(spec * gain, FRAME) * _WINDOW

    def process_float(self, audio: np.ndarray) -> np.ndarray:
        """Feed float samples; return the denoised samples that are ready."""
        audio = np.asarray(audio, dtype=np.float64)
        self._fed += len(audio)
        buf = np.concatenate([self._in, audio])
        out: list[np.ndarray] = []
        pos = 0
        while pos + FRAME <= len(buf):
            y = self._frame(buf[pos : pos + FRAME])
            y[: FRAME - HOP] += self._out
            out.append(y[:HOP])
            self._out = y[HOP:]
            pos += HOP
        self._in = buf[pos:]
        ready = np.concatenate(out) if out else np.zeros(0)
        if self._skip:
            cut = min(self._skip, len(ready))
            ready, self._skip = ready[cut:], self._skip - cut
        ready = ready[: max(0, self._fed - self._given)]
        self._given += len(ready)
        return ready.astype(np.float32)

    def flush_float(self) -> np.ndarray:
        """The samples still held back (call once at the end of the stream)."""
        need = self._fed - self._given
        # The padding that pushes them out is not the recording: what was learnt of the
        # recording's noise (and whether it is noisy) stays as it was.
        learnt = {k: copy.deepcopy(getattr(self, k)) for k in _LEARNT}
        out = self.process_float(np.zeros(FRAME))[:need]
        for key, value in learnt.items():
            setattr(self, key, value)
        return out

    def process(self, pcm: bytes) -> bytes:
        """Feed int16 PCM bytes (an even number); return the denoised PCM that is ready."""
        audio = np.frombuffer(pcm, dtype="<i2").astype(np.float64) / 32768.0
        return _to_pcm(self.process_float(audio))

    def flush(self) -> bytes:
        """The PCM still held back (call once at the end of the stream)."""
        return _to_pcm(self.flush_float())


def _to_pcm(audio: np.ndarray) -> bytes:
    return np.round(np.clip(audio, -1.0, 32767 / 32768) * 32768.0).astype("<i2").tobytes()


def denoise(pcm: bytes, denoiser: Denoiser | None = None) -> bytes:
    """Denoise a whole recording (or, with ``denoiser``, a stretch of one it has heard)."""
    d = denoiser or Denoiser()
    return d.process(pcm) + d.flush()
