"""Readers and their reading history, in one SQLite file in the user data directory.

:class:`ProgressStore` is what the app, the CLI and reports use: it holds the connection
and its lock, and runs each call in one transaction. The work itself is done by:

* :mod:`~sidekick.progress.database` - opening the file (durability, damage and recovery);
* :mod:`~sidekick.progress.schema` - the tables and their migrations;
* :mod:`~sidekick.progress.readers` - reader profiles;
* :mod:`~sidekick.progress.history` - storing a finished turn and reading turns back;
* :mod:`~sidekick.progress.practice` - challenge words and practice attempts;
* :mod:`~sidekick.progress.summary` - a reader's progress summary.

Turns that cannot be saved
    A finished turn the database cannot take (read-only, locked past the wait, damaged) is
    kept in a journal beside it (:mod:`sidekick.progress.pending`, ``progress-pending.jsonl``)
    and written to the database when it can take it: when the store is opened next, and
    after its next saved turn. A turn already stored is never stored twice.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sidekick.errors import SidekickError
from sidekick.progress import history, practice, readers
from sidekick.progress.database import (
    BUSY_TIMEOUT_S,
    CorruptDatabaseError,
    connect,
    default_path,
    recover,
    user_error,
)
from sidekick.progress.pending import PendingJournal
from sidekick.progress.records import ChallengeWord, ProgressSummary, Reader, TurnRecord
from sidekick.progress.summary import progress_summary
from sidekick.settings import Share

#: How long saving a finished turn waits for another program's lock, in a reading session: a
#: child does not wait for another program; the turn goes to the pending journal instead,
#: saved with the next. (Other writes wait :data:`~sidekick.progress.database.BUSY_TIMEOUT_S`.)
TURN_TIMEOUT_S = 0.5
#: ... and how long saving the pending turns waits (it is tried again later anyway).
PENDING_TIMEOUT_S = 1.0


class ProgressStore:
    """Readers and reading history in a SQLite file (see the module docstring).

    ``ProgressStore()`` opens ``data_dir()/progress.sqlite3``, creating or migrating it. Safe
    to share between threads (one connection behind a lock). Use as a context manager or
    call :meth:`close`.
    """

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()
        self._lock = threading.RLock()
        #: Set when the file was damaged, salvaged, moved aside and replaced: its message
        #: must be shown (the app as a notification, the CLI on stderr).
        self.recovered: CorruptDatabaseError | None = None
        #: Turns that were waiting in the journal and are now saved (this open).
        self.saved_pending = 0
        self.pending = PendingJournal(self.path.with_name(f"{self.path.stem}-pending.jsonl"))
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise SidekickError(f"Cannot create {self.path.parent}: {e.strerror or e}") from None
        try:
            self._conn = connect(self.path)
        except CorruptDatabaseError as damaged:
            self.recovered = recover(self.path, damaged)
            self._conn = connect(self.path)
        self.saved_pending = self.save_pending()

    @property
    def schema_version(self) -> int:
        with self._lock:
            return self._conn.execute("PRAGMA user_version").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.execute("PRAGMA optimize")
                self._conn.close()
                self._conn = None  # type: ignore[assignment]

    def __enter__(self) -> ProgressStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----- transactions

    def _connection(self) -> sqlite3.Connection:
        """The connection (under the lock); SidekickError once the store is closed."""
        if self._conn is None:
            raise SidekickError("The progress store is closed.")
        return self._conn

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One atomic write transaction; SQLite failures become one-line SidekickErrors."""
        with self._lock:
            conn = self._connection()
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
            except sqlite3.Error as e:
                raise user_error(self.path, e, "save to") from None

    @contextlib.contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._connection()
            try:
                yield conn
            except sqlite3.Error as e:
                raise user_error(self.path, e, "read") from None

    @contextlib.contextmanager
    def _busy_timeout(self, seconds: float) -> Iterator[None]:
        with self._lock:
            conn = self._connection()
            conn.execute(f"PRAGMA busy_timeout = {int(seconds * 1000)}")
            try:
                yield
            finally:
                conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")

    # ----- readers

    def add_reader(
        self,
        name: str,
        grade: int | str | None = None,
        share: str = Share.TAKE_TURNS.value,
        stall_s: float = 3.0,
    ) -> Reader:
        """Add a reader. Names are unique ignoring case ("Ann" and "ann" are one reader)."""
        name = readers.clean_name(name)
        grade, share, stall_s = readers.check_settings(grade, share, stall_s)
        with self._write() as conn:
            return readers.add(conn, name, grade, share, stall_s)

    def get_reader(self, name: str) -> Reader:
        """The reader called ``name`` (any case); SidekickError if there is none."""
        with self._read() as conn:
            return readers.get(conn, name)

    def find_reader(self, name: str) -> Reader | None:
        """Like :meth:`get_reader`, but ``None`` when there is no such reader."""
        with self._read() as conn:
            return readers.find(conn, name)

    def list_readers(self) -> list[Reader]:
        """All readers, by name."""
        with self._read() as conn:
            return readers.all_readers(conn)

    def update_reader(
        self,
        name: str,
        *,
        new_name: str | None = None,
        grade: int | str | None = readers.UNSET,
        share: str | None = None,
        stall_s: float | None = None,
    ) -> Reader:
        """Change a reader's name, grade (``None`` clears it), share or stall time."""
        with self._write() as conn:
            return readers.update(
                conn, name, new_name=new_name, grade=grade, share=share, stall_s=stall_s
            )

    def remove_reader(self, name: str) -> int:
        """Delete a reader and all their history (ask the user first). Returns the number of
        turns deleted."""
        with self._write() as conn:
            return readers.remove(conn, name)

    # ----- history

    def record_turn(self, reader: str | Reader, turn: TurnRecord) -> TurnRecord:
        """Store one finished turn (with its challenge words) atomically; returns it with
        ``id`` and ``reader`` filled in. Durable once this returns. Waits at most
        :data:`TURN_TIMEOUT_S` for another program's lock (then SidekickError: keep the turn
        with :meth:`keep_turn`)."""
        with self._busy_timeout(TURN_TIMEOUT_S):
            return self.record_turns(reader, [turn])[0]

    def record_turns(self, reader: str | Reader, turns: Iterable[TurnRecord]) -> list[TurnRecord]:
        """Store several turns in one transaction (all or none), e.g. an import. Turns
        waiting in the pending journal are saved after them."""
        stored = self._insert_turns(reader, turns)
        if self.pending:
            self.save_pending()
        return stored

    def _insert_turns(
        self, reader: str | Reader, turns: Iterable[TurnRecord], *, skip_stored: bool = False
    ) -> list[TurnRecord]:
        """Store turns in one transaction; with ``skip_stored``, a turn already stored (same
        reader, start time, book, page and counts) is not stored again."""
        name = reader.name if isinstance(reader, Reader) else reader
        turns = list(turns)
        history.check_turns(name, turns)
        with self._write() as conn:
            who = readers.get(conn, name)
            return history.insert_turns(conn, who, turns, skip_stored=skip_stored)

    # ----- the pending journal

    @property
    def notices(self) -> list[str]:
        """What opening the store did that the user must be told (one line each): a damaged
        file salvaged, turns from the pending journal saved."""
        lines = [str(self.recovered)] if self.recovered is not None else []
        if self.saved_pending:
            lines.append(f"{self.saved_pending} turn(s) that could not be saved before are "
                         "saved now.")  # fmt: skip
        return lines

    def keep_turn(self, reader: str, turn: TurnRecord) -> None:
        """Keep a turn that could not be saved in the pending journal (see the module
        docstring); SidekickError if even that fails."""
        self.pending.add(reader, turn)

    def save_pending(self) -> int:
        """Save the turns waiting in the pending journal; returns how many were saved. Those
        that still cannot be (the database still read-only or locked) stay for next time; a
        turn whose reader was removed meanwhile stays too, and does not hold up the rest."""
        if not self.pending:
            return 0
        saved = 0
        try:
            with self.pending.taking() as waiting, self._busy_timeout(PENDING_TIMEOUT_S):
                for entry in list(waiting):
                    try:
                        if self.find_reader(entry.reader) is None:
                            continue
                        stored = self._insert_turns(entry.reader, [entry.turn], skip_stored=True)
                    except SidekickError:
                        break
                    waiting.remove(entry)
                    saved += len(stored)
        except OSError:  # the journal cannot be rewritten now: what was saved is skipped later
            pass
        return saved

    def turns(
        self,
        reader: str | None = None,
        since: datetime | date | str | None = None,
        limit: int | None = None,
        *,
        with_words: bool = True,
    ) -> list[TurnRecord]:
        """Turns, oldest first: one reader's or everyone's, from ``since`` on; ``limit`` keeps
        the most recent ones. ``with_words=False`` skips loading challenge words."""
        with self._read() as conn:
            return history.select_turns(
                conn, readers.id_or_all(conn, reader), since, limit, with_words=with_words
            )

    def turn_count(self, reader: str | None = None) -> int:
        """How many turns are stored (for one reader, or all)."""
        with self._read() as conn:
            return history.count_turns(conn, readers.id_or_all(conn, reader))

    def report_rows(self, reader: str | None = None) -> Iterator[tuple[Any, ...]]:
        """Rows for reports, ordered by reader then time: (reader, grade, started_at, book,
        page, words_total, words_correct, substituted, omitted, assisted, self_corrections,
        insertions, wcpm, accuracy, duration_s, missed) where ``missed`` lists the turn's
        missed words in page order as (word, kind, heard) tuples. Materialized under the
        lock."""
        with self._read() as conn:
            return history.report_rows(conn, readers.id_or_all(conn, reader))

    # ----- practice and progress

    def challenge_words(self, reader: str, limit: int = 10) -> list[ChallengeWord]:
        """The words ``reader`` most often missed or needed help with, most frequent first
        (ties: most recent first), each as the book writes it (see
        :func:`sidekick.progress.practice.challenge_words`)."""
        with self._read() as conn:
            return practice.challenge_words(conn, readers.get(conn, reader).id, limit)

    def record_practice(self, reader: str, word: str, correct: bool) -> None:
        """Store one practice-mode attempt at a challenge word."""
        word = practice.practice_word(word)
        with self._write() as conn:
            practice.record_attempt(conn, readers.get(conn, reader).id, word, correct)

    def progress_summary(self, reader: str) -> ProgressSummary:
        """Books and pages read, the per-day WCPM trend and accuracy bands, and totals, over
        the turns that were scored (see :func:`sidekick.progress.summary.progress_summary`)."""
        with self._read() as conn:
            return progress_summary(conn, readers.get(conn, reader))
