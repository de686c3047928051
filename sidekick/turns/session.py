"""The turn loop: the child and Sidekick take turns reading a book, page by page.

UI-agnostic: it reports everything through ``on_event`` (Textual messages in the app, JSON
lines in headless mode) and runs blocking, so the app calls :meth:`ReadingSession.run` in a
thread worker. Control methods (:meth:`end_turn`, :meth:`help_word`, ...) are thread-safe.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sidekick.audio.base import MAX_RECORDING_S, AudioSink, AudioSource
from sidekick.books.model import Book, Page
from sidekick.errors import AudioDeviceError, SidekickError
from sidekick.listening.base import SAMPLE_RATE, Hypothesis, Listener
from sidekick.reading.assess import check_reading, listen_words
from sidekick.reading.degenerate import NO_READING, SILENT_TURN_S, why_no_reading
from sidekick.reading.tracker import ReadingTracker
from sidekick.settings import Settings
from sidekick.speaking.base import SpokenSentence, Voice, style_for
from sidekick.turns import events as ev
from sidekick.turns.plan import reading_plan
from sidekick.turns.praise import PraiseMaker

if TYPE_CHECKING:
    from sidekick.progress.store import ProgressStore

SENTENCE_GAP_S = 0.35  # pause between sentences when Sidekick reads


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
        self.engine_name = ""
        self.voice_name = ""
        self._stop = threading.Event()
        self._end_turn = threading.Event()
        self._help = threading.Event()
        self._repeat = threading.Event()
        self._resume = threading.Event()
        self._resume.set()
        self._praise = PraiseMaker()
        self._files: list[Path] | None = None
        self._sink: AudioSink | None = sink
        self._turn = 0
        self._speech_threads: list[threading.Thread] = []
        self._store: ProgressStore | None = None

    # -- controls (thread-safe) -------------------------------------------------------------
    def stop(self) -> None:
        self._stop.set()
        self._end_turn.set()
        self._resume.set()
        if self._sink is not None:
            self._sink.stop()

    def end_turn(self) -> None:
        self._end_turn.set()
        if self._sink is not None:
            self._sink.stop()

    def help_word(self) -> None:
        self._help.set()

    def repeat(self) -> None:
        self._repeat.set()
        if self._sink is not None:
            self._sink.stop()

    def toggle_pause(self) -> bool:
        if self._resume.is_set():
            self._resume.clear()
            return True
        self._resume.set()
        return False

    def plan(self) -> list[ev.Reader]:
        return reading_plan(self.settings.share, len(self.book.pages), self.start_page)

    # -- setup ------------------------------------------------------------------------------
    def _setup(self) -> None:
        from sidekick.audio import devices, sinks
        from sidekick.listening import create_listener
        from sidekick.speaking.registry import load_voice

        s = self.settings
        if s.reader:
            self._open_history(s.reader)
        if self.voice is None:
            self.voice = load_voice(s.voice)
        self.voice_name = self.voice.name
        if "child" in self.plan():
            if s.child_audio != "mic":
                self._files = child_audio_files(s.child_audio)
            elif (reason := devices.probe_input()) and not self.manual_fallback:
                raise AudioDeviceError(f"No microphone: {reason}. Use --child-audio FILE_OR_DIR.")
            elif reason:
                self.emit(ev.Notice(
                    f"No microphone: {reason}. Press Enter when the page is read, "
                    "or choose file audio in Settings."
                ))  # fmt: skip
            if self.listener is None and (self._files is not None or s.child_audio == "mic"):
                self.listener, notice = create_listener(s.engine, s.vosk_model)
                if notice:
                    self.emit(ev.Notice(notice))
            elif self.listener is not None:
                self.listener.new_reader()  # one given to this session may know another reader
        self.engine_name = self.listener.name if self.listener else "none"
        if self._sink is not None:
            pass
        elif s.speech_out != "speaker":
            self._sink = sinks.WavDirSink(Path(s.speech_out).expanduser())
        elif reason := devices.probe_output():
            self.emit(ev.Notice(f"No speaker: {reason}. Sidekick's reading is shown on screen."))
            self._sink = sinks.SilentSink()
        else:
            self._sink = sinks.SpeakerSink()
        self.emit(ev.SessionStart(self.book.title, self.engine_name, self.voice_name, self.plan()))
        for note in self.book.notes:
            self.emit(ev.Notice(note))

    def _open_history(self, reader: str) -> None:
        """Record every checked child turn of ``reader`` in the progress database."""
        from sidekick.progress.recorder import TurnRecorder
        from sidekick.progress.store import ProgressStore

        self._store = store = ProgressStore()
        if store.recovered is not None:
            self.emit(ev.Notice(str(store.recovered)))
        recorder = TurnRecorder(store, reader, self.book)
        show = self.emit

        def emit(event: ev.Event) -> None:
            recorder(event)  # stored before anyone hears of it
            show(event)

        self.emit = emit

    def _next_source(self) -> AudioSource | None:
        """Audio for the next child turn, or None for manual advance."""
        from sidekick.audio import sources

        if self._files is not None:
            if not self._files:
                return None
            return sources.WavFileSource(self._files.pop(0), realtime=self.settings.realtime)
        try:
            return sources.MicrophoneSource(self.settings.input_device)
        except AudioDeviceError:
            return None

    # -- the loop ---------------------------------------------------------------------------
    def run(self) -> None:
        try:
            self._run()
        finally:
            if self._store is not None:
                self._store.close()

    def _run(self) -> None:
        self._setup()
        pages = self.book.pages[self.start_page - 1 :]
        for page, reader in zip(pages, self.plan(), strict=True):
            if self._stop.is_set():
                break
            if reader == "child" and self._files is not None and not self._files:
                self.emit(ev.Notice("No more child audio files: stopping."))
                break
            self._turn += 1
            self._end_turn.clear()
            self.emit(ev.TurnStart(self._turn, reader, page.number))
            t0 = time.monotonic()
            if reader == "child":
                read, assisted, audio_s, heard = self._child_turn(page)
                if heard:
                    self.emit(ev.Praise(self._praise.praise(page.words, read, assisted)))
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
            self.emit(ev.PageDone(page.number))
        else:
            self.emit(ev.BookDone(self.book.title))
        for thread in self._speech_threads:
            thread.join()

    def _child_turn(self, page: Page) -> tuple[set[int], set[int], float, bool]:
        """One child turn; returns the words read (correct or self-corrected), the words
        Sidekick helped with, the seconds of audio heard, and whether any reading was heard
        (a turn without is not scored: :mod:`sidekick.reading.degenerate`). The turn ends
        after MAX_RECORDING_S, or after SILENT_TURN_S with no word heard at all."""
        words = page.words
        tracker = ReadingTracker([w.norm for w in words], stall_s=self.settings.stall_s)
        source = self._next_source() if self.listener else None
        self.emit(ev.CurrentWord(page.number, 0))
        if source is None:  # manual advance: wait for the key
            while not self._end_turn.wait(0.1):
                if self._help.is_set():
                    self._help.clear()
                    self._say_word(page, tracker.help_current(0.0), 0.0)
            return set(), tracker.assisted, 0.0, True
        assert self.listener is not None
        written = [w.text for w in words]
        self.listener.start(*listen_words(written))
        audio = bytearray()  # the turn's audio, in memory only, for the second look
        t = 0.0
        heard_any = False
        try:
            for chunk in source.chunks():
                self._resume.wait()
                audio += chunk
                t += len(chunk) / (2 * SAMPLE_RATE)
                hyp = self.listener.accept(chunk)
                heard_any = heard_any or bool(hyp.words)
                self._apply(page, tracker, hyp, t)
                if self._help.is_set():
                    self._help.clear()
                    self._say_word(page, tracker.help_current(t), t)
                if tracker.finished or self._end_turn.is_set() or t >= MAX_RECORDING_S:
                    break
                if not heard_any and t >= SILENT_TURN_S:
                    break
        finally:
            source.close()
        final = self.listener.finish()
        self._apply(page, tracker, final, t, final=True)
        reason = why_no_reading(bytes(audio)) or (
            None if final.words else f"{NO_READING}: no words were heard."
        )
        if reason:
            del audio
            self.emit(ev.Notice(reason))
            return set(), tracker.assisted, t, False
        check = check_reading(
            self.listener, written, final.words, bytes(audio),
            stall_s=self.settings.stall_s, assisted=tracker.assisted,
        )  # fmt: skip
        del audio
        result = check.to_json()
        self.emit(ev.ReadingChecked(
            self._turn, page.number, result["summary"], result["words"],
            result["insertions"], result["repetitions"],
        ))  # fmt: skip
        read = {w.index for w in check.words if w.status in ("correct", "self_corrected")}
        helped = {w.index for w in check.words if w.status == "assisted"}
        return read, helped, t, True

    def _apply(
        self, page: Page, tracker: ReadingTracker, hyp: Hypothesis, t: float, final: bool = False
    ) -> None:
        progress = tracker.update(hyp, t)
        for i in progress.read:
            self.emit(ev.WordRead(page.number, i, page.words[i].text, round(t, 2)))
        if progress.stuck is not None and not final:
            self._say_word(page, progress.stuck, t)
        if (progress.read or progress.stuck is not None) and not tracker.finished:
            self.emit(ev.CurrentWord(page.number, tracker.position))

    def _say_word(self, page: Page, index: int | None, t: float) -> None:
        if index is None:
            return
        word = page.words[index]
        self.emit(ev.StuckWordHelped(page.number, index, word.text, round(t, 2)))
        assert self.voice is not None
        spoken = self.voice.speak(word.text, style=style_for(self.voice, "instruction"), rate=0.9)
        audio = np.concatenate([s.audio for s in spoken])
        # Played beside the listening loop, so the child's audio keeps flowing meanwhile.
        thread = threading.Thread(target=self._play, args=(audio, self.voice.sample_rate))
        thread.start()
        self._speech_threads.append(thread)

    def _play(self, audio: np.ndarray, sample_rate: int) -> None:
        assert self._sink is not None
        self._sink.play(audio, sample_rate)
        if path := getattr(self._sink, "last_path", None):
            self.emit(ev.SpeechWritten(str(path)))

    def _sentences(self, page: Page) -> Iterator[tuple[int, SpokenSentence]]:
        """Synthesize ahead in a thread: piece n+1 is made while piece n plays. When the
        consumer stops early (the turn ended), the producer notices and exits."""
        assert self.voice is not None
        out: queue.Queue = queue.Queue(maxsize=4)
        abandoned = threading.Event()

        def put(item: tuple[int, SpokenSentence] | None) -> bool:
            while not abandoned.is_set():
                try:
                    out.put(item, timeout=0.1)
                    return True
                except queue.Full:
                    pass
            return False

        def produce() -> None:
            try:
                for sentence in page.sentences:
                    if self._stop.is_set() or self._end_turn.is_set():
                        break
                    first = sentence.words[0].index if sentence.words else 0
                    for spoken in self.voice.speak(
                        sentence.text, style=style_for(self.voice, "narration"),
                        rate=self.settings.rate,
                    ):  # fmt: skip
                        if not put((first, spoken)):
                            return
            finally:
                put(None)

        threading.Thread(target=produce, daemon=True).start()
        try:
            while (item := out.get()) is not None:
                yield item
        finally:
            abandoned.set()

    def _sidekick_turn(self, page: Page) -> None:
        assert self._sink is not None and self.voice is not None
        from sidekick.audio.sinks import play_stream

        while True:
            self._repeat.clear()
            rate = self.voice.sample_rate
            gap = np.zeros(int(SENTENCE_GAP_S * rate), dtype=np.float32)

            def pieces(gap: np.ndarray = gap) -> Iterator[np.ndarray]:
                """The turn's audio as it is made; a WAV sink gets it as one file."""
                new_sentence = True
                for first_word, spoken in self._sentences(page):
                    self._resume.wait()
                    if self._end_turn.is_set() or self._repeat.is_set():
                        return
                    if new_sentence:
                        self.emit(ev.CurrentWord(page.number, first_word))
                    yield spoken.audio
                    if spoken.final:
                        yield gap
                    new_sentence = spoken.final

            before = getattr(self._sink, "last_path", None)
            play_stream(self._sink, pieces(), rate)
            if (path := getattr(self._sink, "last_path", None)) and path != before:
                self.emit(ev.SpeechWritten(str(path)))
            if not self._repeat.is_set() or self._stop.is_set():
                return
