"""The sound check (``sidekick check`` and Settings → Check sound): which microphones and
speakers there are, how loud the microphone hears the reader, what the recognizer understood
of a sentence read aloud, and a test sentence on the speaker. No Textual here; the CLI and
the screen both show what these functions return. Nothing recorded is written to disk."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from sidekick.audio.base import SAMPLE_RATE
from sidekick.audio.devices import load_sounddevice, one_line, probe_input, probe_output
from sidekick.errors import AudioDeviceError, SidekickError

#: What the reader is asked to read; short common words every recognizer knows.
CHECK_SENTENCE = "The cat sat in the sun with a big red hat."
#: What Sidekick says on the speaker.
TEST_SENTENCE = "Hello! This is Sidekick. If you can hear me, the speaker works."
RECORD_S = 3.0
SILENT_DB = -50.0  # a peak under this: the microphone hears nothing
QUIET_DB = -30.0  # a peak under this: too quiet to follow a reader
CLIPPED_DB = -0.5  # a peak over this: too loud (clipped)


@dataclass
class Device:
    index: int
    name: str
    inputs: int
    outputs: int
    default_input: bool = False
    default_output: bool = False

    def line(self) -> str:
        kinds = [k for k, n in (("microphone", self.inputs), ("speaker", self.outputs)) if n]
        marks = [m for m, on in (("default microphone", self.default_input),
                                 ("default speaker", self.default_output)) if on]  # fmt: skip
        extra = f"  ← {', '.join(marks)}" if marks else ""
        return f"{self.index:3d}  {self.name}  ({' and '.join(kinds)}){extra}"


def list_devices() -> list[Device]:
    """The sound devices PortAudio sees; AudioDeviceError when PortAudio is missing."""
    sd = load_sounddevice()
    try:
        found = sd.query_devices()
        default_in, default_out = sd.default.device
    except sd.PortAudioError as exc:
        raise AudioDeviceError(f"The sound system did not answer ({one_line(exc)})") from exc
    return [
        Device(
            index=i,
            name=str(d["name"]),
            inputs=int(d["max_input_channels"]),
            outputs=int(d["max_output_channels"]),
            default_input=i == default_in and d["max_input_channels"] > 0,
            default_output=i == default_out and d["max_output_channels"] > 0,
        )
        for i, d in enumerate(found)
    ]


def level_db(pcm: bytes | np.ndarray) -> float:
    """Peak level of int16 PCM in dBFS (-120 for silence)."""
    audio = np.frombuffer(pcm, np.int16) if isinstance(pcm, bytes | bytearray) else pcm
    peak = float(np.abs(audio.astype(np.float32)).max()) / 32768 if len(audio) else 0.0
    return 20 * float(np.log10(max(peak, 1e-6)))


def level_verdict(peak_db: float) -> tuple[bool, str]:
    """(good enough, what to tell a parent) for a recording's peak level."""
    if peak_db < SILENT_DB:
        return False, (
            "The microphone heard nothing. Is it plugged in, switched on and not muted? "
            "Is the right one chosen?"
        )
    if peak_db < QUIET_DB:
        return False, (
            "The microphone hears you only faintly. Move it closer or turn its volume up."
        )
    if peak_db > CLIPPED_DB:
        return True, "Loud enough, a bit too loud: turn the microphone's volume down a little."
    return True, "The microphone hears you well."


@dataclass
class MicCheck:
    ok: bool
    peak_db: float
    advice: str
    heard: str = ""  # what the recognizer understood
    words_heard: int = 0  # of the sentence's words, how many it followed (as on a page)
    words_total: int = 0
    engine: str = ""
    problems: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The result in plain words, a line each (the CLI and the screen show these)."""
        out = []
        if self.peak_db > -120:
            bar = "#" * max(0, min(30, round((self.peak_db + 60) / 2)))
            out.append(f"Loudness: [{bar:<30}] {self.peak_db:.0f} dB. {self.advice}")
        if self.engine:
            out.append(f"Sidekick heard ({self.engine}): “{self.heard or '(nothing)'}”")
            out.append(f"It followed {self.words_heard} of the {self.words_total} words.")
        out += [p for p in self.problems if p != self.advice]
        out.append("The microphone works." if self.ok else "The microphone needs fixing.")
        return out


def record(
    seconds: float = RECORD_S,
    device: int | str | None = None,
    on_level: Callable[[float], None] | None = None,
) -> bytes:
    """Record ``seconds`` of 16 kHz int16 PCM (in memory only); ``on_level`` gets each
    0.1 s chunk's peak in dBFS, for a live meter. AudioDeviceError with a plain reason."""
    from sidekick.audio.sources import MicrophoneSource

    source = MicrophoneSource(device)
    pcm = bytearray()
    try:
        for chunk in source.chunks():
            pcm += chunk
            if on_level is not None:
                on_level(level_db(chunk))
            if len(pcm) >= seconds * SAMPLE_RATE * 2:
                break
    finally:
        source.close()
    return bytes(pcm)


def recognize(pcm: bytes, sentence: str = CHECK_SENTENCE, engine: str | None = None):
    """(engine name, what it heard, words of the sentence followed): the app's own
    recognizer and word follower on the recording."""
    from sidekick.books.parse import parse_book_text
    from sidekick.listening import create_listener
    from sidekick.reading.assess import listen_words
    from sidekick.reading.tracker import ReadingTracker

    words = parse_book_text(sentence, name="check").pages[0].words
    listener, _notice = create_listener(engine)
    try:
        listener.start(*listen_words([w.text for w in words]))
        step = int(0.1 * SAMPLE_RATE) * 2
        for i in range(0, len(pcm), step):
            listener.accept(pcm[i : i + step])
        final = listener.finish()
    finally:
        listener.close()
    tracker = ReadingTracker([w.norm for w in words], stall_s=1e9)
    tracker.update(final, len(pcm) / (2 * SAMPLE_RATE))
    return listener.name, final.text, len(tracker.read), len(words)


def check_microphone(
    device: int | str | None = None,
    seconds: float = RECORD_S,
    engine: str | None = None,
    on_level: Callable[[float], None] | None = None,
) -> MicCheck:
    """Record the reader reading CHECK_SENTENCE; how loud, and what was understood."""
    try:
        pcm = record(seconds, device, on_level)
    except AudioDeviceError as exc:
        return MicCheck(False, -120.0, str(exc), problems=[str(exc)])
    peak = level_db(pcm)
    ok, advice = level_verdict(peak)
    check = MicCheck(ok, peak, advice)
    if not ok:
        check.problems.append(advice)
        return check
    try:
        check.engine, check.heard, check.words_heard, check.words_total = recognize(
            pcm, engine=engine
        )
    except SidekickError as exc:
        check.problems.append(f"The recognizer could not start: {exc}")
        check.ok = False
        return check
    if check.words_heard < check.words_total // 2:
        check.ok = False
        check.problems.append(
            f"Sidekick understood only {check.words_heard} of the {check.words_total} words. "
            "Read the sentence clearly once the recording starts, close to the microphone, "
            "in a quiet room."
        )
    return check


def check_speaker(device: int | str | None = None, voice_name: str | None = None) -> str | None:
    """Say TEST_SENTENCE on the speaker. None when it played, otherwise the reason."""
    from sidekick.audio.sinks import SpeakerSink
    from sidekick.speaking.registry import default_voice, load_voice

    try:
        sink = SpeakerSink(device)
        voice = load_voice(voice_name or default_voice())
        spoken = list(voice.speak(TEST_SENTENCE, style=voice.narration_style))
        sink.play_stream((s.audio for s in spoken), voice.sample_rate)  # made first: no gap
    except SidekickError as exc:
        return str(exc)
    return None


def _missing(what: str, reason: str, option: str) -> str:
    return f"No {what}: {reason}. Plug one in, or choose one from the list with {option}."


def run_check(
    input_device: int | str | None = None,
    output_device: int | str | None = None,
    *,
    seconds: float = RECORD_S,
    engine: str | None = None,
    voice: str | None = None,
    microphone: bool = True,
    speaker: bool = True,
    say: Callable[[str], None] = print,
) -> int:
    """``sidekick check``: the whole check in plain words. Returns the exit code."""
    import time

    problems: list[str] = []
    try:
        devices = list_devices()
    except AudioDeviceError as exc:
        say(f"Sound: {exc}")
        say("Something needs fixing:\n  - " + str(exc))
        return 1
    say("Sound devices on this computer:")
    for d in devices:
        say("  " + d.line())
    if not devices:
        say("  (none)")
    if microphone and (reason := probe_input(input_device)):
        problems.append(_missing("microphone", reason, "--input-device"))
    elif microphone:
        say("")
        say("Microphone: when the recording starts, read this sentence aloud:")
        say(f"    “{CHECK_SENTENCE}”")
        for n in (3, 2, 1):
            say(f"  {n} ...")
            time.sleep(0.6)
        say(f"  Recording for {seconds:g} seconds: read now!")
        mic = check_microphone(input_device, seconds, engine)
        for line in mic.lines():
            say(f"  {line}")
        problems += mic.problems
    if speaker and (reason := probe_output(output_device)):
        problems.append(_missing("speaker", reason, "--output-device"))
    elif speaker:
        say("")
        say(f"Speaker: Sidekick says “{TEST_SENTENCE}”")
        if reason := check_speaker(output_device, voice):
            problems.append(reason)
        else:
            say("  Played. If you heard nothing, check the volume and the speaker chosen.")
    say("")
    if problems:
        say("Something needs fixing:")
        for p in problems:
            say(f"  - {p}")
        return 1
    say("All good: Sidekick can hear and be heard.")
    return 0
