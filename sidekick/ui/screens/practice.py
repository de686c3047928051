"""Practice mode: Sidekick says a challenge word, the child reads it back, and the same
recognizer that follows a page checks it.

The audio and recognition work (:class:`PracticeCoach`) runs in a thread worker: the voice
(``load_voice(settings.voice)``) speaks through the same output a reading session uses (the
speaker, a folder of WAV files, or silence when there is no speaker); the child is heard from
the microphone, or from WAV files when ``settings.child_audio`` is a file or folder (one file
per attempt); the recognizer is ``create_listener(settings.engine, settings.vosk_model)``
and the word is scored with ``listen_words`` + ``check_reading`` like a page. Each attempt is
stored with ``store.record_practice``; audio never is. Feedback is always warm: a miss is
"Let's try that one again together!", and so is an attempt the check was not sure of
(``unclear``), which is not stored: it was neither right nor wrong.

Audio and recognition modules are imported only when practice starts.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from sidekick.errors import SidekickError
from sidekick.settings import Settings
from sidekick.ui.messages import PracticeNotice, PracticeResult, PracticeStep, problem_text
from sidekick.ui.widgets.notice_panel import NoticePanel

if TYPE_CHECKING:
    from sidekick.progress.store import ProgressStore

MAX_LISTEN_S = 8.0  # stop listening to the microphone after this long
MAX_FILE_S = 30.0  # never read more than this much of a child-audio file
AFTER_WORD_S = 0.6  # keep listening this long after the word was heard (it may go on)
SPEAK_RATE = 0.9  # a little slower than reading, like the stuck-word help
TRY_AGAIN = "Let's try that one again together!"
PRAISE = ("Yes! You read it!", "You got it!", "Great reading!", "Well done, that's it!")


@dataclass(frozen=True)
class Attempt:
    """One reading of a practice word: the check's verdict and what the recognizer heard."""

    word: str
    correct: bool
    status: str  # the reading check's status for the word ("correct", "substituted", ...)
    heard: str  # everything the recognizer heard, "" for nothing


class PracticeCoach:
    """Says words and listens to the child read them (blocking; call from a worker thread).

    ``voice``, ``listener`` and ``sink`` default to what the settings choose, made in
    :meth:`prepare`; ``on_notice`` receives one-line notices (engine, missing devices).
    """

    def __init__(
        self,
        settings: Settings,
        on_notice: Callable[[str], None] | None = None,
        *,
        voice: Any = None,
        listener: Any = None,
        sink: Any = None,
    ) -> None:
        self.settings = settings
        self.on_notice = on_notice or (lambda _text: None)
        self.voice = voice
        self.listener = listener
        self.sink = sink
        self.ready = False
        self.no_audio = ""  # why the child cannot be heard, when they cannot
        self.files: list[Path] | None = None
        self.last_speech = ""
        self._source: Any = None
        self._stop = threading.Event()

    @property
    def engine_name(self) -> str:
        return getattr(self.listener, "name", "") or ""

    @property
    def voice_name(self) -> str:
        return getattr(self.voice, "name", "") or ""

    def prepare(self) -> None:
        """Load the voice, the speech output, the child's audio and the recognizer.
        Raises a one-line :class:`SidekickError` when one cannot be had."""
        from sidekick.audio import devices, sinks
        from sidekick.audio.sources import child_audio_files
        from sidekick.listening import create_listener
        from sidekick.speaking.registry import load_voice

        s = self.settings
        if self.voice is None:
            self.voice = load_voice(s.voice)
        if s.child_audio != "mic":
            self.files = child_audio_files(s.child_audio)
        elif reason := devices.probe_input(s.input_device):
            self.no_audio = f"{reason}."
            self.on_notice(f"{self.no_audio} Say the words together, then press Enter.")
        if self.listener is None and not self.no_audio:
            self.listener, notice = create_listener(s.engine, s.vosk_model)
            if notice:
                self.on_notice(notice)
        if self.sink is None:
            self.sink, reason = sinks.open_output(s.speech_out, s.output_device)
            if reason:
                self.on_notice(f"{reason}. The words are shown on screen.")
        self.ready = True

    def say(self, text: str) -> None:
        """Speak ``text`` with Sidekick's voice (returns when it has been played)."""
        import numpy as np

        if self._stop.is_set():
            return
        spoken = self.voice.speak(
            text, style=self.voice.instruction_style, rate=SPEAK_RATE * self.settings.rate
        )
        parts = [s.audio for s in spoken]
        if parts:
            self.sink.play(np.concatenate(parts), self.voice.sample_rate)
        if path := getattr(self.sink, "last_path", None):
            self.last_speech = Path(path).name

    def _next_source(self) -> Any:
        from sidekick.audio import sources

        if self.no_audio:
            return None
        if self.files is not None:
            if not self.files:
                self.no_audio = "No more child audio files."
                return None
            return sources.WavFileSource(self.files.pop(0), realtime=self.settings.realtime)
        return sources.MicrophoneSource(self.settings.input_device)

    def listen(self, word: str) -> Attempt | None:
        """Hear the child read ``word`` and check it. None when there is nothing to hear
        (no microphone, no more files) or practice was stopped."""
        from sidekick.listening.base import SAMPLE_RATE
        from sidekick.reading.assess import check_reading, listen_words
        from sidekick.words import key, same_word
        from sidekick.words.pronounce import shown

        source = self._next_source()
        if source is None or self._stop.is_set():
            return None
        self._source = source
        limit = MAX_FILE_S if self.files is not None else MAX_LISTEN_S
        listener = self.listener
        listener.start(*listen_words([word]))
        pcm = bytearray()  # this attempt's audio, in memory only
        t, heard_at = 0.0, None
        try:
            for chunk in source.chunks():
                pcm += chunk
                t += len(chunk) / (2 * SAMPLE_RATE)
                hyp = listener.accept(chunk)
                if heard_at is None and any(same_word(w.word, word) for w in hyp.words):
                    heard_at = t
                if self._stop.is_set() or t >= limit:
                    break
                if heard_at is not None and t - heard_at >= AFTER_WORD_S:
                    break
        finally:
            source.close()
            self._source = None
        final = listener.finish()
        if self._stop.is_set():
            return None
        # No stall limit: a child may take a moment before a single word.
        check = check_reading(listener, [word], final.words, bytes(pcm), stall_s=limit + 1)
        del pcm
        status = check.words[0].status if check.words else "omitted"
        heard = " ".join(shown(w.word, {key(word)}) for w in final.words)
        return Attempt(word, status in ("correct", "self_corrected"), status, heard)

    def stop(self) -> None:
        """Stop speaking and listening (from any thread)."""
        self._stop.set()
        if self.sink is not None:
            self.sink.stop()
        if self._source is not None:
            self._source.close()


class PracticeScreen(Screen[None]):
    """Practise a reader's challenge words one at a time, keyboard only."""

    BINDINGS = [
        Binding("enter", "next", "Next word", priority=True),
        Binding("r", "again", "Try again"),
        Binding("escape", "back", "Done"),
    ]

    def __init__(
        self,
        store: ProgressStore,
        reader: str,
        words: list[str],
        settings: Settings,
        *,
        coach: PracticeCoach | None = None,
    ) -> None:
        """``coach``: the audio side (default: one made from ``settings`` on first use)."""
        super().__init__()
        self.store = store
        self.reader = reader
        self.words = list(words)
        self.settings = settings
        self.coach = coach or PracticeCoach(settings, self._notice_from_thread)
        self.index = 0
        self.state = "starting"  # speaking, listening, result, done, error
        self.results: list[PracticeResult] = []
        self.practised: set[int] = set()  # words read (checked) or said together

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="practice-body"):
            yield Static("", id="practice-count")
            with Center():
                yield Static("", id="practice-word")
            yield Static("Getting ready…", id="practice-status")
            yield NoticePanel(id="practice-notices")
            yield Static("", id="practice-engine")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"Practice with {self.reader}"
        if not self.words:
            self._set_state("done")
            return
        self._start_attempt()

    def on_unmount(self) -> None:
        self.coach.stop()

    # -- the worker --------------------------------------------------------------------------
    def _notice_from_thread(self, text: str) -> None:
        self.post_message(PracticeNotice(text))

    def _start_attempt(self) -> None:
        self._show_word()
        self.run_worker(self._attempt, thread=True, name="practice", group="practice",
                        exclusive=True, exit_on_error=False)  # fmt: skip

    def _attempt(self) -> None:
        """Thread worker: say the word, hear it read, check it, store it, answer warmly."""
        index = self.index
        word = self.words[index]
        coach = self.coach
        try:
            if not coach.ready:
                coach.prepare()
            self.post_message(PracticeStep("speaking", index))
            coach.say(word)
            self.post_message(PracticeStep("listening", index))
            attempt = coach.listen(word)
            if attempt is None:
                if coach.no_audio and coach.files is not None:
                    self.post_message(PracticeNotice(f"{coach.no_audio} Practice is over."))
                    self.post_message(PracticeStep("done", index))
                else:
                    self.post_message(PracticeStep("said", index))
                return
            try:
                if attempt.status != "unclear":  # not sure: neither right nor wrong
                    self.store.record_practice(self.reader, word, attempt.correct)
            except (SidekickError, ValueError) as exc:
                self.post_message(PracticeNotice(f"Not saved: {exc}", error=True))
            self.post_message(PracticeResult(index, word, attempt.correct, attempt.heard))
            coach.say(PRAISE[index % len(PRAISE)] if attempt.correct else f"{TRY_AGAIN} {word}.")
            self.post_message(PracticeStep("result", index))
        except Exception as exc:  # shown, never a crash in the child's face
            self.post_message(PracticeNotice(problem_text(exc), error=True))
            self.post_message(PracticeStep("error", index))

    # -- messages ----------------------------------------------------------------------------
    def on_practice_step(self, message: PracticeStep) -> None:
        if message.index == self.index:
            self._set_state(message.state)

    def on_practice_result(self, message: PracticeResult) -> None:
        if message.index != self.index:
            return
        self.results.append(message)
        self.practised.add(message.index)
        status = self.query_one("#practice-status", Static)
        if message.correct:
            status.update(f"★ {PRAISE[message.index % len(PRAISE)]} “{message.word}”")
        else:
            status.update(f"{TRY_AGAIN} Listen, then press r to read it again.")
        self.set_class(message.correct, "-correct")
        self.set_class(not message.correct, "-again")
        self._show_engine()

    def on_practice_notice(self, message: PracticeNotice) -> None:
        self.query_one("#practice-notices", NoticePanel).add(message.text, message.error)

    # -- display -----------------------------------------------------------------------------
    def _show_word(self) -> None:
        self.set_class(False, "-correct")
        self.set_class(False, "-again")
        total = len(self.words)
        self.query_one("#practice-count", Static).update(f"Word {self.index + 1} of {total}")
        self.query_one("#practice-word", Static).update(self.words[self.index])

    def _show_engine(self) -> None:
        parts = []
        if self.coach.engine_name:
            parts.append(f"Listening: {self.coach.engine_name}")
        if self.coach.voice_name:
            parts.append(f"Voice: {self.coach.voice_name}")
        if self.coach.last_speech:
            parts.append(f"Speech saved: {self.coach.last_speech}")
        self.query_one("#practice-engine", Static).update("  ·  ".join(parts))

    def _set_state(self, state: str) -> None:
        self.state = state
        status = self.query_one("#practice-status", Static)
        if state == "speaking":
            status.update("Listen! Sidekick says the word.")
        elif state == "listening":
            status.update("Your turn! Read the word out loud.")
        elif state == "said":
            self.practised.add(self.index)
            status.update("Say it together! Press Enter for the next word.")
        elif state == "done":
            n = len(self.practised)
            words = f" You practised {n} word{'' if n == 1 else 's'}." if n else ""
            status.update(f"★ All done!{words} Great work!  (Esc)")
            self.query_one("#practice-count", Static).update("")
            self.query_one("#practice-word", Static).update("★")
        elif state == "error":
            status.update("Practice cannot go on right now. Press Esc.")
        self._show_engine()
        self.refresh_bindings()

    # -- keys --------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next":
            return True if self.state in ("result", "said", "done", "error") else None
        if action == "again":
            return True if self.state in ("result", "said") else None
        return True

    def action_next(self) -> None:
        if self.state in ("done", "error"):
            self.action_back()
            return
        if self.state not in ("result", "said"):
            return
        if self.index + 1 >= len(self.words):
            self._set_state("done")
            return
        self.index += 1
        self.state = "starting"
        self._start_attempt()

    def action_again(self) -> None:
        if self.state in ("result", "said"):
            self.state = "starting"
            self._start_attempt()

    def action_back(self) -> None:
        self.coach.stop()
        self.dismiss()
