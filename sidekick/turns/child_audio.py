"""Where a child's turns are heard from: WAV files (one per turn, for scripted runs and
tests) or the microphone. A microphone that does not work is said once, not on every page,
until it works again."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sidekick.audio.base import AudioSource
from sidekick.errors import AudioDeviceError
from sidekick.settings import Settings
from sidekick.turns import events as ev


class ChildAudio:
    def __init__(self, settings: Settings, emit: Callable[[ev.Event], None]) -> None:
        self.settings = settings
        self._emit = emit
        #: The WAV files of the turns still to come; None: the microphone.
        self.files: list[Path] | None = None
        self._told = False  # the parent has been told the microphone is not working

    def open(self, manual_fallback: bool) -> None:
        """Find the files, or check the microphone: with none, a headless run
        (``manual_fallback`` False) fails; the app says how to go on without one."""
        from sidekick.audio import devices
        from sidekick.audio.sources import child_audio_files

        s = self.settings
        if s.child_audio != "mic":
            self.files = child_audio_files(s.child_audio)
        elif (reason := devices.probe_input(s.input_device)) and not manual_fallback:
            raise AudioDeviceError(f"{reason}. Use --child-audio FILE_OR_DIR.")
        elif reason:
            self._told = True
            self._emit(ev.Notice(
                f"{reason}. Press Enter when the page is read, "
                "or choose file audio in Settings."
            ))  # fmt: skip

    @property
    def used_up(self) -> bool:
        """Every file has been heard."""
        return self.files is not None and not self.files

    def next_source(self) -> AudioSource | None:
        """Audio for the next child turn, already listening, or None for manual advance."""
        from sidekick.audio import sources

        if self.files is not None:
            if not self.files:
                return None
            return sources.WavFileSource(self.files.pop(0), realtime=self.settings.realtime)
        try:
            source = sources.MicrophoneSource(self.settings.input_device)
            source.open()
            return source
        except AudioDeviceError as exc:
            self.tell_once(f"{exc}. Press Enter when the page is read.")
            return None

    def working(self) -> None:
        """The microphone sends audio (again): a later failure is said again."""
        self._told = False

    def tell_once(self, text: str) -> None:
        """Tell the parent the microphone is not working, unless they have been told."""
        if not self._told:
            self._told = True
            self._emit(ev.Notice(text))
