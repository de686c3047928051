"""Audio stand-ins for tests that time words without a recognizer."""

from __future__ import annotations


def tone_pcm(segments: list[tuple[float, float, float]], total_s: float, noise_db: float) -> bytes:
    """16 kHz int16: background noise at ``noise_db`` dBFS plus 200 Hz tones (start, end,
    level dBFS) standing in for spoken words."""
    import numpy as np

    rng = np.random.default_rng(0)
    n = int(total_s * 16000)
    x = rng.normal(0.0, 10 ** (noise_db / 20), n)
    t = np.arange(n) / 16000
    for s, e, db in segments:
        on = (t >= s) & (t < e)
        x[on] += np.sqrt(2) * 10 ** (db / 20) * np.sin(2 * np.pi * 200 * t[on])
    return (np.clip(x, -1, 1) * 32767).astype("<i2").tobytes()
