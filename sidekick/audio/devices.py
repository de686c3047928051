"""Finding audio devices without crashing when there are none (or no PortAudio at all)."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from sidekick.errors import AudioDeviceError

NO_MIC_HINT = "use --child-audio FILE or manual advance"
NO_SPEAKER_HINT = "the voice can be written to WAV files or run silently instead"


def one_line(exc: BaseException) -> str:
    """An exception's message squeezed onto one line."""
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def load_sounddevice() -> ModuleType:
    """Import sounddevice lazily; AudioDeviceError if the PortAudio library is missing."""
    try:
        import sounddevice
    except OSError as exc:  # libportaudio2 (Debian/Ubuntu) or portaudio is not installed
        raise AudioDeviceError(
            "Sound support is not installed on this computer (run `sidekick setup`, or install "
            "the libportaudio2 package)"
        ) from exc
    return sounddevice


#: What a parent calls each kind of device.
DEVICE_WORDS = {"input": "microphone", "output": "speaker"}


def refresh_devices() -> None:
    """Make PortAudio list the devices again (it lists them once, when it starts), e.g.
    after a microphone was plugged in or a sound server started. No stream may be open."""
    sd = load_sounddevice()
    sd._terminate()  # sounddevice's own re-initialization pair
    sd._initialize()


def check_device(kind: str, device: int | str | None = None) -> dict[str, Any]:
    """The device's info dict for ``kind`` "input" or "output"; AudioDeviceError with a
    plain sentence ("No microphone found on this computer") if there is no such usable
    device. PortAudio's own wording stays out of it: it means nothing to a parent."""
    sd = load_sounddevice()
    what = DEVICE_WORDS[kind]
    try:
        info = dict(sd.query_devices(device, kind=kind))
    except (sd.PortAudioError, ValueError) as exc:
        where = "on this computer" if device is None else f"named {device!r}"
        raise AudioDeviceError(f"No {what} found {where}") from exc
    if not info.get(f"max_{kind}_channels"):
        raise AudioDeviceError(f"{info.get('name', device)!r} is not a {what}")
    return info


def _probe(kind: str, device: int | str | None) -> str | None:
    try:
        check_device(kind, device)
    except AudioDeviceError as exc:
        return str(exc)
    except Exception as exc:  # a probe never raises
        return f"The {DEVICE_WORDS[kind]} could not be checked ({one_line(exc)})"
    return None


def probe_input(device: int | str | None = None) -> str | None:
    """None if a microphone is usable, otherwise a one-line reason in plain words (a
    sentence without the full stop, e.g. "No microphone found on this computer"). Never
    raises."""
    return _probe("input", device)


def probe_output(device: int | str | None = None) -> str | None:
    """None if a speaker is usable, otherwise a one-line reason like :func:`probe_input`'s.
    Never raises."""
    return _probe("output", device)
