"""Store each finished child turn of a reading session in the reader's history."""

from __future__ import annotations

from sidekick.books.model import Book
from sidekick.progress.store import ProgressStore, TurnRecord
from sidekick.turns import events as ev


def book_id(book: Book) -> str:
    """A stable id for a book: its file name for bundled books, else its path."""
    if book.path is None:
        return book.title
    return book.path.name if book.bundled else str(book.path)


class TurnRecorder:
    """An event consumer: each ``reading_checked`` event becomes one stored turn.

    A turn is written in its own transaction as soon as it is checked, so killing the
    program loses at most the turn in progress. Never audio: only the scores and words.
    """

    def __init__(self, store: ProgressStore, reader: str, book: Book) -> None:
        self.store = store
        self.reader = store.get_reader(reader).name  # a clear error for an unknown reader
        self.book = book
        self.recorded: list[TurnRecord] = []

    def __call__(self, event: ev.Event) -> None:
        if isinstance(event, ev.ReadingChecked):
            result = {"summary": event.summary, "words": event.words,
                      "insertions": event.insertions}  # fmt: skip
            record = TurnRecord.from_result(
                result, book_title=self.book.title, book_id=book_id(self.book), page=event.page
            )
            self.recorded.append(self.store.record_turn(self.reader, record))
