"""The library: pick a book (bundled stories and the family's own book files).

Next to the author's level (from the book's metadata) the table shows a reading-level
estimate of the book's text (:func:`sidekick.books.levels.estimate_level`), computed in the
loading worker and cached per file path and modification time in ``levels.json`` in the
data directory, so a later start does not estimate unchanged books again.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from sidekick.atomic_file import write_atomically
from sidekick.errors import SidekickError
from sidekick.settings import Settings
from sidekick.ui.messages import BooksLoaded, OpenBook, OpenProgress, OpenReaders, OpenSettings

if TYPE_CHECKING:
    from sidekick.books.model import Book

#: ``list_books() -> (books, problems)``, e.g. ``sidekick.books.library.list_books``.
BookLister = Callable[[], "tuple[list[Book], list[str]]"]


def default_list_books() -> tuple[list[Book], list[str]]:
    """Bundled and user books from :mod:`sidekick.books.library`."""
    from sidekick.books.library import list_books

    return list_books()


def describe_settings(settings: Settings) -> str:
    """One line about the current settings, for the library and the settings screen."""
    listening = "microphone" if settings.child_audio == "mic" else "file audio"
    line = (
        f"Reading share: {settings.share.label}  ·  Voice: {settings.voice}  ·  "
        f"Listening: {listening}"
    )
    reader = getattr(settings, "reader", None) or "Guest, not saved"
    return f"Reader: {reader}  ·  {line}"


LEVELS_FILE = "levels.json"
_levels_lock = threading.Lock()
_levels_memory: dict[str, dict[str, object]] = {}


def _levels_path() -> Path:
    from sidekick.paths import data_dir

    return data_dir() / LEVELS_FILE


def _load_level_cache() -> dict[str, dict[str, object]]:
    try:
        data = json.loads(_levels_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _save_level_cache(cache: dict[str, dict[str, object]]) -> None:
    """Write the cache atomically; a read-only or full disk only costs a later estimate."""
    path = _levels_path()
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, lambda f: json.dump(cache, f, indent=0, sort_keys=True))


def _estimate(book: Book) -> str:
    from sidekick.books.levels import estimate_level

    return estimate_level("\n\n".join(page.text for page in book.pages)).label


def reading_levels(books: list[Book]) -> list[str]:
    """The reading-level estimate's label ("K–1", "grade 2", ...) of each book.

    Cached per book file (path + modification time + size), in memory and in ``levels.json``
    in the data directory; books without a file are estimated every time.
    """
    with _levels_lock:
        if not _levels_memory:
            _levels_memory.update(_load_level_cache())
        cache = _levels_memory
        labels: list[str] = []
        changed = False
        for book in books:
            stamp: str | None = None
            if book.path is not None:
                try:
                    info = book.path.stat()
                    stamp = f"{info.st_mtime_ns}:{info.st_size}"
                except OSError:
                    stamp = None
            key = str(book.path)
            entry = cache.get(key) if stamp else None
            if entry and entry.get("stamp") == stamp and isinstance(entry.get("label"), str):
                labels.append(str(entry["label"]))
                continue
            label = _estimate(book)
            labels.append(label)
            if stamp:
                cache[key] = {"stamp": stamp, "label": label}
                changed = True
        if changed:
            _save_level_cache(cache)
    return labels


#: Terminals narrower than this show a shorter table (no author, no word count).
NARROW_BELOW = 100


class LibraryScreen(Screen[None]):
    """A table of books; Enter opens the reader."""

    BINDINGS = [
        Binding("enter", "open_book", "Read", priority=True),
        Binding("r", "readers", "Reader"),
        Binding("p", "progress", "Progress"),
        Binding("s", "settings", "Settings"),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(self, settings: Settings, list_books: BookLister | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.list_books = list_books or default_list_books
        self.books: list[Book] = []
        self.levels: list[str] = []
        self.problems: list[str] = []
        self.narrow: bool | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Pick a book to read together!", id="welcome")
        yield Static("Looking for books…", id="library-status")
        yield DataTable(id="books", cursor_type="row", zebra_stripes=True)
        yield Static("", id="problems")
        yield Static("", id="settings-summary")
        yield Static("", id="books-folder")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Library"
        self._fill_table()
        self.query_one("#problems").display = False
        from sidekick.paths import user_books_dir

        self.query_one("#books-folder", Static).update(
            f"Your own books (.txt, .md, .epub): {user_books_dir()}"
        )
        self.refresh_settings()
        # After the first paint: reading the book files imports the sentence splitter
        # (nltk, seconds on a slow machine), which must not hold up the first screen.
        self.call_after_refresh(self._start_loading)

    def _start_loading(self) -> None:
        self.run_worker(self._load_books, thread=True, name="load-books", exclusive=True)

    def on_screen_resume(self) -> None:
        self.refresh_settings()

    def refresh_settings(self) -> None:
        summary = self.query_one("#settings-summary", Static)
        summary.update(describe_settings(self.settings))

    def _load_books(self) -> None:
        """Thread worker: read the book files (parsing may take a moment) and estimate their
        reading levels."""
        try:
            books, problems = self.list_books()
        except SidekickError as exc:
            books, problems = [], [str(exc)]
        try:
            levels = reading_levels(books)
        except Exception as exc:  # an estimate is a nicety: never lose the bookshelf for it
            levels = ["?"] * len(books)
            problems = [*problems, f"Reading levels could not be estimated: {exc}"]
        self.post_message(BooksLoaded(books, problems, levels))

    def on_books_loaded(self, message: BooksLoaded) -> None:
        self.books = list(message.books)
        self.problems = list(message.problems)
        self.levels = list(message.levels or ["—"] * len(self.books))
        self._fill_table()
        status = self.query_one("#library-status", Static)
        if self.books:
            n = len(self.books)
            status.update(f"{n} book{'s' if n != 1 else ''}. Use ↑ ↓ to choose, Enter to read.")
        else:
            from sidekick.paths import user_books_dir

            status.update(f"No books found. Put book files in {user_books_dir()}")
        problems = self.query_one("#problems", Static)
        if self.problems:
            problems.update(
                "Some book files could not be opened:\n"
                + "\n".join(f"• {p}" for p in self.problems)
            )
            problems.display = True
        else:
            problems.display = False
        self.query_one("#books", DataTable).focus()

    def on_resize(self) -> None:
        if (self.app.size.width < NARROW_BELOW) != self.narrow:
            self._fill_table()

    def _fill_table(self) -> None:
        """The book table; a narrow terminal gets the columns that matter most."""
        self.narrow = narrow = self.app.size.width < NARROW_BELOW
        table = self.query_one("#books", DataTable)
        row = table.cursor_row
        table.clear(columns=True)
        table.add_column("Title", key="title")
        table.add_column("Level", key="level")
        table.add_column("Est." if narrow else "Est. level", key="estimate")
        table.add_column("Pages", key="pages")
        if not narrow:
            table.add_column("Words", key="words")
        table.add_column("From", key="from")
        for i, (book, estimate) in enumerate(zip(self.books, self.levels, strict=True)):
            title = f"{book.title} — {book.author}" if book.author and not narrow else book.title
            cells = [title, book.level or "—", estimate, str(len(book.pages))]
            if not narrow:
                cells.append(str(book.word_count))
            cells.append("Sidekick" if book.bundled else "Yours")
            table.add_row(*cells, key=str(i))
        if self.books:
            table.move_cursor(row=min(row, len(self.books) - 1))

    def selected_book(self) -> Book | None:
        table = self.query_one("#books", DataTable)
        if not self.books or table.row_count == 0:
            return None
        return self.books[table.cursor_row]

    def action_open_book(self) -> None:
        book = self.selected_book()
        if book is not None:
            self.post_message(OpenBook(book))

    def action_settings(self) -> None:
        self.post_message(OpenSettings())

    def action_progress(self) -> None:
        self.post_message(OpenProgress())

    def action_readers(self) -> None:
        self.post_message(OpenReaders())
