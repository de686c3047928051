"""Audio sources: a WAV file or a microphone, both yielding 16 kHz mono int16 PCM chunks."""

from __future__ import annotations

import queue
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
from sidekick.errors import AudioDeviceError, SidekickError

CHUNK_FRAMES = int(round(SAMPLE_RATE * CHUNK_SECONDS))
#: The sound system hands the microphone's audio over a block at a time, once the block is
#: full: blocks half a chunk long bring each word to the recognizer sooner (its highlight
#: too), for twice as many (cheap) calls.
MIC_BLOCK_SECONDS = CHUNK_SECONDS / 2
MIC_SILENT_S = 3.0  # a microphone that sends nothing this long has stopped working


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


def child_audio_files(spec: str) -> list[Path]:
    """A WAV file, or the WAV files of a folder in name order (one per child turn): only
    regular files (or links to them) named ``*.wav``, hidden ones (``.name.wav``) skipped."""
    path = Path(spec).expanduser()
    if path.is_dir():
        files = sorted(
            p
            for p in path.iterdir()
            if p.suffix.lower() == ".wav" and not p.name.startswith(".") and p.is_file()
        )
        if not files:
            raise SidekickError(f"No .wav files in {path}.")
        return files
    if not path.exists():
        raise SidekickError(f"Child audio not found: {path}")
    if not path.is_file():
        raise SidekickError(f"Child audio {path} is not a regular file.")
    return [path]


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

    def open(self) -> None:
        """Nothing to start: a file is read when :meth:`chunks` asks."""

    def close(self) -> None:
        self._closed.set()


class MicrophoneSource:
    """The microphone through sounddevice (PortAudio), as 16 kHz mono int16 PCM.

    The device is checked when the source is made, so a missing microphone is reported
    before a turn starts. A device that cannot record 16 kHz mono is recorded in its own
    format (e.g. 48 kHz stereo); the channels are averaged and the audio resampled here.
    ``samplerate``/``channels`` force a capture format. :attr:`overruns` counts the blocks
    PortAudio reported as overflowed (audio lost because it was not read in time).
    """

    def __init__(
        self,
        device: int | str | None = None,
        *,
        samplerate: int | None = None,
        channels: int | None = None,
    ) -> None:
        self.device = device
        self._closed = threading.Event()
        self._ended = threading.Event()  # PortAudio ended the stream (the device failed)
        self._stream = None
        self._queue: queue.SimpleQueue[bytes] = queue.SimpleQueue()
        self.overruns = 0
        try:
            self._sd = load_sounddevice()
            info = check_device("input", device)
        except AudioDeviceError as exc:
            raise AudioDeviceError(f"{exc}: {NO_MIC_HINT}") from exc
        if samplerate is None and channels is None:
            self.device_rate, self.channels = self._capture_format(info)
        else:
            self.device_rate = samplerate or int(info.get("default_samplerate") or 48_000)
            self.channels = channels or 1
        self.name = f"microphone {info.get('name', 'default')}"

    def _capture_format(self, info: dict) -> tuple[int, int]:
        """16 kHz mono if the device can; else its own rate, mono or its own channels."""
        sd = self._sd
        own_rate = int(info.get("default_samplerate") or 48_000)
        own_channels = max(1, min(int(info.get("max_input_channels") or 1), 2))
        for rate, channels in ((SAMPLE_RATE, 1), (own_rate, 1), (own_rate, own_channels)):
            try:
                sd.check_input_settings(
                    self.device, channels=channels, dtype="int16", samplerate=rate
                )
            except (sd.PortAudioError, ValueError):
                continue
            return rate, channels
        return own_rate, own_channels  # let opening the stream give the reason

    def open(self) -> None:
        """Start recording now: :meth:`chunks` yields the audio from this moment on, so
        nothing the child says while the turn is being set up is lost."""
        if self._stream is not None:
            return
        sd = self._sd
        self._queue = queue.SimpleQueue()
        self._ended.clear()
        try:
            stream = sd.RawInputStream(
                samplerate=self.device_rate,
                blocksize=max(1, int(self.device_rate * MIC_BLOCK_SECONDS)),
                device=self.device,
                channels=self.channels,
                dtype="int16",
                callback=self._callback,
                finished_callback=self._ended.set,
            )
            stream.start()
        except sd.PortAudioError as exc:
            raise AudioDeviceError(f"The microphone does not work ({one_line(exc)})") from exc
        self._stream = stream

    def _callback(self, indata: object, frames: int, when: object, status: object) -> None:
        """PortAudio's thread: hand the block over (nothing slow here)."""
        self.overruns += bool(getattr(status, "input_overflow", False))
        self._queue.put(bytes(indata))  # type: ignore[arg-type]

    def chunks(self) -> Iterator[bytes]:
        """Yield MIC_BLOCK_SECONDS chunks from the microphone until :meth:`close`.

        A close() ends the current (or next) iteration; after that, chunks() can be
        called again for the next turn. AudioDeviceError if the microphone stops working
        (unplugged, the sound system stopped) or sends nothing for MIC_SILENT_S.
        """
        self.open()
        resampler = StreamResampler(self.device_rate, SAMPLE_RATE)
        direct = self.device_rate == SAMPLE_RATE and self.channels == 1
        last = time.monotonic()
        try:
            while not self._closed.is_set():
                try:
                    data = self._queue.get(timeout=0.05)
                except queue.Empty:
                    if self._ended.is_set() or time.monotonic() - last > MIC_SILENT_S:
                        raise AudioDeviceError(
                            "The microphone stopped working (unplugged, or the sound "
                            "system stopped)"
                        ) from None
                    continue
                last = time.monotonic()
                if direct:
                    yield data
                    continue
                frames = np.frombuffer(data, dtype=np.int16).reshape(-1, self.channels)
                out = resampler.process(frames)
                if out.size:
                    yield float_to_pcm(out)
        finally:
            self._shut()
            self._closed.clear()

    def _shut(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.abort()
                stream.close()
            except self._sd.PortAudioError:
                pass  # it is gone already

    def close(self) -> None:
        self._closed.set()
