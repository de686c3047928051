"""Audio sources: a WAV file or a microphone, both yielding 16 kHz mono int16 PCM chunks."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import soundfile as sf

from sidekick.audio.base import (
    CHUNK_SECONDS,
    MAX_FILE_CHANNELS,
    MAX_FILE_RATE,
    MAX_RECORDING_S,
    MIN_FILE_RATE,
    SAMPLE_RATE,
)
from sidekick.audio.devices import NO_MIC_HINT, check_device, load_sounddevice, one_line
from sidekick.audio.resample import StreamResampler, float_to_pcm
from sidekick.errors import AudioDeviceError

CHUNK_FRAMES = int(round(SAMPLE_RATE * CHUNK_SECONDS))


def check_recording(path: Path, rate: int, channels: int, duration_s: float) -> None:
    """Refuse a recording whose header is no sane recording of one page, before decoding."""
    if not MIN_FILE_RATE <= rate <= MAX_FILE_RATE:
        raise AudioDeviceError(
            f"The audio file {path} says its sample rate is {rate:,} Hz; a recording of "
            f"speech has {MIN_FILE_RATE:,} to {MAX_FILE_RATE:,} Hz."
        )
    if not 1 <= channels <= MAX_FILE_CHANNELS:
        raise AudioDeviceError(
            f"The audio file {path} says it has {channels} channels; the limit is "
            f"{MAX_FILE_CHANNELS}."
        )
    if duration_s > MAX_RECORDING_S:
        raise AudioDeviceError(
            f"The audio file {path} is too long ({duration_s / 60:.1f} minutes); the limit "
            f"for the reading of one page is {MAX_RECORDING_S / 60:g} minutes."
        )


class WavFileSource:
    """Any audio file soundfile can read (WAV, FLAC, ...), downmixed and resampled to 16 kHz.

    ``realtime=True`` paces the chunks at wall-clock speed, like a microphone would deliver
    them; ``realtime=False`` yields them as fast as they are read. :meth:`close` (from any
    thread) ends :meth:`chunks` early.
    """

    def __init__(self, path: str | Path, realtime: bool = True) -> None:
        self.path = Path(path)
        self.realtime = realtime
        self.name = f"file {self.path.name}"
        self._closed = threading.Event()
        if not self.path.is_file():
            raise AudioDeviceError(f"Audio file not found: {self.path}")
        try:
            info = sf.info(str(self.path))
        except (RuntimeError, OSError, sf.LibsndfileError) as exc:
            raise AudioDeviceError(f"Cannot read audio file {self.path}: {one_line(exc)}") from exc
        self.source_rate = int(info.samplerate)
        self.channels = int(info.channels)
        self.duration = float(info.frames) / info.samplerate if info.samplerate else 0.0
        check_recording(self.path, self.source_rate, self.channels, self.duration)

    def chunks(self) -> Iterator[bytes]:
        """Yield CHUNK_SECONDS chunks of 16 kHz int16 PCM (the last one may be shorter), at
        most MAX_RECORDING_S of them whatever the header said."""
        resampler = StreamResampler(self.source_rate, SAMPLE_RATE)
        block_frames = max(1, int(self.source_rate * CHUNK_SECONDS))
        pending = np.zeros(0, dtype=np.float32)
        t0 = time.monotonic()
        sent = 0  # 16 kHz frames yielded so far
        try:
            with sf.SoundFile(str(self.path)) as f:
                eof = False
                while not eof and not self._closed.is_set():
                    if sent >= MAX_RECORDING_S * SAMPLE_RATE:
                        return
                    block = f.read(block_frames, dtype="float32", always_2d=True)
                    eof = len(block) < block_frames
                    out = resampler.process(block, last=eof)
                    pending = np.concatenate([pending, out]) if pending.size else out
                    while len(pending) >= CHUNK_FRAMES or (eof and len(pending)):
                        chunk, pending = pending[:CHUNK_FRAMES], pending[CHUNK_FRAMES:]
                        sent += len(chunk)
                        if self.realtime and self._closed.wait(
                            max(0.0, t0 + sent / SAMPLE_RATE - time.monotonic())
                        ):
                            return
                        if self._closed.is_set():
                            return
                        yield float_to_pcm(chunk)
        except (RuntimeError, OSError, sf.LibsndfileError) as exc:
            raise AudioDeviceError(f"Cannot read audio file {self.path}: {one_line(exc)}") from exc

    def close(self) -> None:
        self._closed.set()


class MicrophoneSource:
    """The microphone through sounddevice (PortAudio), as 16 kHz mono int16 PCM.

    The device is checked when the source is made, so a missing microphone is reported
    before a turn starts. If the device cannot record at 16 kHz it records at its own rate
    and the audio is resampled.
    """

    def __init__(self, device: int | str | None = None) -> None:
        self.device = device
        self._closed = threading.Event()
        try:
            self._sd = load_sounddevice()
            info = check_device("input", device)
        except AudioDeviceError as exc:
            raise AudioDeviceError(f"No microphone found: {exc}; {NO_MIC_HINT}") from exc
        sd = self._sd
        try:
            sd.check_input_settings(device, channels=1, dtype="int16", samplerate=SAMPLE_RATE)
            self.device_rate = SAMPLE_RATE
        except (sd.PortAudioError, ValueError):
            self.device_rate = int(info.get("default_samplerate") or 48_000)
        self.name = f"microphone {info.get('name', 'default')}"

    def chunks(self) -> Iterator[bytes]:
        """Yield CHUNK_SECONDS chunks from the microphone until :meth:`close`.

        A close() ends the current (or next) iteration; after that, chunks() can be
        called again for the next turn.
        """
        sd = self._sd
        resampler = StreamResampler(self.device_rate, SAMPLE_RATE)
        block = max(1, int(self.device_rate * CHUNK_SECONDS))
        try:
            with sd.RawInputStream(
                samplerate=self.device_rate,
                blocksize=block,
                device=self.device,
                channels=1,
                dtype="int16",
            ) as stream:
                while not self._closed.is_set():
                    data, _overflowed = stream.read(block)
                    if self.device_rate == SAMPLE_RATE:
                        yield bytes(data)
                    else:
                        out = resampler.process(np.frombuffer(bytes(data), dtype=np.int16))
                        if out.size:
                            yield float_to_pcm(out)
        except sd.PortAudioError as exc:
            raise AudioDeviceError(
                f"Microphone stopped working: {one_line(exc)}; {NO_MIC_HINT}"
            ) from exc
        finally:
            self._closed.clear()

    def close(self) -> None:
        self._closed.set()
