"""The wide recording conditions of the voice-family sets: child-like transforms over a
range, more kinds of noise, room reverberation and cheap channels.

``draw_wide`` draws one reader's condition; ``apply_room_and_channel`` turns a clean clip
into what a microphone in that room and on that channel would record. Both keep the clip's
word times valid: the room's direct sound arrives at time 0 and the filters are zero-phase,
so a word starts where it started (reverberation only lengthens its tail).

* child-like: Praat PSOLA ("Change gender") with the pitch raised 2.5-9 semitones, formants
  scaled x1.04-1.22 and tempo x0.65-1.0, each drawn on its own;
* noise: white, pink, babble (time-reversed synthetic talkers), speech-shaped (noise with
  the long-term spectrum of speech), fan (low-passed noise with a blade tone) and mains hum
  (50 or 60 Hz and its harmonics), at 5-25 dB SNR (hum 15-30 dB);
* room: an exponentially decaying noise tail with RT60 0.2-0.6 s after the direct sound;
* channel: telephone (300-3400 Hz band, 8 kHz sampling, mu-law) or laptop microphone
  (150-7000 Hz, a presence peak near 3 kHz, light clipping compression).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SR = 16000
NOISES = ("white", "pink", "babble", "speech_shaped", "fan", "hum")
CHANNELS = ("telephone", "laptop")


@dataclass
class Wide:
    """The extra parts of a wide condition (``generate.Condition`` holds the rest)."""

    room_rt60_s: float | None = None
    channel: str | None = None


def draw_wide(rng: np.random.Generator, child: bool) -> tuple[dict, Wide]:
    """(fields of ``generate.Condition``, room and channel) for one reader.

    Adult-like readers: a quarter clean, the rest one or two of noise, room and channel.
    Child-like readers: a transform drawn over the whole range, then the same mix.
    """
    cond: dict = {"condition": "child" if child else "adult"}
    if child:
        cond.update(
            rate=round(float(rng.uniform(0.9, 1.1)), 3),
            pitch_semitones=round(float(rng.uniform(2.5, 9.0)), 2),
            formant=round(float(rng.uniform(1.04, 1.22)), 3),
            tempo=round(float(rng.uniform(0.65, 1.0)), 3),
        )
    else:
        cond["rate"] = round(float(rng.uniform(0.85, 1.2)), 3)
    wide = Wide()
    r = rng.random()
    if r < 0.25:
        return cond, wide
    parts = {"noise", "room", "channel"}
    pick = list(rng.choice(sorted(parts), size=1 if r < 0.7 else 2, replace=False))
    if "noise" in pick:
        kind = str(rng.choice(NOISES))
        lo, hi = (15.0, 30.0) if kind == "hum" else (5.0, 25.0)
        if not child:
            lo = max(lo, 10.0)
        cond.update(noise=kind, noise_snr_db=round(float(rng.uniform(lo, hi)), 1))
    if "room" in pick:
        wide.room_rt60_s = round(float(rng.uniform(0.2, 0.6)), 2)
    if "channel" in pick:
        wide.channel = str(rng.choice(CHANNELS))
    return cond, wide


# ---------------------------------------------------------------- noise


def speech_shaped(n: int, rng: np.random.Generator) -> np.ndarray:
    """Gaussian noise with the long-term average spectrum of speech (flat to 500 Hz, then
    falling about 9 dB an octave)."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / SR)
    gain = np.where(f < 500, 1.0, (np.maximum(f, 1.0) / 500.0) ** -1.5)
    gain[f < 80] *= 0.1
    return np.fft.irfft(spec * gain, n)


def fan(n: int, rng: np.random.Generator) -> np.ndarray:
    """A fan: broadband noise low-passed around 1 kHz, with a blade tone and its harmonic."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / SR)
    x = np.fft.irfft(spec / (1.0 + (f / 1000.0) ** 2), n)
    t = np.arange(n) / SR
    blade = float(rng.uniform(90.0, 180.0))
    tone = np.sin(2 * np.pi * blade * t) + 0.5 * np.sin(2 * np.pi * 2 * blade * t + 1.0)
    return x / (np.std(x) + 1e-9) + 0.5 * tone * (1 + 0.1 * np.sin(2 * np.pi * 0.7 * t))


def hum(n: int, rng: np.random.Generator) -> np.ndarray:
    """Mains hum: 50 or 60 Hz and its first harmonics, with a little noise."""
    base = float(rng.choice([50.0, 60.0]))
    t = np.arange(n) / SR
    x = sum(np.sin(2 * np.pi * base * k * t + k) / k for k in range(1, 6))
    return x + 0.05 * rng.standard_normal(n)


# ---------------------------------------------------------------- room and channel


def room_impulse(rt60_s: float, rng: np.random.Generator) -> np.ndarray:
    """A synthetic room response: the direct sound at 0, then after 3-10 ms a diffuse tail
    of noise decaying 60 dB in ``rt60_s`` (the direct-to-reverberant ratio of a child a
    metre from a laptop)."""
    n = int(rt60_s * SR * 1.2)
    t = np.arange(n) / SR
    tail = rng.standard_normal(n) * np.exp(-6.908 * t / rt60_s)
    tail[: int(rng.uniform(0.003, 0.010) * SR)] = 0.0
    h = 0.6 * tail / (np.sqrt(np.sum(tail**2)) + 1e-9)
    h[0] = 1.0
    return h


def _band(x: np.ndarray, lo: float, hi: float, sr: int = SR) -> np.ndarray:
    """Zero-phase band-pass (4th-order Butterworth, forwards and backwards)."""
    from scipy.signal import butter, sosfiltfilt

    sos = butter(4, [lo, hi], btype="bandpass", fs=sr, output="sos")
    return sosfiltfilt(sos, x)


def telephone(x: np.ndarray) -> np.ndarray:
    """300-3400 Hz, sampled at 8 kHz through 8-bit mu-law, back at 16 kHz."""
    import soxr

    y = soxr.resample(_band(x, 300.0, 3400.0), SR, 8000)
    peak = float(np.max(np.abs(y))) + 1e-9
    mu = 255.0
    comp = np.sign(y / peak) * np.log1p(mu * np.abs(y / peak)) / np.log1p(mu)
    comp = np.round(comp * 127) / 127
    y = peak * np.sign(comp) * np.expm1(np.abs(comp) * np.log1p(mu)) / mu
    return np.asarray(soxr.resample(y, 8000, SR), dtype=np.float64)[: len(x)]


def laptop(x: np.ndarray) -> np.ndarray:
    """A small laptop microphone: 150-7000 Hz, a presence peak near 3 kHz, and the soft
    compression of its automatic gain."""
    from scipy.signal import sosfiltfilt, tf2sos

    y = _band(x, 150.0, 7000.0)
    w0, q, gain = 2 * np.pi * 3000 / SR, 1.5, 10 ** (6 / 40)  # a 6 dB peaking filter
    alpha = np.sin(w0) / (2 * q)
    b = [1 + alpha * gain, -2 * np.cos(w0), 1 - alpha * gain]
    a = [1 + alpha / gain, -2 * np.cos(w0), 1 - alpha / gain]
    y = sosfiltfilt(tf2sos(b, a), y)
    peak = float(np.max(np.abs(y))) + 1e-9
    return peak * np.tanh(2.0 * y / peak) / np.tanh(2.0)


def apply_room_and_channel(x: np.ndarray, wide: Wide, rng: np.random.Generator) -> np.ndarray:
    """The clip as recorded in ``wide``'s room through its channel (same length)."""
    from scipy.signal import fftconvolve

    y = x.astype(np.float64)
    if wide.room_rt60_s:
        y = fftconvolve(y, room_impulse(wide.room_rt60_s, rng))[: len(x)]
    if wide.channel == "telephone":
        y = telephone(y)
    elif wide.channel == "laptop":
        y = laptop(y)
    return y.astype(np.float32)
