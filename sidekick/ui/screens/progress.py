"""Progress: for each reader, books and pages read, the WCPM trend, accuracy over time and the
words to practise (``t`` opens practice mode with them).

The data comes from a :class:`~sidekick.progress.store.ProgressStore` (one summary query and
one challenge-word query), read in a thread worker so the screen never waits on the disk.
"""

from __future__ import annotations

import time
from datetime import datetime

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static, Tab, Tabs

from sidekick.errors import SidekickError
from sidekick.progress.records import ChallengeWord, ProgressSummary
from sidekick.progress.store import ProgressStore
from sidekick.ui.messages import OpenPractice, ProgressFailed, ProgressLoaded
from sidekick.ui.widgets.trend import BandStrip, TrendPlot

#: Terminals narrower than this show the words box under the history, not beside it.
NARROW_BELOW = 110
#: How many challenge words are listed, and how many a practice round takes.
CHALLENGE_WORDS = 10
PRACTICE_WORDS = 5


def local_day(iso: str) -> str:
    """A stored UTC ISO time as the local calendar day, e.g. ``"2025-03-01"``."""
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone().date().isoformat()
    except ValueError:
        return iso[:10]


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def describe_totals(summary: ProgressSummary) -> str:
    """Two lines: books, pages and turns; then words, accuracy and reading time (and the
    words the check was not sure of, which count as read)."""
    if not summary.turns:
        return "No reading stored yet.\nPick a book and read together!"
    minutes = round(summary.reading_s / 60)
    not_sure = f" ({summary.not_sure} not sure)" if summary.not_sure else ""
    return (
        f"{plural(len(summary.books), 'book')} · {plural(summary.pages_read, 'page')} read · "
        f"{plural(summary.turns, 'turn')}\n"
        f"{plural(summary.words_read, 'word')} · {summary.accuracy:.0%} read right{not_sure} · "
        f"{plural(minutes, 'minute')} of reading"
    )


class ProgressScreen(Screen[None]):
    """One reader's reading history at a glance; a tab per reader when there are several
    (← → switch)."""

    BINDINGS = [
        Binding("t", "practise", "Practise words"),
        Binding("escape", "back", "Library"),
    ]

    def __init__(self, store: ProgressStore, reader: str | None = None) -> None:
        """``reader``: the reader shown first (default: the first one by name)."""
        super().__init__()
        self.store = store
        self.reader = reader
        self.readers: list[str] = []
        self.summary: ProgressSummary | None = None
        self.words: list[ChallengeWord] = []
        self.loaded = False
        self._opened_at = time.perf_counter()
        #: Seconds from opening the screen until its data was first drawn (for benchmarks).
        self.shown_after_s: float | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Tabs(id="readers")
        with Horizontal(id="progress-body"):
            with VerticalScroll(id="progress-main"):
                yield Static("Looking up the reading history…", id="progress-reader")
                yield Static("", id="progress-totals")
                yield TrendPlot("Words correct per minute", id="wcpm-trend")
                yield Static("Accuracy by day", id="band-title")
                yield BandStrip(id="band-strip")
                yield Static("Books", classes="box-title")
                yield DataTable(id="progress-books", cursor_type="row")
            with Vertical(id="words-box"):
                yield Static("Words to practise", classes="box-title")
                yield DataTable(id="challenge-words", cursor_type="row")
                yield Static("", id="practice-hint")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Progress"
        books = self.query_one("#progress-books", DataTable)
        books.add_columns("Book", "Pages", "Turns", "Last read")
        words = self.query_one("#challenge-words", DataTable)
        words.add_columns("Word", "Missed", "Helped", "Practice")
        self.query_one("#readers").display = False
        self.set_class(self.app.size.width < NARROW_BELOW, "-narrow")
        self.load()

    def on_resize(self) -> None:
        self.set_class(self.app.size.width < NARROW_BELOW, "-narrow")

    def on_screen_resume(self) -> None:
        if self.loaded:
            self.load()  # back from practice: show the new practice counts

    # -- data ------------------------------------------------------------------------------
    def load(self, reader: str | None = None) -> None:
        """Read the reader's progress in a thread worker (``reader``: switch to them)."""
        if reader is not None:
            self.reader = reader
        self.run_worker(self._load, thread=True, name="load-progress", group="progress",
                        exclusive=True)  # fmt: skip

    def _load(self) -> None:
        """Thread worker: everything the screen shows, in two queries."""
        readers: list[str] = []
        try:
            readers = [r.name for r in self.store.list_readers()]
            if not readers:
                self.post_message(ProgressLoaded([], None, None, []))
                return
            wanted = self.reader
            found = self.store.find_reader(wanted) if wanted else None
            name = found.name if found else readers[0]
            summary = self.store.progress_summary(name)
            words = self.store.challenge_words(name, limit=CHALLENGE_WORDS)
        except SidekickError as exc:
            self.post_message(ProgressFailed(str(exc), readers))
            return
        if wanted and found is None:
            self.post_message(ProgressFailed(f"No reader named {wanted!r}.", readers))
        self.post_message(ProgressLoaded(readers, name, summary, words))

    def on_progress_failed(self, message: ProgressFailed) -> None:
        self.notify(message.error, title="Progress", severity="error", timeout=8)
        if not self.loaded:
            self.query_one("#progress-reader", Static).update(message.error)

    def on_progress_loaded(self, message: ProgressLoaded) -> None:
        if not self.loaded:
            self.call_after_refresh(self._first_drawn)
        self.loaded = True
        self._show_readers(message.readers, message.reader)
        title = self.query_one("#progress-reader", Static)
        if message.reader is None or not isinstance(message.summary, ProgressSummary):
            self.summary, self.words = None, []
            title.update(
                "No readers yet. Press Esc, then r in the library to add one\n"
                "(or run  sidekick readers add NAME)."
            )
            self._show_summary(None, [])
            return
        self.reader = message.reader
        self.summary = message.summary
        self.words = list(message.words)
        reader = message.summary.reader
        grade = f"  ·  grade {reader.grade_label}" if reader.grade_label else ""
        title.update(f"{reader.name}{grade}")
        self._show_summary(message.summary, self.words)
        self.refresh_bindings()

    def _first_drawn(self) -> None:
        self.shown_after_s = time.perf_counter() - self._opened_at

    def _show_readers(self, readers: list[str], current: str | None) -> None:
        tabs = self.query_one("#readers", Tabs)
        if readers != self.readers:
            self.readers = list(readers)
            with tabs.prevent(Tabs.TabActivated):
                tabs.clear()
                for i, name in enumerate(readers):
                    tabs.add_tab(Tab(name, id=f"reader-{i}"))
        tabs.display = len(readers) > 1
        if current in readers:
            with tabs.prevent(Tabs.TabActivated):
                tabs.active = f"reader-{readers.index(current)}"
        if tabs.display and self.focused is None:
            tabs.focus()

    def _show_summary(self, summary: ProgressSummary | None, words: list[ChallengeWord]) -> None:
        self.query_one("#progress-totals", Static).update(
            describe_totals(summary) if summary is not None else ""
        )
        self.query_one("#wcpm-trend", TrendPlot).set_points(
            summary.wcpm_trend if summary is not None else []
        )
        self.query_one("#band-strip", BandStrip).set_days(
            summary.band_trend if summary is not None else []
        )
        books = self.query_one("#progress-books", DataTable)
        books.clear()
        for book in summary.books if summary is not None else []:
            books.add_row(book.title, str(book.pages_read), str(book.turns),
                          local_day(book.last_read))  # fmt: skip
        table = self.query_one("#challenge-words", DataTable)
        table.clear()
        for w in words:
            practised = f"{w.practiced_correct}/{w.practiced}" if w.practiced else "—"
            table.add_row(w.word, str(w.missed), str(w.assisted), practised)
        n = min(len(words), PRACTICE_WORDS)
        self.query_one("#practice-hint", Static).update(
            f"Press t to practise {'this word' if n == 1 else f'the first {n}'} with Sidekick."
            if n
            else "No tricky words yet. Keep reading!"
        )

    # -- keys ------------------------------------------------------------------------------
    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        tab_id = event.tab.id or ""
        index = int(tab_id.rpartition("-")[2]) if tab_id.startswith("reader-") else -1
        if 0 <= index < len(self.readers) and self.readers[index] != self.reader:
            self.load(self.readers[index])

    def practice_words(self) -> list[str]:
        """The words a practice round takes: the most frequent challenge words."""
        return [w.word for w in self.words[:PRACTICE_WORDS]]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "practise" and not self.practice_words():
            return None  # shown greyed out until there are words to practise
        return True

    def action_practise(self) -> None:
        words = self.practice_words()
        if self.reader and words:
            self.post_message(OpenPractice(self.reader, words))

    def action_back(self) -> None:
        self.dismiss()
