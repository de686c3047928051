"""The Sidekick Textual app: library -> reader, plus settings, progress and practice.

Only the library is imported to start; the other screens load when they are opened, so the
first screen is up sooner.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from textual.app import App

from sidekick.errors import SidekickError
from sidekick.settings import Settings
from sidekick.state import AppState
from sidekick.ui.messages import (
    OpenBook,
    OpenPractice,
    OpenProgress,
    OpenReaders,
    OpenSettings,
    PageReached,
)
from sidekick.ui.screens.library import BookLister, LibraryScreen

if TYPE_CHECKING:
    from sidekick.books.model import Book
    from sidekick.progress.store import ProgressStore
    from sidekick.turns.events import Event
    from sidekick.ui.screens.reader import Session, SessionFactory


def default_session_factory(
    book: Book, settings: Settings, on_event: Callable[[Event], None], *, start_page: int = 1
) -> Session:
    """Make the real :class:`sidekick.turns.session.ReadingSession` (imported on first use),
    keeping the reader's turns in the progress database."""
    from sidekick.progress.recorder import open_history
    from sidekick.turns.session import ReadingSession

    return ReadingSession(book, settings, on_event, start_page=start_page, history=open_history)


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
        notices: Sequence[str] = (),
        state: AppState | None = None,
        start_page: int | None = None,
    ) -> None:
        """``session_factory(book, settings, on_event, start_page=...)`` makes the session
        (default: ``ReadingSession``); ``voices`` lists the selectable voices (or a callable
        returning them; default: the installed ones); ``list_books`` feeds the library
        (default: ``sidekick.books.library.list_books``); ``store`` holds the readers'
        progress (default: the user's progress file, opened when first needed); ``state``
        is what is remembered between starts (default: ``settings`` and no positions, saved
        to the user's state file); ``notices`` are shown as notifications when the app
        starts."""
        super().__init__()
        self.state = state if state is not None else AppState(settings=settings)
        self.state.settings = settings
        self.settings = settings
        self._reader_asked = settings.reader is not None
        self._start_page = start_page
        self.book = book
        self.session_factory: SessionFactory = session_factory or default_session_factory
        self._voices = voices
        self.list_books = list_books
        self._store = store
        self._own_store = False
        self._notices = tuple(notices)

    def on_mount(self) -> None:
        self.theme = "gruvbox"
        for line in self._notices:
            self.notify(line, title="Progress", severity="warning", timeout=15)
        self.push_screen(LibraryScreen(self.settings, self.list_books))
        if self.state.problem:
            self.notify(self.state.problem, title="Sidekick", severity="warning", timeout=10)
        if self.book is not None:
            self.open_book(self.book, start_page=self._start_page, ask_reader=False)

    @property
    def voices(self) -> list[str]:
        if self._voices is None:
            return default_voices()
        return list(self._voices() if callable(self._voices) else self._voices)

    def open_book(
        self, book: Book, *, start_page: int | None = None, ask_reader: bool = True
    ) -> None:
        """Open the reader on ``book``, where this reader stopped last time. With no reader
        chosen yet, asks "Who is reading?" first (a guest's turns are not saved)."""
        if ask_reader and not self._reader_asked and self._has_readers():
            from sidekick.ui.screens.readers import ReadersScreen

            def chosen(ok: bool | None) -> None:
                if ok:
                    self._reader_asked = True
                    self.open_book(book, start_page=start_page)

            self.push_screen(ReadersScreen(self.store, self.settings, reading=book.title), chosen)
            return
        from sidekick.ui.screens.reader import ReaderScreen

        self._apply_reader()
        if start_page is None:
            start_page = self.state.position(self.settings.reader, book.title)
            if start_page > len(book.pages):
                start_page = 1
            if start_page > 1:
                self.notify(f"Going on from page {start_page}. Press b to go back a page.",
                            title=book.title, timeout=6)  # fmt: skip
        self.push_screen(
            ReaderScreen(book, self.settings, self.session_factory, start_page=start_page)
        )

    def _has_readers(self) -> bool:
        try:
            return bool(self.store.list_readers())
        except SidekickError:
            return False

    def _apply_reader(self) -> None:
        """The chosen reader's own share and stall time (from their profile) apply."""
        name = self.settings.reader
        if name is None:
            return
        try:
            reader = self.store.find_reader(name)
        except SidekickError:
            return
        if reader is None:
            self.notify(f"There is no reader named {name} any more; reading as a guest.",
                        title="Readers", severity="warning")  # fmt: skip
            self.settings.use_reader(None)
        else:
            self.settings.use_reader(reader.name, reader.share, reader.stall_s)

    def remember(self) -> None:
        """Save the settings, reader and positions (a problem is shown, never raised)."""
        if (problem := self.state.save()) is not None:
            self.notify(problem, title="Sidekick", severity="warning", timeout=10)

    def on_page_reached(self, message: PageReached) -> None:
        page = message.page if message.page <= len(message.book.pages) else 1
        self.state.set_position(self.settings.reader, message.book.title, page)
        self.remember()

    def open_settings(self) -> None:
        def saved(ok: bool | None) -> None:
            if not ok:
                return
            if self.settings.reader is not None:  # share and stall are the reader's own
                try:
                    self.store.update_reader(self.settings.reader, share=self.settings.share.value,
                                             stall_s=self.settings.stall_s)  # fmt: skip
                except SidekickError as exc:
                    self.notify(str(exc), title="Settings", severity="warning")
            self.remember()

        from sidekick.ui.screens.settings import SettingsScreen

        self.push_screen(SettingsScreen(self.settings, self.voices), saved)

    @property
    def store(self) -> ProgressStore:
        """The progress store; the default one is opened on first use (SidekickError if it
        cannot be; a damaged file is kept aside and reported in a notification)."""
        if self._store is None:
            from sidekick.progress.store import ProgressStore

            self._store = ProgressStore()
            self._own_store = True
            for line in self._store.notices:
                self.notify(line, title="Progress", severity="warning", timeout=15)
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

        def chosen(ok: bool | None) -> None:
            if ok:
                self._reader_asked = True
                self._apply_reader()
                self.remember()

        self.push_screen(ReadersScreen(store, self.settings), chosen)

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


def run_app(
    settings: Settings,
    book: Book | None = None,
    state: AppState | None = None,
    *,
    start_page: int | None = None,
    notices: Sequence[str] = (),
) -> int:
    """Run the app in the terminal (the CLI's entry point); returns the exit code."""
    from sidekick.ui.terminal import native_stderr_silenced

    app = SidekickApp(settings, book=book, state=state, start_page=start_page, notices=notices)
    with native_stderr_silenced():
        app.run()
    return app.return_code or 0
