"""The library: pick a book (bundled stories and the family's own book files)."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from sidekick.books.model import Book
from sidekick.errors import SidekickError
from sidekick.settings import Settings
from sidekick.ui.messages import BooksLoaded, OpenBook, OpenSettings

#: ``list_books() -> (books, problems)``, e.g. ``sidekick.books.library.list_books``.
BookLister = Callable[[], tuple[list[Book], list[str]]]


def default_list_books() -> tuple[list[Book], list[str]]:
    """Bundled and user books from :mod:`sidekick.books.library`."""
    from sidekick.books.library import list_books

    return list_books()


def describe_settings(settings: Settings) -> str:
    """One line about the current settings, for the library and the settings screen."""
    listening = "microphone" if settings.child_audio == "mic" else "file audio"
    return (
        f"Reading share: {settings.share.label}  ·  Voice: {settings.voice}  ·  "
        f"Listening: {listening}"
    )


class LibraryScreen(Screen[None]):
    """A table of books; Enter opens the reader."""

    BINDINGS = [
        Binding("enter", "open_book", "Read", priority=True),
        Binding("s", "settings", "Settings"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, settings: Settings, list_books: BookLister | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.list_books = list_books or default_list_books
        self.books: list[Book] = []
        self.problems: list[str] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Pick a book to read together!", id="welcome")
        yield Static("Looking for books…", id="library-status")
        yield DataTable(id="books", cursor_type="row", zebra_stripes=True)
        yield Static("", id="problems")
        yield Static("", id="settings-summary")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Library"
        table = self.query_one("#books", DataTable)
        table.add_column("Title", key="title")
        table.add_column("Level", key="level")
        table.add_column("Pages", key="pages")
        table.add_column("Words", key="words")
        table.add_column("From", key="from")
        self.query_one("#problems").display = False
        self.refresh_settings()
        self.run_worker(self._load_books, thread=True, name="load-books", exclusive=True)

    def on_screen_resume(self) -> None:
        self.refresh_settings()

    def refresh_settings(self) -> None:
        summary = self.query_one("#settings-summary", Static)
        summary.update(describe_settings(self.settings))

    def _load_books(self) -> None:
        """Thread worker: read the book files (parsing may take a moment)."""
        try:
            books, problems = self.list_books()
        except SidekickError as exc:
            books, problems = [], [str(exc)]
        self.post_message(BooksLoaded(books, problems))

    def on_books_loaded(self, message: BooksLoaded) -> None:
        self.books = list(message.books)
        self.problems = list(message.problems)
        table = self.query_one("#books", DataTable)
        table.clear()
        for i, book in enumerate(self.books):
            title = f"{book.title} — {book.author}" if book.author else book.title
            table.add_row(
                title,
                book.level or "—",
                str(len(book.pages)),
                str(book.word_count),
                "Sidekick" if book.bundled else "Your books",
                key=str(i),
            )
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
        table.focus()

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
