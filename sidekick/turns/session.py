"""The turn loop: the child and Sidekick take turns reading a book, page by page.

UI-agnostic: it reports everything through ``on_event`` (Textual messages in the app, JSON
lines in headless mode) and runs blocking, so the app calls :meth:`ReadingSession.run` in a
thread worker. Control methods (:meth:`end_turn`, :meth:`help_word`, ...) are thread-safe.

Its parts, one module each: where the child's turns are heard from (``child_audio``), where
Sidekick's voice goes (``speaker``), the pages Sidekick reads, made ahead (``speech_ahead``),
and the word said for a child who is stuck or asks (``word_help``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import NamedTuple, Protocol

import numpy as np

from sidekick.audio.base import MAX_RECORDING_S, AudioSink, AudioSource
from sidekick.books.model import Book, Page
from sidekick.errors import AudioDeviceError, SidekickError
from sidekick.listening.base import SAMPLE_RATE, Hypothesis, Listener
from sidekick.reading.accents import ReaderAccent
from sidekick.reading.assess import check_reading, listen_words
from sidekick.reading.degenerate import NO_READING, SILENT_TURN_S, why_no_reading
from sidekick.reading.result import CREDITED
from sidekick.reading.tracker import ReadingTracker
from sidekick.settings import Settings
from sidekick.speaking.base import Voice
from sidekick.turns import events as ev
from sidekick.turns.child_audio import ChildAudio
from sidekick.turns.plan import reader_for, reading_plan
from sidekick.turns.praise import PraiseMaker
from sidekick.turns.speaker import Speaker
from sidekick.turns.speech_ahead import SpeechAhead
from sidekick.turns.word_help import WordHelp

SENTENCE_GAP_S = 0.35  # pause between sentences when Sidekick reads


class TurnHistory(Protocol):
    """Takes every event of a session and keeps what it needs (a reader's checked turns)."""

    def __call__(self, event: ev.Event) -> None: ...

    def close(self) -> None: ...


#: ``opener(reader, book, notice)``: the history of ``reader`` reading ``book``; ``notice``
#: tells the parent something in one line (a damaged file recovered, a turn kept for later).
HistoryOpener = Callable[[str, Book, Callable[[str], None]], TurnHistory]


class ChildTurn(NamedTuple):
    """What a child turn found: the words read (correct, self-corrected or unclear), the words
    Sidekick helped with, the seconds of audio heard, the check's ``correct`` words and
    accuracy (None when nothing was checked: a manual turn, or a microphone lost mid-page),
    and whether any reading was heard at all (a turn without one is not praised)."""

    read: set[int]
    helped: set[int]
    audio_s: float
    correct: set[int] | None = None
    accuracy: float | None = None
    heard: bool = True


class ReadingSession:
    def __init__(
        self,
        book: Book,
        settings: Settings,
        on_event: Callable[[ev.Event], None],
        *,
        start_page: int = 1,
        listener: Listener | None = None,
        voice: Voice | None = None,
        sink: AudioSink | None = None,
        manual_fallback: bool = True,
        history: HistoryOpener | None = None,
    ) -> None:
        if not 1 <= start_page <= len(book.pages):
            raise SidekickError(f"'{book.title}' has pages 1 to {len(book.pages)}.")
        self.book = book
        self.settings = settings
        self.emit = on_event
        self.start_page = start_page
        self.listener = listener
        self.voice = voice
        #: With no microphone: fall back to manual advance (the app) or fail (headless runs).
        self.manual_fallback = manual_fallback
        #: Opens the history that keeps the reader's checked turns (the progress database,
        #: wired by the app and the CLI); None keeps nothing.
        self.history = history
        self.engine_name = ""
        self.voice_name = ""
        self._stop = threading.Event()
        self._end_turn = threading.Event()
        self._help = threading.Event()
        self._repeat = threading.Event()
        self._resume = threading.Event()
        self._resume.set()
        self._goto: int | None = None  # the page to go to when the turn ends (back a page)
        self._page = start_page
        self._praise = PraiseMaker()
        self._turn = 0
        self._recorder: TurnHistory | None = None
        self._speaker = Speaker(sink, self._tell)
        self._child_audio = ChildAudio(settings, self._tell)
        self._speech = SpeechAhead(settings, self._stop)  # the pages Sidekick reads
        self._word_help = WordHelp(self._speaker, self._tell)
        self._accent = ReaderAccent()  # the child's accent features shown on earlier pages

    # -- controls (thread-safe) -------------------------------------------------------------
    def stop(self) -> None:
        self._stop.set()
        self._end_turn.set()
        self._resume.set()
        self._speaker.stop()

    def end_turn(self) -> None:
        self._end_turn.set()
        self._speaker.stop()

    def previous_page(self) -> None:
        """End this turn and go back one page (the same reader as when it was first read)."""
        self._goto = max(1, self._page - 1)
        self.end_turn()

    def next_page(self) -> None:
        """End this turn and go on to the next page."""
        self.end_turn()

    def help_word(self) -> None:
        self._help.set()

    def repeat(self) -> None:
        self._repeat.set()
        self._speaker.stop()

    def toggle_pause(self) -> bool:
        if self._resume.is_set():
            self._resume.clear()
            return True
        self._resume.set()
        return False

    def plan(self) -> list[ev.Reader]:
        return reading_plan(self.settings.share, len(self.book.pages), self.start_page)

    # -- setup ------------------------------------------------------------------------------
    def _tell(self, event: ev.Event) -> None:
        """``emit``, for the session's parts: the history opened at setup keeps events too."""
        self.emit(event)

    def _setup(self) -> None:
        from sidekick.listening import create_listener, second_listener
        from sidekick.speaking.registry import load_voice

        s = self.settings
        if s.reader and self.history is not None:
            self._open_history(s.reader, self.history)
        if self.voice is None:
            self.voice = load_voice(s.voice)
        self.voice_name = self.voice.name
        self._speech.voice = self._word_help.voice = self.voice
        if self.plan()[:1] == ["sidekick"]:  # made while the rest is set up
            self._speech.speak_ahead(self.book.pages[self.start_page - 1])
        if "child" in self.plan():
            self._child_audio.open(self.manual_fallback)
            if self.listener is None:
                self.listener, notice = create_listener(s.engine, s.vosk_model)
                if notice:
                    self.emit(ev.Notice(notice))
            elif self.listener is not None:
                self.listener.new_reader()  # one given to this session may know another reader
            second_listener.warm_up()  # loaded while the first pages are read
        self.engine_name = self.listener.name if self.listener else "none"
        self._speaker.open(s)
        self.emit(ev.SessionStart(
            self.book.title, self.engine_name, self.voice_name, self.plan(),
            silent=self._speaker.silent,
        ))  # fmt: skip
        for note in self.book.notes:
            self.emit(ev.Notice(note))

    def _open_history(self, reader: str, opener: HistoryOpener) -> None:
        """Keep every checked child turn of ``reader`` before anyone hears of it."""
        show = self.emit
        self._recorder = recorder = opener(reader, self.book, lambda text: show(ev.Notice(text)))

        def emit(event: ev.Event) -> None:
            recorder(event)
            show(event)

        self.emit = emit

    # -- the loop ---------------------------------------------------------------------------
    def run(self) -> None:
        try:
            self._run()
        finally:
            self._speech.close()
            if self._recorder is not None:
                self._recorder.close()

    def _run(self) -> None:
        self._setup()
        pages = self.book.pages
        number = self.start_page
        while number <= len(pages):
            page = pages[number - 1]
            reader = reader_for(self.settings.share, number, self.start_page)
            if self._stop.is_set():
                break
            following = number + 1
            if (
                following <= len(pages)
                and reader_for(self.settings.share, following, self.start_page) == "sidekick"
            ):
                self._speech.speak_ahead(pages[following - 1])
            if reader == "child" and self._child_audio.used_up:
                self.emit(ev.Notice("No more child audio files: stopping."))
                break
            self._turn += 1
            self._page = number
            self._goto = None
            self._end_turn.clear()
            # The microphone records before the turn is announced: no first word is lost.
            source = (
                self._child_audio.next_source() if reader == "child" and self.listener else None
            )
            self.emit(ev.TurnStart(self._turn, reader, page.number))
            t0 = time.monotonic()
            if reader == "child":
                turn = self._child_turn(page, source)
                read, assisted, audio_s = turn.read, turn.helped, turn.audio_s
                if turn.heard:
                    self.emit(ev.Praise(self._praise.praise(
                        page.words, read, assisted, correct=turn.correct, accuracy=turn.accuracy
                    )))  # fmt: skip
                self.emit(ev.TurnEnd(
                    self._turn, "child", page.number, len(read), len(page.words),
                    len(assisted), round(audio_s or time.monotonic() - t0, 2),
                ))  # fmt: skip
            else:
                self._sidekick_turn(page)
                self.emit(ev.TurnEnd(
                    self._turn, "sidekick", page.number, len(page.words), len(page.words), 0,
                    round(time.monotonic() - t0, 2),
                ))  # fmt: skip
            if self._stop.is_set():
                break
            if self._goto is not None:
                number = self._goto
                continue
            self.emit(ev.PageDone(page.number))
            number += 1
        else:
            self.emit(ev.BookDone(self.book.title))
        self._word_help.wait()

    def _child_turn(self, page: Page, source: AudioSource | None) -> ChildTurn:
        """One child turn, heard from ``source`` (None: manual advance). A turn where no
        reading was heard is not scored (:mod:`sidekick.reading.degenerate`); it ends after
        MAX_RECORDING_S, or after SILENT_TURN_S with no word heard at all."""
        words = page.words
        tracker = ReadingTracker([w.norm for w in words], stall_s=self.settings.stall_s)
        self.emit(ev.CurrentWord(page.number, 0))
        if source is None:  # manual advance: wait for the key
            self._wait_for_end_key(page, tracker, 0.0)
            return ChildTurn(set(), tracker.assisted, 0.0)
        assert self.listener is not None
        written = [w.text for w in words]
        self.listener.start(*listen_words(written))
        audio = bytearray()  # the turn's audio, in memory only, for the second look
        t = 0.0
        heard_any = False
        try:
            for chunk in source.chunks():
                self._child_audio.working()
                self._resume.wait()
                audio += chunk
                t += len(chunk) / (2 * SAMPLE_RATE)
                hyp = self.listener.accept(chunk)
                heard_any = heard_any or bool(hyp.words)
                self._apply(page, tracker, hyp, t)
                if self._help.is_set():
                    self._help.clear()
                    self._word_help.say(page, tracker.help_current(t), t)
                if tracker.finished or self._end_turn.is_set() or t >= MAX_RECORDING_S:
                    break
                if not heard_any and t >= SILENT_TURN_S:
                    break
        except AudioDeviceError as exc:
            # The words heard so far stay read; the rest of the page is a manual turn.
            del audio
            self._apply(page, tracker, self.listener.finish(), t)
            self._mic_lost(page, tracker, t, str(exc))
            return ChildTurn(set(tracker.read), tracker.assisted, t)
        finally:
            source.close()
        final = self.listener.finish()
        self._apply(page, tracker, final, t)
        # A page left early (`n`, `b`, Esc) is not a reading of the whole page. Going back is
        # a new start on the earlier page, and a page skipped before any of it was read is not
        # a reading: neither is scored. A page skipped part-way is scored up to the last word
        # the check found read or tried; the words after it are not counted as missed.
        left_early = self._end_turn.is_set() and not tracker.finished
        reason = why_no_reading(bytes(audio)) or (
            None if final.words else f"{NO_READING}: no words were heard."
        )
        if left_early and (self._goto is not None or reason):
            del audio
            return ChildTurn(set(), tracker.assisted, t, heard=False)
        if reason:
            del audio
            self.emit(ev.Notice(reason))
            return ChildTurn(set(), tracker.assisted, t, heard=False)
        check = check_reading(
            self.listener, written, final.words, bytes(audio),
            stall_s=self.settings.stall_s, assisted=tracker.assisted, accent=self._accent,
        )  # fmt: skip
        if left_early:
            reach = max((w.index + 1 for w in check.words if w.status != "omitted"), default=0)
            if reach == 0:
                del audio
                return ChildTurn(set(), tracker.assisted, t, heard=False)
            if reach < len(written):
                check = check_reading(
                    self.listener, written[:reach], final.words, bytes(audio),
                    stall_s=self.settings.stall_s,
                    assisted={i for i in tracker.assisted if i < reach}, accent=self._accent,
                )  # fmt: skip
        del audio
        result = check.to_json()
        self.emit(ev.ReadingChecked(
            self._turn, page.number, result["summary"], result["words"],
            result["insertions"], result["repetitions"],
        ))  # fmt: skip
        read = {w.index for w in check.words if w.status in CREDITED}  # unclear: benefit of doubt
        helped = {w.index for w in check.words if w.status == "assisted"}
        correct = {w.index for w in check.words if w.status == "correct"}
        return ChildTurn(read, helped, t, correct, result["summary"]["accuracy"])

    def _wait_for_end_key(self, page: Page, tracker: ReadingTracker, t: float) -> None:
        """A manual turn: the page is done when the end-turn key is pressed ("help" works)."""
        while not self._end_turn.wait(0.1):
            if self._help.is_set():
                self._help.clear()
                self._word_help.say(page, tracker.help_current(t), t)

    def _mic_lost(self, page: Page, tracker: ReadingTracker, t: float, reason: str) -> None:
        """The microphone stopped in the middle of a turn: say so once; the app finishes the
        page as a manual turn, a headless run stops after it."""
        if not self.manual_fallback:
            self.emit(ev.Notice(f"{reason}. Stopping after this page."))
            self._stop.set()
            return
        self._child_audio.tell_once(
            f"{reason}. The words read so far are kept. Press Enter when the page is read."
        )
        if not tracker.finished:
            self.emit(ev.CurrentWord(page.number, tracker.position))
        self._wait_for_end_key(page, tracker, t)

    def _apply(self, page: Page, tracker: ReadingTracker, hyp: Hypothesis, t: float) -> None:
        progress = tracker.update(hyp, t)
        for i in progress.read:
            self.emit(ev.WordRead(page.number, i, page.words[i].text, round(t, 2)))
        if progress.stuck is not None:  # never on a final hypothesis (the audio ended)
            self._word_help.say(page, progress.stuck, t)
        if (progress.read or progress.stuck is not None) and not tracker.finished:
            self.emit(ev.CurrentWord(page.number, tracker.position))

    def _sidekick_turn(self, page: Page) -> None:
        """Sidekick reads ``page`` aloud, sentence by sentence as it is made, each sentence's
        first word shown as it starts; again from the start on "repeat"."""
        assert self.voice is not None
        while True:
            self._repeat.clear()
            rate = self.voice.sample_rate
            gap = np.zeros(int(SENTENCE_GAP_S * rate), dtype=np.float32)

            def pieces(gap: np.ndarray = gap) -> Iterator[np.ndarray]:
                """The turn's audio as it is made; a WAV sink gets it as one file."""
                new_sentence = True
                with self._speech.page(page) as speech:
                    for first_word, spoken in speech:
                        self._resume.wait()
                        if self._end_turn.is_set() or self._repeat.is_set():
                            return
                        if new_sentence:
                            self.emit(ev.CurrentWord(page.number, first_word))
                        yield spoken.audio
                        if spoken.final:
                            yield gap
                        new_sentence = spoken.final

            self._speaker.play_stream(pieces(), rate)
            if not self._repeat.is_set() or self._stop.is_set():
                return
