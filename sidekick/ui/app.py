"""The Sidekick Textual app: library -> reader, plus settings."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import App

from sidekick.books.model import Book
from sidekick.settings import Settings
from sidekick.turns.events import Event
from sidekick.ui.messages import OpenBook, OpenSettings
from sidekick.ui.screens.library import BookLister, LibraryScreen
from sidekick.ui.screens.reader import ReaderScreen, Session, SessionFactory
from sidekick.ui.screens.settings import SettingsScreen


def default_session_factory(
    book: Book, settings: Settings, on_event: Callable[[Event], None], *, start_page: int = 1
) -> Session:
    """Make the real :class:`sidekick.turns.session.ReadingSession` (imported on first use)."""
    from sidekick.turns.session import ReadingSession

    return ReadingSession(book, settings, on_event, start_page=start_page)


def default_voices() -> list[str]:
    """The voices installed on this machine."""
    from sidekick.speaking.registry import available_voices

    return available_voices()


class SidekickApp(App[None]):
    """An offline reading companion: pick a book, then take turns reading it aloud."""

    TITLE = "Sidekick"
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = False

    def __init__(
        self,
        settings: Settings,
        book: Book | None = None,
        session_factory: SessionFactory | None = None,
        voices: list[str] | Callable[[], list[str]] | None = None,
        *,
        list_books: BookLister | None = None,
    ) -> None:
        """``session_factory(book, settings, on_event, start_page=...)`` makes the session
        (default: ``ReadingSession``); ``voices`` lists the selectable voices (or a callable
        returning them; default: the installed ones); ``list_books`` feeds the library
        (default: ``sidekick.books.library.list_books``)."""
        super().__init__()
        self.settings = settings
        self.book = book
        self.session_factory: SessionFactory = session_factory or default_session_factory
        self._voices = voices
        self.list_books = list_books

    def on_mount(self) -> None:
        self.theme = "gruvbox"
        self.push_screen(LibraryScreen(self.settings, self.list_books))
        if self.book is not None:
            self.open_book(self.book)

    @property
    def voices(self) -> list[str]:
        if self._voices is None:
            return default_voices()
        return list(self._voices() if callable(self._voices) else self._voices)

    def open_book(self, book: Book, *, start_page: int = 1) -> None:
        self.push_screen(
            ReaderScreen(book, self.settings, self.session_factory, start_page=start_page)
        )

    def open_settings(self) -> None:
        self.push_screen(SettingsScreen(self.settings, self.voices))

    def on_open_book(self, message: OpenBook) -> None:
        self.open_book(message.book)

    def on_open_settings(self, _message: OpenSettings) -> None:
        self.open_settings()


def run_app(settings: Settings, book: Book | None = None) -> int:
    """Run the app in the terminal (the CLI's entry point); returns the exit code."""
    app = SidekickApp(settings, book=book)
    app.run()
    return app.return_code or 0
