"""Textual messages that carry background work (the reading session, book loading) to the UI.

Workers run in threads and post these messages (``post_message`` is thread-safe); the
screens update their widgets in the message handlers, on the UI thread.
"""

from __future__ import annotations

from textual.message import Message

from sidekick.books.model import Book
from sidekick.turns.events import Event


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
    """The library finished loading: the books, plus one-line problems for broken files."""

    def __init__(self, books: list[Book], problems: list[str]) -> None:
        super().__init__()
        self.books = books
        self.problems = problems


class OpenBook(Message):
    """A screen asks the app to open the reader on ``book``."""

    def __init__(self, book: Book) -> None:
        super().__init__()
        self.book = book


class OpenSettings(Message):
    """A screen asks the app to open the settings screen."""
