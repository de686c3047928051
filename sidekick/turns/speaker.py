"""Where Sidekick's voice goes in a session: the speaker, a folder of WAV files, or silence.
A speaker lost in the middle of a session is said once; the session goes on silently (the
words are shown on screen)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import numpy as np

from sidekick.audio.base import AudioSink
from sidekick.errors import AudioDeviceError
from sidekick.settings import Settings
from sidekick.turns import events as ev


class Speaker:
    """The session's sink (``sink``: given, or chosen by :meth:`open`); thread-safe."""

    def __init__(self, sink: AudioSink | None, emit: Callable[[ev.Event], None]) -> None:
        self.sink = sink
        self._emit = emit
        self._lock = threading.Lock()

    def open(self, settings: Settings) -> None:
        """Choose the sink, unless one was given: WAV files in ``settings.speech_out``, the
        speaker, or silence (said in a notice) when there is no working speaker."""
        from sidekick.audio.sinks import open_output

        if self.sink is not None:
            return
        self.sink, reason = open_output(settings.speech_out, settings.output_device)
        if reason:
            self._emit(ev.Notice(f"{reason}. Sidekick's reading is shown on screen."))

    @property
    def silent(self) -> bool:
        from sidekick.audio.sinks import SilentSink

        return isinstance(self.sink, SilentSink)

    def stop(self) -> None:
        """Stop what is playing now (from any thread)."""
        if self.sink is not None:
            self.sink.stop()

    def play(self, audio: np.ndarray, sample_rate: int) -> None:
        """Play one piece (blocks until it has played or :meth:`stop` was called)."""
        assert self.sink is not None
        try:
            self.sink.play(audio, sample_rate)
        except AudioDeviceError as exc:
            self._lost(exc)
        if path := getattr(self.sink, "last_path", None):
            self._emit(ev.SpeechWritten(str(path)))

    def play_stream(self, pieces: Iterator[np.ndarray], sample_rate: int) -> None:
        """Play pieces as they are made; a WAV sink writes them as one file."""
        from sidekick.audio.sinks import play_stream

        assert self.sink is not None
        before = getattr(self.sink, "last_path", None)
        try:
            play_stream(self.sink, pieces, sample_rate)
        except AudioDeviceError as exc:
            self._lost(exc)
            play_stream(self.sink, pieces, sample_rate)  # the rest of the page, shown in time
        if (path := getattr(self.sink, "last_path", None)) and path != before:
            self._emit(ev.SpeechWritten(str(path)))

    def _lost(self, exc: AudioDeviceError) -> None:
        """The speaker stopped: say so once and go on silently (the words are shown)."""
        from sidekick.audio.sinks import SilentSink

        with self._lock:
            if isinstance(self.sink, SilentSink):
                return
            self.sink = SilentSink()
        self._emit(ev.Notice(f"{exc}. Sidekick's reading is shown on screen."))
