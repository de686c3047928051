"""The reader: the page with live highlighting, whose turn it is, the plan, notices, praise.

The reading itself happens in a session object (``sidekick.turns.session.ReadingSession``)
that runs in a thread worker; its events come back as :class:`SessionEvent` messages.

The page text always keeps the room it needs: on a short terminal (under
:data:`COMPACT_BELOW` rows) the banner, notices and praise shrink to one line each, and the
notices can be hidden with ``x``. At the end of the book a summary replaces the page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from sidekick.books.model import Book
from sidekick.errors import SidekickError
from sidekick.settings import Settings
from sidekick.turns.events import (
    BookDone,
    CurrentWord,
    Event,
    Notice,
    PageDone,
    Praise,
    Reader,
    ReadingChecked,
    SessionStart,
    SpeechWritten,
    StuckWordHelped,
    TurnEnd,
    TurnStart,
    WordRead,
)
from sidekick.ui.messages import (
    PageReached,
    SessionEnded,
    SessionEvent,
    SessionFailed,
    problem_text,
)
from sidekick.ui.widgets.big_word import BigWord
from sidekick.ui.widgets.page_view import PageView
from sidekick.ui.widgets.plan_bar import PlanBar
from sidekick.ui.widgets.trend import BAND_WORDS
from sidekick.ui.widgets.turn_banner import BannerState, TurnBanner

MAX_NOTICES = 3
#: Terminals shorter than this get the compact layout (one-line banner, notices, praise).
COMPACT_BELOW = 32
#: Rows the big letters of a word shown for the child may use (compact layout, and not).
SHORT_WORD_ROWS, TALL_WORD_ROWS = 3, 7


class Session(Protocol):
    """What the reader needs from a reading session (``ReadingSession`` implements it)."""

    def run(self) -> None: ...
    def stop(self) -> None: ...
    def end_turn(self) -> None: ...
    def next_page(self) -> None: ...
    def previous_page(self) -> None: ...
    def help_word(self) -> None: ...
    def repeat(self) -> None: ...
    def toggle_pause(self) -> bool: ...
    def plan(self) -> list[Reader]: ...


#: ``factory(book, settings, on_event, start_page=1) -> Session``
SessionFactory = Callable[..., Session]


class ReaderScreen(Screen[None]):
    """Reads one book with the child, turn by turn."""

    BINDINGS = [
        Binding("space", "toggle_pause", "Pause"),
        Binding("r", "repeat", "Read again"),
        Binding("b", "previous_page", "Page back"),
        Binding("n", "next_page", "Next page"),
        Binding("enter", "next_page", "Next page", show=False),
        Binding("w", "help_word", "Say word"),
        Binding("x", "hide_notices", "Hide notes"),
        Binding("escape", "back", "Library"),
    ]

    SESSION_ACTIONS = {"toggle_pause", "repeat", "previous_page", "next_page", "help_word"}

    def __init__(
        self,
        book: Book,
        settings: Settings,
        session_factory: SessionFactory,
        *,
        start_page: int = 1,
    ) -> None:
        super().__init__()
        self.book = book
        self.settings = settings
        self.session_factory = session_factory
        self.start_page = start_page
        self.session: Session | None = None
        self.running = False
        self.paused = False
        self.reader: Reader | None = None
        self.notices: list[str] = []
        self._pages = {p.number: p for p in book.pages}
        self._turn_banner: tuple[BannerState, str] = ("waiting", "Getting ready…")
        self._turn_first_word: int | None = None
        self._last_speech = ""
        self.silent = False  # no speaker: helped words are shown large instead of heard
        self.page_number = start_page
        self.finished = False
        self.checks: list[ReadingChecked] = []
        self.pages_read: dict[int, Reader] = {}

    # -- layout ------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        yield TurnBanner(id="banner")
        yield PlanBar(id="plan")
        yield Static("", id="engine")
        yield Static("", id="notices")
        with VerticalScroll(id="page-scroll"):
            yield PageView(id="page")
            yield Static("", id="summary")
        yield BigWord(id="word-card")
        yield Static("", id="praise")
        yield Footer()

    @property
    def banner(self) -> TurnBanner:
        return self.query_one("#banner", TurnBanner)

    @property
    def page_view(self) -> PageView:
        return self.query_one("#page", PageView)

    @property
    def plan_bar(self) -> PlanBar:
        return self.query_one("#plan", PlanBar)

    def on_mount(self) -> None:
        reader = self.settings.reader or "Guest, not saved"
        self.sub_title = f"{self.book.title} · Reader: {reader}"
        total = len(self.book.pages)
        first = self._pages.get(self.start_page) or (self.book.pages[0] if total else None)
        if first is not None:
            self.page_view.show_page(first)
            self.banner.set_page(first.number, total)
            self.plan_bar.set_current(first.number)
        for hidden in ("#notices", "#praise", "#word-card", "#summary"):
            self.query_one(hidden).display = False
        self._fit(self.app.size.height)
        self._start_session()

    def on_resize(self) -> None:
        self._fit(self.app.size.height)

    def _fit(self, height: int) -> None:
        """Compact layout on short terminals, so the page text keeps its room."""
        self.set_class(height < COMPACT_BELOW, "-compact")
        self.query_one(Footer).compact = self.app.size.width < 100
        if self.notices:
            self._show_notices()

    def on_unmount(self) -> None:
        self._stop_session()

    # -- the session -------------------------------------------------------------------
    def _emit(self, event: Event) -> None:
        """The session's ``on_event`` callback; called on the session's thread."""
        self.post_message(SessionEvent(event))

    def _start_session(self) -> None:
        try:
            self.session = self.session_factory(
                self.book, self.settings, self._emit, start_page=self.start_page
            )
        except SidekickError as exc:
            self.on_session_failed(SessionFailed(str(exc)))
            return
        self._show_plan(self.session)
        self.running = True
        self.refresh_bindings()
        self.run_worker(
            self._run_session, thread=True, name="reading-session", group="session",
            exit_on_error=False,
        )  # fmt: skip

    def _run_session(self) -> None:
        """Thread worker: the session's blocking turn loop."""
        assert self.session is not None
        try:
            self.session.run()
        except SidekickError as exc:
            self.post_message(SessionFailed(str(exc)))
        except Exception as exc:  # show it instead of crashing in the child's face
            self.post_message(SessionFailed(problem_text(exc)))
            raise
        finally:
            self.post_message(SessionEnded())

    def _stop_session(self) -> None:
        if self.session is not None and self.running:
            self.session.stop()
        self.running = False

    def _show_plan(self, session: Session) -> None:
        try:
            readers = list(session.plan())
        except SidekickError:
            return
        if not readers:
            return
        # A plan for the whole book, or for the pages from start_page on.
        offset = 1 if len(readers) == len(self.book.pages) else self.start_page
        self.plan_bar.set_plan({offset + i: r for i, r in enumerate(readers)})

    def _update_engine_line(self) -> None:
        engine = getattr(self.session, "engine_name", "") or ""
        voice = getattr(self.session, "voice_name", "") or ""
        parts = []
        if engine and engine != "none":
            parts.append(f"Listening: {engine}")
        if voice:
            parts.append(f"Voice: {voice}")
        if self._last_speech:
            parts.append(f"Speech saved: {self._last_speech}")
        self.query_one("#engine", Static).update("  ·  ".join(parts))

    def _add_notice(self, text: str, *, error: bool = False) -> None:
        self.notices = [*self.notices, text][-MAX_NOTICES:]
        notices = self.query_one("#notices", Static)
        notices.set_class(error, "-error")
        notices.display = True  # a new notice is shown even after x hid the others
        self._show_notices()
        self.refresh_bindings()

    def _show_notices(self) -> None:
        """All notices, or on a short terminal the latest one on one line."""
        notices = self.query_one("#notices", Static)
        if self.has_class("-compact") and len(self.notices) > 1:
            more = len(self.notices) - 1
            notices.update(f"(+{more} more) {self.notices[-1]}")
        else:
            notices.update("\n".join(self.notices))

    def _show_word_card(self, word: str) -> None:
        """With no speaker, the helped word is shown large and spelled out."""
        card = self.query_one("#word-card", BigWord)
        card.rows = SHORT_WORD_ROWS if self.has_class("-compact") else TALL_WORD_ROWS
        card.word = word
        card.display = True

    def _set_turn_banner(self, state: BannerState, message: str) -> None:
        self._turn_banner = (state, message)
        if not self.paused:
            self.banner.set_state(state, message)

    # -- events from the session ---------------------------------------------------------
    def on_session_event(self, message: SessionEvent) -> None:
        self._update_engine_line()
        self.apply_event(message.event)

    def apply_event(self, event: Event) -> None:
        """Update the widgets for one session event."""
        view = self.page_view
        shown = view.page.number if view.page is not None else None
        match event:
            case TurnStart(reader=reader, page=page):
                self.reader = reader
                self.page_number = page
                self._turn_first_word = None
                self.query_one("#word-card").display = False
                if page in self._pages:
                    if page != shown:
                        self.query_one("#page-scroll").scroll_home(animate=False)
                    view.show_page(self._pages[page])
                view.set_current(None)
                view.set_reading(set())
                self.banner.set_page(page, len(self.book.pages))
                self.plan_bar.set_current(page)
                if reader == "child":
                    self.query_one("#praise").display = False
                self._set_turn_banner(reader, TurnBanner.message_for(reader))
                self.refresh_bindings()
            case WordRead(page=page, index=index) if page == shown:
                view.mark_read(index)
            case CurrentWord(page=page, index=index) if page == shown:
                if self.reader == "sidekick":
                    if self._turn_first_word is None:
                        self._turn_first_word = index
                    view.mark_spoken(range(self._turn_first_word, index))
                    view.set_reading(view.sentence_of(index))
                view.set_current(index)
            case StuckWordHelped(page=page, index=index, word=word) if page == shown:
                view.mark_helped(index)
                if self.silent:
                    self._show_word_card(word)
            case Praise(text=text):
                praise = self.query_one("#praise", Static)
                praise.update(f"★ {text}")
                praise.display = True
            case TurnEnd(reader=reader, page=page, words_read=read, words_total=total):
                self.query_one("#word-card").display = False
                view.set_current(None)
                view.set_reading(set())
                if reader == "child":
                    self._set_turn_banner("ended", f"Page done: {read} of {total} words read.")
                else:
                    if page == shown and view.page is not None and read >= total:
                        view.mark_spoken({w.index for w in view.page.words})
                    self._set_turn_banner("ended", f"Sidekick finished page {page}.")
            case PageDone(page=page):
                self.plan_bar.mark_done(page)
                if self.reader is not None:
                    self.pages_read[page] = self.reader
                self.post_message(PageReached(self.book, page + 1))
            case ReadingChecked():
                self.checks.append(event)
            case BookDone(title=title):
                self.finished = True
                self.post_message(PageReached(self.book, len(self.book.pages) + 1))
                self.query_one("#praise").display = False
                self.query_one("#word-card").display = False
                self._show_summary()
                self._set_turn_banner("done", f"The end of “{title}”! Esc: back to the library.")
                self.refresh_bindings()
            case Notice(text=text):
                self._add_notice(text)
            case SessionStart(silent=silent):
                self.silent = silent
                self._update_engine_line()
            case SpeechWritten(path=path):
                self._last_speech = path
                self._update_engine_line()

    def summary_text(self) -> str:
        """The end-of-book summary: pages, words correct a minute, accuracy, words to
        practise (from the reading checks of the child's pages: those missed on two turns
        or said for the child, see :func:`~sidekick.progress.records.worth_practising`)."""
        from sidekick.progress.records import MISS_KINDS, shown_form, worth_practising
        from sidekick.reading.result import band
        from sidekick.words import normalize_word

        child = sum(1 for r in self.pages_read.values() if r == "child")
        lines = [
            f"You finished “{self.book.title}”!",
            "",
            f"Pages: {len(self.pages_read)} (you read {child}, Sidekick read "
            f"{len(self.pages_read) - child})",
        ]
        total = sum(len(c.words) for c in self.checks)
        if total:
            correct = sum(int(c.summary["words_correct"]) for c in self.checks)
            seconds = sum(float(c.summary["duration_s"]) for c in self.checks)
            accuracy = correct / total
            wcpm = round(correct * 60 / seconds) if seconds > 0 else 0
            lines.append(f"Words correct a minute: {wcpm}")
            level = band(accuracy)
            lines.append(f"Accuracy: {accuracy:.0%}, {BAND_WORDS.get(level, level)} ({level} band)")
            missed: dict[str, list[str]] = {}  # one word however written -> the book's forms
            turns: dict[str, set[tuple[int, int]]] = {}
            helped: dict[str, int] = {}
            for c in self.checks:
                for w in c.words:
                    if w["status"] in MISS_KINDS and (k := normalize_word(w["word"])):
                        missed.setdefault(k, []).append(w["word"])
                        turns.setdefault(k, set()).add((c.turn, c.page))
                        helped[k] = helped.get(k, 0) + (w["status"] == "assisted")
            practised = [k for k in missed if worth_practising(len(turns[k]), helped[k])]
            most = sorted((missed[k] for k in practised), key=len, reverse=True)[:8]
            practise = ", ".join(shown_form(forms) for forms in most)
            if not practise:  # a word missed once is listed when it is missed again
                practise = "none yet" if missed else "none, well done!"
            lines.append(f"Words to practise: {practise}")
        else:
            lines.append("No reading was checked on this visit.")
        lines += ["", "Press Esc to go back to the library."]
        return "\n".join(lines)

    def _show_summary(self) -> None:
        summary = self.query_one("#summary", Static)
        summary.update(self.summary_text())
        self.page_view.display = False
        summary.display = True
        self.query_one("#page-scroll").scroll_home(animate=False)

    def on_session_failed(self, message: SessionFailed) -> None:
        self._set_turn_banner("error", "Something went wrong. Press Esc for the library.")
        self._add_notice(message.error, error=True)
        self.notify(message.error, title="Sidekick", severity="error", timeout=10)

    def on_session_ended(self, _message: SessionEnded) -> None:
        self.running = False
        self.refresh_bindings()
        if self._turn_banner[0] not in ("done", "error"):
            self._set_turn_banner("done", "Reading stopped. Press Esc for the library.")

    # -- keys ----------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys that cannot work now are hidden from the footer (False)."""
        if action in self.SESSION_ACTIONS and (not self.running or self.finished):
            return False
        if action == "repeat":  # Sidekick reads its page again; the child's turn goes on
            return self.reader == "sidekick"
        if action == "help_word":
            return self.reader == "child"
        if action == "previous_page":
            return self.page_number > 1
        if action == "hide_notices":
            return bool(self.notices) and self.query_one("#notices").display
        return True

    def action_toggle_pause(self) -> None:
        if self.session is None:
            return
        self.paused = self.session.toggle_pause()
        if self.paused:
            self.banner.set_state("paused", "Paused — press Space to go on.")
        else:
            self.banner.set_state(*self._turn_banner)

    def action_repeat(self) -> None:
        if self.session is not None:
            self.session.repeat()

    def action_next_page(self) -> None:
        if self.session is not None:
            self.session.next_page()

    def action_previous_page(self) -> None:
        if self.session is not None:
            self.session.previous_page()

    def action_hide_notices(self) -> None:
        self.query_one("#notices").display = False
        self.refresh_bindings()

    def action_help_word(self) -> None:
        if self.session is not None:
            self.session.help_word()

    def action_back(self) -> None:
        self._stop_session()
        self.dismiss()
