"""The Sidekick Textual app: library -> reader, plus settings, progress and practice."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.app import App

from sidekick.books.model import Book
from sidekick.errors import SidekickError
from sidekick.settings import Settings
from sidekick.turns.events import Event
from sidekick.ui.messages import OpenBook, OpenPractice, OpenProgress, OpenReaders, OpenSettings
from sidekick.ui.screens.library import BookLister, LibraryScreen
from sidekick.ui.screens.reader import ReaderScreen, Session, SessionFactory
from sidekick.ui.screens.settings import SettingsScreen

if TYPE_CHECKING:
    from sidekick.progress.store import ProgressStore


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
        store: ProgressStore | None = None,
    ) -> None:
        """``session_factory(book, settings, on_event, start_page=...)`` makes the session
        (default: ``ReadingSession``); ``voices`` lists the selectable voices (or a callable
        returning them; default: the installed ones); ``list_books`` feeds the library
        (default: ``sidekick.books.library.list_books``); ``store`` holds the readers'
        progress (default: the user's progress file, opened when first needed)."""
        super().__init__()
        self.settings = settings
        self.book = book
        self.session_factory: SessionFactory = session_factory or default_session_factory
        self._voices = voices
        self.list_books = list_books
        self._store = store
        self._own_store = False

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

    @property
    def store(self) -> ProgressStore:
        """The progress store; the default one is opened on first use (SidekickError if it
        cannot be; a damaged file is kept aside and reported in a notification)."""
        if self._store is None:
            from sidekick.progress.store import ProgressStore

            self._store = ProgressStore()
            self._own_store = True
            if self._store.recovered is not None:
                self.notify(str(self._store.recovered), title="Progress", severity="warning",
                            timeout=15)  # fmt: skip
        return self._store

    def open_progress(self, reader: str | None = None) -> None:
        """The progress screen, on ``reader`` (default: the reader of the settings)."""
        from sidekick.ui.screens.progress import ProgressScreen

        try:
            store = self.store
        except SidekickError as exc:
            self.notify(str(exc), title="Progress", severity="error", timeout=10)
            return
        self.push_screen(ProgressScreen(store, reader or getattr(self.settings, "reader", None)))

    def open_readers(self) -> None:
        """The reader picker: whose turns are saved (``settings.reader``)."""
        from sidekick.ui.screens.readers import ReadersScreen

        try:
            store = self.store
        except SidekickError as exc:
            self.notify(str(exc), title="Readers", severity="error", timeout=10)
            return
        self.push_screen(ReadersScreen(store, self.settings))

    def open_practice(self, reader: str, words: list[str]) -> None:
        """Practice mode for ``reader`` with ``words`` (Sidekick says each, the child reads)."""
        from sidekick.ui.screens.practice import PracticeScreen

        try:
            store = self.store
        except SidekickError as exc:
            self.notify(str(exc), title="Practice", severity="error", timeout=10)
            return
        self.push_screen(PracticeScreen(store, reader, words, self.settings))

    def on_open_book(self, message: OpenBook) -> None:
        self.open_book(message.book)

    def on_open_settings(self, _message: OpenSettings) -> None:
        self.open_settings()

    def on_open_progress(self, _message: OpenProgress) -> None:
        self.open_progress()

    def on_open_readers(self, _message: OpenReaders) -> None:
        self.open_readers()

    def on_open_practice(self, message: OpenPractice) -> None:
        self.open_practice(message.reader, message.words)

    def on_unmount(self) -> None:
        if self._own_store and self._store is not None:
            self._store.close()


def run_app(settings: Settings, book: Book | None = None) -> int:
    """Run the app in the terminal (the CLI's entry point); returns the exit code."""
    from sidekick.ui.terminal import native_stderr_silenced

    app = SidekickApp(settings, book=book)
    with native_stderr_silenced():
        app.run()
    return app.return_code or 0
