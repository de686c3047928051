"""Audio sinks: the speaker, a folder of numbered WAV files, or silence (for demos)."""

from __future__ import annotations

import contextlib
import queue
import re
import threading
import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import soundfile as sf

from sidekick.audio.devices import (
    NO_SPEAKER_HINT,
    check_device,
    load_sounddevice,
    one_line,
    probe_output,
)
from sidekick.audio.resample import resample, to_mono
from sidekick.errors import AudioDeviceError

BLOCK_SECONDS = 0.05  # how quickly stop() takes effect on the speaker
#: Audio queued ahead in the sound system: enough that a busy computer (the recognizer, the
#: voice) does not leave the speaker without audio (an underrun: a click or a gap).
OUTPUT_LATENCY_S = 0.2


class SpeakerSink:
    """The speaker through sounddevice. :meth:`play` blocks; :meth:`stop` interrupts it.

    The device pulls audio from a queue on its own thread: while the next piece is not
    ready yet (the voice is still making it, or the reading is paused) it plays silence, so
    the sound system never runs dry. :attr:`underruns` counts the times PortAudio reported
    that it did anyway (the computer was too busy to run the callback in time: a click or a
    gap); :attr:`first_audio` is the monotonic time the first audio of the last
    :meth:`play_stream` was handed to the device.
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
        """Play pieces back to back on one stream as they come (silence while waiting for
        the next); returns when the last has finished or :meth:`stop` was called. The
        stream opens when the first piece is ready."""
        sd = self._sd
        self._stop.clear()
        rate = sample_rate
        try:
            sd.check_output_settings(self.device, channels=1, dtype="float32", samplerate=rate)
        except (sd.PortAudioError, ValueError):
            rate = self.default_rate
        block = max(1, int(rate * BLOCK_SECONDS))
        ahead = max(2, int(OUTPUT_LATENCY_S / BLOCK_SECONDS))
        blocks: queue.Queue[np.ndarray | None] = queue.Queue(maxsize=ahead)
        finished = threading.Event()
        self.first_audio = None
        left = np.zeros(0, dtype=np.float32)  # the callback's part-played block

        def callback(outdata: np.ndarray, frames: int, _time: object, status: object) -> None:
            nonlocal left
            self.underruns += bool(status.output_underflow)  # type: ignore[attr-defined]
            filled, last = 0, False
            while filled < frames:
                if not len(left):
                    try:
                        item = blocks.get_nowait()
                    except queue.Empty:
                        break
                    if item is None:
                        last = True
                        blocks.put_nowait(None)  # keep playing silence until stopped
                        break
                    left = item
                    if self.first_audio is None:
                        self.first_audio = time.monotonic()
                n = min(frames - filled, len(left))
                outdata[filled : filled + n, 0] = left[:n]
                left, filled = left[n:], filled + n
            outdata[filled:] = 0
            if last:
                finished.set()

        def check(stream: sd.OutputStream | None) -> None:
            """The device's thread ends when the sound system goes away."""
            if stream is not None and not stream.active:
                raise AudioDeviceError("The speaker stopped working (it no longer takes audio)")

        def put(item: np.ndarray | None) -> bool:
            while not self._stop.is_set():
                try:
                    blocks.put(item, timeout=BLOCK_SECONDS)
                    return True
                except queue.Full:
                    check(stream)
            return False

        stream: sd.OutputStream | None = None
        try:
            for piece in pieces:
                audio = to_mono(piece).astype(np.float32, copy=False)
                if rate != sample_rate:
                    audio = resample(audio, sample_rate, rate)
                for i in range(0, len(audio), block):
                    if not put(audio[i : i + block]):
                        return
                    if stream is None:
                        stream = sd.OutputStream(
                            samplerate=rate, device=self.device, channels=1, dtype="float32",
                            latency=OUTPUT_LATENCY_S, callback=callback,
                        )  # fmt: skip
                        stream.start()
            if stream is None or not put(None):
                return
            while not finished.wait(BLOCK_SECONDS) and not self._stop.is_set():
                check(stream)
            # the last audio handed over is still in the sound system's buffer: let it play
            if not self._stop.wait(stream.latency + BLOCK_SECONDS):
                stream.stop()
        except sd.PortAudioError as exc:
            raise AudioDeviceError(f"The speaker stopped working ({one_line(exc)})") from exc
        finally:
            if stream is not None:
                with contextlib.suppress(sd.PortAudioError):
                    stream.close()  # an active stream is aborted: what is queued is dropped

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


def open_output(
    speech_out: str, device: int | str | None = None
) -> tuple[SpeakerSink | WavDirSink | SilentSink, str | None]:
    """Where Sidekick's voice goes: WAV files in the folder ``speech_out``, or, when it is
    ``"speaker"``, the output ``device`` (None: the system's default) or silence when that
    does not work. Returns the sink and, for silence, why in plain words."""
    if speech_out != "speaker":
        return WavDirSink(Path(speech_out).expanduser()), None
    if reason := probe_output(device):
        return SilentSink(), reason
    return SpeakerSink(device), None


def play_stream(sink: object, pieces: Iterable[np.ndarray], sample_rate: int) -> None:
    """``sink.play_stream`` where the sink has it, else one :meth:`play` call per piece."""
    if hasattr(sink, "play_stream"):
        sink.play_stream(pieces, sample_rate)
    else:
        for piece in pieces:
            sink.play(piece, sample_rate)  # type: ignore[attr-defined]
