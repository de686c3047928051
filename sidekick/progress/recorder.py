"""Store each finished child turn of a reading session in the reader's history."""

from __future__ import annotations

from collections.abc import Callable

from sidekick.books.model import Book
from sidekick.errors import SidekickError
from sidekick.progress.records import TurnRecord
from sidekick.progress.store import ProgressStore
from sidekick.turns import events as ev


def book_id(book: Book) -> str:
    """A stable id for a book: its file name for bundled books, else its path."""
    if book.path is None:
        return book.title
    return book.path.name if book.bundled else str(book.path)


class TurnRecorder:
    """An event consumer: each ``reading_checked`` event becomes one stored turn.

    A turn is written in its own transaction as soon as it is checked, so killing the
    program loses at most the turn in progress. A turn the database cannot take (read-only,
    locked by another program, damaged) is kept in the store's pending journal, to be saved
    when it can be, and ``on_notice`` is told so in one line. Never audio: only the scores
    and words.
    """

    def __init__(
        self,
        store: ProgressStore,
        reader: str,
        book: Book,
        on_notice: Callable[[str], None] | None = None,
        *,
        owns_store: bool = False,
    ) -> None:
        self.store = store
        self.owns_store = owns_store
        self.reader = store.get_reader(reader).name  # a clear error for an unknown reader
        self.book = book
        self.on_notice = on_notice or (lambda _text: None)
        self.recorded: list[TurnRecord] = []
        self.kept: list[TurnRecord] = []  # in the pending journal

    def __call__(self, event: ev.Event) -> None:
        if isinstance(event, ev.ReadingChecked):
            result = {"summary": event.summary, "words": event.words,
                      "insertions": event.insertions}  # fmt: skip
            record = TurnRecord.from_result(
                result, book_title=self.book.title, book_id=book_id(self.book), page=event.page
            )
            try:
                self.recorded.append(self.store.record_turn(self.reader, record))
            except SidekickError as why:
                self.store.keep_turn(self.reader, record)
                self.kept.append(record)
                self.on_notice(f"{why} This turn is kept and will be saved when the progress "
                               "file can be written again.")  # fmt: skip

    def close(self) -> None:
        if self.owns_store:
            self.store.close()


def open_history(reader: str, book: Book, on_notice: Callable[[str], None]) -> TurnRecorder:
    """The recorder of ``reader``'s turns in the progress database (what the app and the CLI
    give a :class:`~sidekick.turns.session.ReadingSession`)."""
    store = ProgressStore()
    for line in store.notices:
        on_notice(line)
    try:
        return TurnRecorder(store, reader, book, on_notice=on_notice, owns_store=True)
    except BaseException:
        store.close()
        raise
