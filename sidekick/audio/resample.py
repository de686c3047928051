"""Sample-format helpers: int16 PCM <-> float32, downmixing and resampling (soxr)."""

from __future__ import annotations

import numpy as np
import soxr


def pcm_to_float(pcm: bytes | np.ndarray) -> np.ndarray:
    """int16 PCM (bytes or array) -> float32 in [-1, 1)."""
    data = np.frombuffer(pcm, dtype=np.int16) if isinstance(pcm, (bytes, bytearray)) else pcm
    return np.asarray(data, dtype=np.float32) / 32768.0


def float_to_pcm(audio: np.ndarray) -> bytes:
    """float32 audio in [-1, 1] -> int16 PCM bytes (clipped)."""
    scaled = np.clip(np.asarray(audio, dtype=np.float32), -1.0, 1.0) * 32767.0
    return np.round(scaled).astype("<i2").tobytes()


def to_mono(audio: np.ndarray) -> np.ndarray:
    """Average the channels of a (frames, channels) array; 1-D input is returned as float32."""
    audio = np.asarray(audio)
    if audio.dtype == np.int16:
        audio = pcm_to_float(audio)
    if audio.ndim == 2:
        audio = audio.mean(axis=1)
    return np.ascontiguousarray(audio, dtype=np.float32)


def resample(audio: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """Resample mono float32 audio (e.g. 22,050 -> 16,000 Hz, ratio 320/441)."""
    audio = to_mono(audio)
    if from_rate == to_rate or audio.size == 0:
        return audio
    return np.asarray(soxr.resample(audio, from_rate, to_rate, quality="HQ"), dtype=np.float32)


class StreamResampler:
    """Resample a mono float32 stream block by block (no clicks at block edges)."""

    def __init__(self, from_rate: int, to_rate: int) -> None:
        self.from_rate = from_rate
        self.to_rate = to_rate
        self._stream = (
            None
            if from_rate == to_rate
            else soxr.ResampleStream(from_rate, to_rate, 1, dtype="float32", quality="HQ")
        )

    def process(self, block: np.ndarray, last: bool = False) -> np.ndarray:
        """Feed one block; returns whatever output is ready (``last=True`` flushes)."""
        block = to_mono(block)
        if self._stream is None:
            return block
        return np.asarray(self._stream.resample_chunk(block, last=last), dtype=np.float32)
