"""Textual messages that carry background work (the reading session, book loading) to the UI.

Workers run in threads and post these messages (``post_message`` is thread-safe); the
screens update their widgets in the message handlers, on the UI thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

from sidekick.errors import SidekickError

if TYPE_CHECKING:
    from sidekick.books.model import Book
    from sidekick.turns.events import Event


def problem_text(exc: Exception) -> str:
    """What went wrong in a worker, in one line for the screen: a :class:`SidekickError` is
    already said in plain words; anything else is shown as an unexpected problem."""
    if isinstance(exc, SidekickError):
        return str(exc)
    return f"Unexpected problem: {type(exc).__name__}: {exc}"


class SessionEvent(Message, bubble=False):
    """One event from the reading session's turn loop (see :mod:`sidekick.turns.events`)."""

    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event


class SessionFailed(Message, bubble=False):
    """The session could not start or stopped with an error; ``error`` is one line."""

    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class SessionEnded(Message, bubble=False):
    """The session's ``run()`` returned (the book ended or the session was stopped)."""


class BooksLoaded(Message, bubble=False):
    """The library finished loading: the books, one-line problems for broken files, and each
    book's reading-level estimate (a label such as "grade 2")."""

    def __init__(
        self, books: list[Book], problems: list[str], levels: list[str] | None = None
    ) -> None:
        super().__init__()
        self.books = books
        self.problems = problems
        self.levels = levels


class OpenBook(Message):
    """A screen asks the app to open the reader on ``book``."""

    def __init__(self, book: Book) -> None:
        super().__init__()
        self.book = book


class PageReached(Message):
    """The reader reached ``page`` of ``book`` (past the last page: the book is finished);
    the app remembers it to resume there."""

    def __init__(self, book: Book, page: int) -> None:
        super().__init__()
        self.book = book
        self.page = page


class OpenSettings(Message):
    """A screen asks the app to open the settings screen."""


class OpenProgress(Message):
    """A screen asks the app to open the progress screen (of the current reader)."""


class OpenReaders(Message):
    """A screen asks the app to open the reader picker ("Who is reading?")."""


class OpenPractice(Message):
    """A screen asks the app to practise ``words`` with ``reader``."""

    def __init__(self, reader: str, words: list[str]) -> None:
        super().__init__()
        self.reader = reader
        self.words = words


class ProgressLoaded(Message, bubble=False):
    """The progress screen's data for one reader, read from the store in a worker.

    ``summary`` is a :class:`sidekick.progress.records.ProgressSummary`, ``words`` a list of
    :class:`sidekick.progress.records.ChallengeWord` (typed loosely to keep this module light).
    """

    def __init__(self, readers: list[str], reader: str | None, summary: object,
                 words: list) -> None:  # fmt: skip
        super().__init__()
        self.readers = readers
        self.reader = reader
        self.summary = summary
        self.words = words


class ProgressFailed(Message, bubble=False):
    """The progress data could not be read; ``error`` is one line."""

    def __init__(self, error: str, readers: list[str] | None = None) -> None:
        super().__init__()
        self.error = error
        self.readers = readers or []


class PracticeStep(Message, bubble=False):
    """Practice mode moved on: ``state`` is "speaking", "listening", "checking" or "done"."""

    def __init__(self, state: str, index: int) -> None:
        super().__init__()
        self.state = state
        self.index = index


class PracticeResult(Message, bubble=False):
    """The child read practice word ``index``: ``correct`` and what was ``heard``."""

    def __init__(self, index: int, word: str, correct: bool, heard: str) -> None:
        super().__init__()
        self.index = index
        self.word = word
        self.correct = correct
        self.heard = heard


class PracticeNotice(Message, bubble=False):
    """Something the grown-up should know in practice mode (device, engine, files)."""

    def __init__(self, text: str, *, error: bool = False) -> None:
        super().__init__()
        self.text = text
        self.error = error


class ListenTestStep(Message, bubble=False):
    """The listening test moved on: ``state`` is "preparing", "playing" (``version`` 1 or 2),
    "answer" (both versions heard; ``files`` lists their WAV files, if written) or "error"."""

    def __init__(self, state: str, number: int, version: int = 0,
                 files: list[str] | None = None) -> None:  # fmt: skip
        super().__init__()
        self.state = state
        self.number = number
        self.version = version
        self.files = files or []


class ListenTestNotice(Message, bubble=False):
    """Something the listener should know in the listening test (no speaker, files, errors)."""

    def __init__(self, text: str, *, error: bool = False) -> None:
        super().__init__()
        self.text = text
        self.error = error
