"""Audio sinks: the speaker, a folder of numbered WAV files, or silence (for demos)."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import soundfile as sf

from sidekick.audio.devices import NO_SPEAKER_HINT, check_device, load_sounddevice, one_line
from sidekick.audio.resample import resample, to_mono
from sidekick.errors import AudioDeviceError

BLOCK_SECONDS = 0.05  # how quickly stop() takes effect on the speaker
#: Audio queued ahead in the sound system: enough that a busy computer (the recognizer, the
#: voice) does not leave the speaker without audio (an underrun: a click or a gap).
OUTPUT_LATENCY_S = 0.2


class SpeakerSink:
    """The speaker through sounddevice. :meth:`play` blocks; :meth:`stop` interrupts it.

    :attr:`underruns` counts the blocks PortAudio reported as underflowed (the speaker ran
    dry: a gap or click the listener hears); :attr:`first_audio` is the monotonic time the
    first block of the last :meth:`play_stream` was handed to the device.
    """

    def __init__(self, device: int | str | None = None) -> None:
        self.device = device
        self._stop = threading.Event()
        self.underruns = 0
        self.first_audio: float | None = None
        try:
            self._sd = load_sounddevice()
            info = check_device("output", device)
        except AudioDeviceError as exc:
            raise AudioDeviceError(f"{exc}: {NO_SPEAKER_HINT}") from exc
        self.default_rate = int(info.get("default_samplerate") or 48_000)
        self.name = f"speaker {info.get('name', 'default')}"

    def play(self, audio: np.ndarray, sample_rate: int) -> None:
        """Play mono audio; returns when it has finished or :meth:`stop` was called."""
        self.play_stream([audio], sample_rate)

    def play_stream(self, pieces: Iterable[np.ndarray], sample_rate: int) -> None:
        """Play pieces back to back on one open stream (no gap between them) as they come;
        returns when the last has finished or :meth:`stop` was called."""
        sd = self._sd
        self._stop.clear()
        rate = sample_rate
        try:
            sd.check_output_settings(self.device, channels=1, dtype="float32", samplerate=rate)
        except (sd.PortAudioError, ValueError):
            rate = self.default_rate
        block = max(1, int(rate * BLOCK_SECONDS))
        self.first_audio = None
        try:
            with sd.OutputStream(
                samplerate=rate,
                device=self.device,
                channels=1,
                dtype="float32",
                latency=OUTPUT_LATENCY_S,
            ) as stream:
                for piece in pieces:
                    audio = to_mono(piece)
                    if rate != sample_rate:
                        audio = resample(audio, sample_rate, rate)
                    for i in range(0, len(audio), block):
                        if self._stop.is_set():
                            stream.abort()
                            return
                        if self.first_audio is None:
                            self.first_audio = time.monotonic()
                        self.underruns += bool(
                            stream.write(np.ascontiguousarray(audio[i : i + block]).reshape(-1, 1))
                        )
        except sd.PortAudioError as exc:
            raise AudioDeviceError(f"The speaker stopped working ({one_line(exc)})") from exc

    def stop(self) -> None:
        self._stop.set()


class WavDirSink:
    """Writes each :meth:`play` call as the next numbered WAV file (sidekick-001.wav, ...).

    Numbering continues after files already in the folder, so nothing is overwritten.
    """

    PREFIX = "sidekick-"

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise AudioDeviceError(
                f"Cannot create the audio output folder {self.folder}: {one_line(exc)}"
            ) from exc
        pattern = re.compile(rf"^{re.escape(self.PREFIX)}(\d+)\.wav$")
        numbers = [int(m.group(1)) for p in self.folder.iterdir() if (m := pattern.match(p.name))]
        self._count = max(numbers, default=0)
        self.last_path: Path | None = None
        self.paths: list[Path] = []
        self.name = f"WAV files in {self.folder}"

    def play(self, audio: np.ndarray, sample_rate: int) -> None:
        """Write the audio (16-bit PCM WAV) as the next numbered file."""
        self._count += 1
        path = self.folder / f"{self.PREFIX}{self._count:03d}.wav"
        try:
            sf.write(str(path), to_mono(audio), sample_rate, subtype="PCM_16")
        except (OSError, RuntimeError, sf.LibsndfileError) as exc:
            path.unlink(missing_ok=True)
            raise AudioDeviceError(f"Cannot write {path}: {one_line(exc)}") from exc
        self.last_path = path
        self.paths.append(path)

    def play_stream(self, pieces: Iterable[np.ndarray], sample_rate: int) -> None:
        """All the pieces as one WAV file."""
        audio = [to_mono(p) for p in pieces]
        if audio:
            self.play(np.concatenate(audio), sample_rate)

    def stop(self) -> None:
        """Nothing to interrupt: writing is immediate."""


class SilentSink:
    """Plays nothing but takes as long as the audio would (demos, machines with no speaker)."""

    name = "silent"

    def __init__(self) -> None:
        self._stop = threading.Event()

    def play(self, audio: np.ndarray, sample_rate: int) -> None:
        self._stop.clear()
        self._stop.wait(len(audio) / float(sample_rate))

    def play_stream(self, pieces: Iterable[np.ndarray], sample_rate: int) -> None:
        self._stop.clear()
        for piece in pieces:
            if self._stop.wait(len(piece) / float(sample_rate)):
                return

    def stop(self) -> None:
        self._stop.set()


def play_stream(sink: object, pieces: Iterable[np.ndarray], sample_rate: int) -> None:
    """``sink.play_stream`` where the sink has it, else one :meth:`play` call per piece."""
    if hasattr(sink, "play_stream"):
        sink.play_stream(pieces, sample_rate)
    else:
        for piece in pieces:
            sink.play(piece, sample_rate)  # type: ignore[attr-defined]
