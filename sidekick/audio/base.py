"""Audio in and out. Sources yield 16 kHz mono int16 PCM; sinks play float32 audio."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

import numpy as np

SAMPLE_RATE = 16_000  # Hz: all PCM from sources, to the recognizers and the reading check
CHUNK_SECONDS = 0.1  # 100 ms chunks: small enough for live highlighting

# Bounds on a recording of one reading (a file, or a turn at the microphone), checked from
# a file's header before any of it is decoded.
MAX_RECORDING_S = 600.0  # ten minutes for one page
MIN_FILE_RATE = 8_000  # Hz: telephone quality; lower is no recording of speech
MAX_FILE_RATE = 384_000
MAX_FILE_CHANNELS = 16


class AudioSource(Protocol):
    """Where the child's voice comes from (a microphone or a WAV file)."""

    name: str

    def open(self) -> None:
        """Start listening (a microphone records from now on, before :meth:`chunks`)."""

    def chunks(self) -> Iterator[bytes]:
        """Yield 16 kHz mono int16 PCM chunks until the source ends or :meth:`close`."""

    def close(self) -> None: ...


class AudioSink(Protocol):
    """Where Sidekick's voice goes (a speaker or WAV files)."""

    name: str

    def play(self, audio: np.ndarray, sample_rate: int) -> None:
        """Play (or write) audio; blocks until done or :meth:`stop` is called."""

    def stop(self) -> None: ...
