"""Readers and their reading history, in one SQLite file in the user data directory.

Durability
    The database runs in WAL mode with ``synchronous=FULL``. In WAL mode a commit appends the
    transaction to the ``-wal`` file; with FULL that file is fsync'ed before ``COMMIT``
    returns. A process killed with SIGKILL loses nothing either way (the bytes are already in
    the OS page cache), but FULL also keeps every committed turn through a power cut or an OS
    crash (a family laptop whose battery runs out), which NORMAL does not promise. The price
    is one fsync per recorded turn, a few milliseconds once every page or so: unnoticeable.
    Every write is its own transaction, so a turn is either stored whole (with its words) or
    not at all.

Damaged files
    On open the file is checked (``PRAGMA quick_check``; SQLite's "file is not a database"
    and "malformed" errors count too). A damaged file never stops a reading session and is
    never overwritten: every row that can still be read (a copy of it is read one row at a
    time, around the damaged pages; see :mod:`sidekick.progress.salvage`) is carried into a
    fresh database, then the damaged file is moved aside, byte for byte, to
    ``progress.sqlite3.corrupt-YYYYmmdd-HHMMSS`` (its ``-wal`` file alongside) and the fresh
    one takes its place. :attr:`ProgressStore.recovered` holds a
    :class:`CorruptDatabaseError` whose one-line message says so and how many turns were
    carried over. Callers must show that line (the app as a notification, the CLI on
    stderr); it is ``None`` when the file was fine. Damage found later, in the middle of a
    write, raises that error instead (the next open recovers).

Turns that cannot be saved
    A finished turn the database cannot take (read-only, locked past the wait, damaged) is
    kept in a journal beside it (:mod:`sidekick.progress.pending`, ``progress-pending.jsonl``)
    and written to the database when it can take it: when the store is opened next, and
    after its next saved turn. A turn already stored is never stored twice.

Schema (``PRAGMA user_version`` counts the :data:`MIGRATIONS` applied)::

    readers(id, name, name_key UNIQUE, grade, share, stall_s, created_at)
    turns(id, reader_id -> readers ON DELETE CASCADE, started_at, book_title, book_id, page,
          words_total, words_correct, substituted, omitted, assisted, self_corrections,
          insertions, wcpm, accuracy, duration_s)
    turn_words(turn_id -> turns, reader_id -> readers, position, word, kind, heard)
    practice(id, reader_id -> readers, word, correct, at)                     -- version 2
    turn_words.shown: the word as the book writes it ("Sam")                   -- version 3
    turn_words.kind may be 'unclear' (the check was not sure; no error)       -- version 4

Times are stored as UTC ISO 8601 text (``2025-03-01T16:05:09+00:00``); days in summaries
are local calendar days. Audio is never stored.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import threading
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sidekick.errors import SidekickError
from sidekick.progress.records import (
    MISS_KINDS,
    UNCLEAR,
    BookProgress,
    ChallengeWord,
    DayPoint,
    MissedWord,
    ProgressSummary,
    Reader,
    TurnRecord,
    to_utc_iso,
    utc_now,
)
from sidekick.settings import Share
from sidekick.words import normalize_word, written_form

DB_NAME = "progress.sqlite3"
#: How long a write waits for another program's lock on the database.
BUSY_TIMEOUT_S = 10.0
#: ... how long saving a finished turn waits, in a reading session: a child does not wait
#: for another program; the turn goes to the pending journal instead, saved with the next.
TURN_TIMEOUT_S = 0.5
#: ... and how long saving the pending turns waits (it is tried again later anyway).
PENDING_TIMEOUT_S = 1.0
MAX_NAME_LEN = 40

#: Schema migrations, applied in order inside one transaction; ``PRAGMA user_version`` is the
#: number applied. Append new steps; never edit a released one.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (  # 1: readers, turns and the words each turn missed or needed help with
        """CREATE TABLE readers (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            name_key TEXT NOT NULL UNIQUE,
            grade INTEGER CHECK (grade IS NULL OR grade BETWEEN 0 AND 12),
            share TEXT NOT NULL DEFAULT 'take-turns',
            stall_s REAL NOT NULL DEFAULT 3.0 CHECK (stall_s > 0),
            created_at TEXT NOT NULL
        )""",
        """CREATE TABLE turns (
            id INTEGER PRIMARY KEY,
            reader_id INTEGER NOT NULL REFERENCES readers(id) ON DELETE CASCADE,
            started_at TEXT NOT NULL,
            book_title TEXT NOT NULL,
            book_id TEXT NOT NULL,
            page INTEGER NOT NULL,
            words_total INTEGER NOT NULL CHECK (words_total >= 0),
            words_correct INTEGER NOT NULL CHECK (words_correct BETWEEN 0 AND words_total),
            substituted INTEGER NOT NULL DEFAULT 0 CHECK (substituted >= 0),
            omitted INTEGER NOT NULL DEFAULT 0 CHECK (omitted >= 0),
            assisted INTEGER NOT NULL DEFAULT 0 CHECK (assisted >= 0),
            self_corrections INTEGER NOT NULL DEFAULT 0 CHECK (self_corrections >= 0),
            insertions INTEGER NOT NULL DEFAULT 0 CHECK (insertions >= 0),
            wcpm REAL NOT NULL CHECK (wcpm >= 0),
            accuracy REAL NOT NULL CHECK (accuracy BETWEEN 0 AND 1),
            duration_s REAL NOT NULL CHECK (duration_s >= 0)
        )""",
        "CREATE INDEX turns_by_reader_time ON turns(reader_id, started_at)",
        "CREATE INDEX turns_by_time ON turns(started_at)",
        """CREATE TABLE turn_words (
            turn_id INTEGER NOT NULL REFERENCES turns(id) ON DELETE CASCADE,
            reader_id INTEGER NOT NULL REFERENCES readers(id) ON DELETE CASCADE,
            position INTEGER,
            word TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('substituted', 'omitted', 'assisted')),
            heard TEXT
        )""",
        "CREATE INDEX turn_words_by_turn ON turn_words(turn_id)",
    ),
    (  # 2: practice mode results, and challenge words by reader in one index
        """CREATE TABLE practice (
            id INTEGER PRIMARY KEY,
            reader_id INTEGER NOT NULL REFERENCES readers(id) ON DELETE CASCADE,
            word TEXT NOT NULL,
            correct INTEGER NOT NULL CHECK (correct IN (0, 1)),
            at TEXT NOT NULL
        )""",
        "CREATE INDEX practice_by_reader_word ON practice(reader_id, word)",
        "CREATE INDEX turn_words_by_reader_word ON turn_words(reader_id, word, turn_id)",
    ),
    (  # 3: each missed word as the book writes it, for screens and reports
        "ALTER TABLE turn_words ADD COLUMN shown TEXT",
    ),
    (  # 4: words the check was not sure of ('unclear'); SQLite cannot widen a CHECK in place
        """CREATE TABLE turn_words_4 (
            turn_id INTEGER NOT NULL REFERENCES turns(id) ON DELETE CASCADE,
            reader_id INTEGER NOT NULL REFERENCES readers(id) ON DELETE CASCADE,
            position INTEGER,
            word TEXT NOT NULL,
            kind TEXT NOT NULL
                CHECK (kind IN ('substituted', 'omitted', 'assisted', 'unclear')),
            heard TEXT,
            shown TEXT
        )""",
        "INSERT INTO turn_words_4 SELECT turn_id, reader_id, position, word, kind, heard, shown"
        " FROM turn_words ORDER BY rowid",
        "DROP TABLE turn_words",
        "ALTER TABLE turn_words_4 RENAME TO turn_words",
        "CREATE INDEX turn_words_by_turn ON turn_words(turn_id)",
        "CREATE INDEX turn_words_by_reader_word ON turn_words(reader_id, word, turn_id)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)

_TURN_COLUMNS = (
    "started_at, book_title, book_id, page, words_total, words_correct, substituted, omitted,"
    " assisted, self_corrections, insertions, wcpm, accuracy, duration_s"
)


class CorruptDatabaseError(SidekickError):
    """The progress database file is damaged. ``backup`` is where the bad file was kept."""

    def __init__(self, message: str, backup: Path | None = None) -> None:
        super().__init__(message)
        self.backup = backup


# --------------------------------------------------------------------------- the store


def default_path() -> Path:
    from sidekick.paths import data_dir

    return data_dir() / DB_NAME


def _is_corruption(exc: sqlite3.Error) -> bool:
    """SQLITE_CORRUPT / SQLITE_NOTADB surface as a plain DatabaseError (never the
    OperationalError of locks, permissions or a full disk)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (11, 26)  # SQLITE_CORRUPT, SQLITE_NOTADB
    return type(exc) is sqlite3.DatabaseError


def _name_key(name: str) -> str:
    return unicodedata.normalize("NFC", name).casefold()


def _clean_name(name: str) -> str:
    name = " ".join(unicodedata.normalize("NFC", str(name)).split())
    if not name:
        raise SidekickError("A reader needs a name.")
    if len(name) > MAX_NAME_LEN:
        raise SidekickError(f"Reader names can be at most {MAX_NAME_LEN} characters.")
    if any(unicodedata.category(c).startswith("C") for c in name):
        raise SidekickError("Reader names cannot contain control characters.")
    return name


def _check_settings(
    grade: int | str | None, share: str | Share, stall_s: float
) -> tuple[int | None, str, float]:
    if grade is not None:
        if isinstance(grade, str) and grade.strip().upper() in ("K", "KG", "KINDERGARTEN"):
            grade = 0
        try:
            grade = int(grade)
        except (TypeError, ValueError):
            raise SidekickError(f"Grade must be K or 1-12, not {grade!r}.") from None
        if not 0 <= grade <= 12:
            raise SidekickError(f"Grade must be K or 1-12, not {grade}.")
    share = share.value if isinstance(share, Share) else str(share)
    if share not in {s.value for s in Share}:
        choices = ", ".join(s.value for s in Share)
        raise SidekickError(f"Unknown reading share {share!r}; choose one of {choices}.")
    stall_s = float(stall_s)
    if not 0.5 <= stall_s <= 30:
        raise SidekickError(f"Stall time must be 0.5-30 seconds, not {stall_s:g}.")
    return grade, share, stall_s


def _check_turn(t: TurnRecord) -> None:
    counts = (t.words_total, t.words_correct, t.substituted, t.omitted, t.assisted,
              t.self_corrections, t.insertions, t.page)  # fmt: skip
    if any(not isinstance(n, int) or n < 0 for n in counts):
        raise ValueError(f"turn counts and page must be non-negative integers: {t!r}")
    if t.words_correct > t.words_total:
        raise ValueError("words_correct cannot exceed words_total")
    if not 0.0 <= t.accuracy <= 1.0:
        raise ValueError(f"accuracy is a fraction 0-1, not {t.accuracy}")
    if t.wcpm < 0 or t.duration_s < 0:
        raise ValueError("wcpm and duration_s cannot be negative")
    for w in t.challenge_words:
        if w.kind not in MISS_KINDS:
            raise ValueError(f"challenge word kind must be one of {MISS_KINDS}, not {w.kind!r}")
    if any(w.kind != UNCLEAR for w in t.unclear_words):
        raise ValueError(f"unclear words must be of kind {UNCLEAR!r}")


_UNSET: Any = object()


class ProgressStore:
    """Readers and reading history in a SQLite file (see the module docstring).

    ``ProgressStore()`` opens ``data_dir()/progress.sqlite3``, creating or migrating it. Safe
    to share between threads (one connection behind a lock). Use as a context manager or
    call :meth:`close`.
    """

    def __init__(self, path: Path | str | None = None) -> None:
        from sidekick.progress.pending import PendingJournal

        self.path = Path(path) if path is not None else default_path()
        self._lock = threading.RLock()
        #: Set when the file was damaged, salvaged, moved aside and replaced.
        self.recovered: CorruptDatabaseError | None = None
        #: Turns that were waiting in the journal and are now saved (this open).
        self.saved_pending = 0
        self.pending = PendingJournal(self.path.with_name(f"{self.path.stem}-pending.jsonl"))
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise SidekickError(f"Cannot create {self.path.parent}: {e.strerror or e}") from None
        try:
            self._conn = self._open()
        except CorruptDatabaseError as damaged:
            self.recovered = self._recover(damaged)
            self._conn = self._open()
        self.saved_pending = self.save_pending()

    # ----- opening, checking, migrating

    def _open(self) -> sqlite3.Connection:
        self._check_header()
        conn: sqlite3.Connection | None = None
        try:
            conn = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise SidekickError(f"Cannot use WAL mode for {self.path} (got {mode}).")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            problems = [r[0] for r in conn.execute("PRAGMA quick_check(3)")]
            if problems != ["ok"]:
                found = " ".join("; ".join(problems).split())  # one line
                raise CorruptDatabaseError("integrity check: " + found[:200])
            self._migrate(conn)
            return conn
        except sqlite3.Error as e:
            if not _is_corruption(e):
                if conn is not None:
                    conn.close()
                raise SidekickError(f"Cannot open the progress file {self.path}: {e}") from None
            error = CorruptDatabaseError(str(e))
        except CorruptDatabaseError as e:
            error = e
        except BaseException:
            if conn is not None:
                conn.close()
            raise
        # Damaged. SQLite deletes the -wal log when the connection closes: copy it first,
        # it may hold the latest turns.
        wal = Path(f"{self.path}-wal")
        if wal.exists() and wal.stat().st_size:
            with contextlib.suppress(OSError):
                shutil.copy2(wal, f"{self.path}-wal.kept")
        if conn is not None:
            conn.close()
        raise error

    def _check_header(self) -> None:
        """Refuse a non-empty file that is not SQLite before SQLite touches it (or its log)."""
        try:
            with open(self.path, "rb") as f:
                head = f.read(16)
        except FileNotFoundError:
            return
        except OSError as e:
            raise SidekickError(f"Cannot read {self.path}: {e.strerror or e}") from None
        if head and head != b"SQLite format 3\x00":
            raise CorruptDatabaseError("file is not a database")

    def _recover(self, damaged: CorruptDatabaseError) -> CorruptDatabaseError:
        """Carry what can be read of the damaged file into a fresh one, move the damaged
        file aside and put the fresh one in its place; the message for the user."""
        from sidekick.progress import salvage

        fresh = self.path.with_name(f"{self.path.name}.salvaged")
        for leftover in (fresh, Path(f"{fresh}-wal"), Path(f"{fresh}-shm")):
            leftover.unlink(missing_ok=True)
        try:
            conn = sqlite3.connect(fresh, isolation_level=None)
            try:
                conn.execute("PRAGMA foreign_keys=ON")
                self._migrate(conn)
                counts = salvage.carry_over(self.path, conn)
            finally:
                conn.close()
        except Exception:  # salvage is a best effort that must never stop a fresh start
            fresh.unlink(missing_ok=True)
            counts = None
        backup = self._move_aside()
        if counts is not None:
            os.replace(fresh, self.path)
        if counts is None or not counts.turns_read:
            kept = "nothing in it could be read"
        else:
            kept = (f"{counts.turns} of the {counts.turns_read} turns that could be read were "
                    "carried over")  # fmt: skip
        return CorruptDatabaseError(
            f"The progress file {self.path} was damaged ({damaged}); {kept} into a fresh one, "
            f"and the damaged file was kept as {backup.name}.",
            backup,
        )

    def _migrate(self, conn: sqlite3.Connection) -> None:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise SidekickError(
                f"The progress file {self.path} was written by a newer Sidekick "
                f"(schema {version}); please update Sidekick."
            )
        if version == SCHEMA_VERSION:
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated while we waited for the write lock.
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            for step in MIGRATIONS[version:]:
                for statement in step:
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _move_aside(self) -> Path:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        backup = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        n = 1
        while backup.exists():
            backup = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{n}")
            n += 1
        try:
            os.replace(self.path, backup)
            # Never let an old log be replayed into the fresh database; keep it with the
            # backup (the copy taken before SQLite closed it, else the file itself).
            wal, kept = Path(f"{self.path}-wal"), Path(f"{self.path}-wal.kept")
            if kept.exists():
                os.replace(kept, f"{backup}-wal")
                wal.unlink(missing_ok=True)
            elif wal.exists():
                os.replace(wal, f"{backup}-wal")
            Path(f"{self.path}-shm").unlink(missing_ok=True)
        except OSError as e:
            raise CorruptDatabaseError(
                f"The progress file {self.path} is damaged and could not be moved aside "
                f"({e.strerror or e}); move or delete it, then start Sidekick again."
            ) from None
        return backup

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

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One atomic write transaction; SQLite failures become one-line SidekickErrors."""
        with self._lock:
            conn = self._conn
            if conn is None:
                raise SidekickError("The progress store is closed.")
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
                raise self._user_error(e, "save to") from None

    @contextlib.contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._conn is None:
                raise SidekickError("The progress store is closed.")
            try:
                yield self._conn
            except sqlite3.Error as e:
                raise self._user_error(e, "read") from None

    def _user_error(self, e: sqlite3.Error, verb: str) -> SidekickError:
        if _is_corruption(e):
            return CorruptDatabaseError(
                f"The progress file {self.path} is damaged ({e}); restart Sidekick to keep a "
                "backup of it and start a fresh one."
            )
        msg = str(e)
        if "full" in msg:
            return SidekickError(f"Could not {verb} {self.path}: the disk is full.")
        if "locked" in msg or "busy" in msg:
            return SidekickError(f"Could not {verb} {self.path}: it is busy in another program.")
        return SidekickError(f"Could not {verb} {self.path}: {msg}.")

    # ----- readers

    @staticmethod
    def _reader(row: Sequence[Any]) -> Reader:
        return Reader(*row)

    def _reader_or_none(self, conn: sqlite3.Connection, name: str) -> Reader | None:
        row = conn.execute(
            "SELECT id, name, grade, share, stall_s, created_at FROM readers WHERE name_key = ?",
            (_name_key(" ".join(str(name).split())),),
        ).fetchone()
        return None if row is None else self._reader(row)

    def _reader_row(self, conn: sqlite3.Connection, name: str) -> Reader:
        reader = self._reader_or_none(conn, name)
        if reader is None:
            shown = " ".join(str(name).split())
            raise SidekickError(
                f"No reader named {shown!r} (add one: sidekick readers add {shown!r})."
            )
        return reader

    def add_reader(
        self,
        name: str,
        grade: int | str | None = None,
        share: str = Share.TAKE_TURNS.value,
        stall_s: float = 3.0,
    ) -> Reader:
        """Add a reader. Names are unique ignoring case ("Ann" and "ann" are one reader)."""
        name = _clean_name(name)
        grade, share, stall_s = _check_settings(grade, share, stall_s)
        with self._write() as conn:
            taken = conn.execute(
                "SELECT name FROM readers WHERE name_key = ?", (_name_key(name),)
            ).fetchone()
            if taken:
                raise SidekickError(f"There is already a reader named {taken[0]!r}.")
            cur = conn.execute(
                "INSERT INTO readers (name, name_key, grade, share, stall_s, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (name, _name_key(name), grade, share, stall_s, utc_now()),
            )
            return self._reader_row_by_id(conn, cur.lastrowid)

    def _reader_row_by_id(self, conn: sqlite3.Connection, reader_id: int | None) -> Reader:
        row = conn.execute(
            "SELECT id, name, grade, share, stall_s, created_at FROM readers WHERE id = ?",
            (reader_id,),
        ).fetchone()
        return self._reader(row)

    def get_reader(self, name: str) -> Reader:
        """The reader called ``name`` (any case); SidekickError if there is none."""
        with self._read() as conn:
            return self._reader_row(conn, name)

    def find_reader(self, name: str) -> Reader | None:
        """Like :meth:`get_reader`, but ``None`` when there is no such reader."""
        with self._read() as conn:
            return self._reader_or_none(conn, name)

    def list_readers(self) -> list[Reader]:
        """All readers, by name."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT id, name, grade, share, stall_s, created_at FROM readers ORDER BY name_key"
            ).fetchall()
        return [self._reader(r) for r in rows]

    def update_reader(
        self,
        name: str,
        *,
        new_name: str | None = None,
        grade: int | str | None = _UNSET,
        share: str | None = None,
        stall_s: float | None = None,
    ) -> Reader:
        """Change a reader's name, grade (``None`` clears it), share or stall time."""
        with self._write() as conn:
            current = self._reader_row(conn, name)
            g, s, st = _check_settings(
                current.grade if grade is _UNSET else grade,
                share if share is not None else current.share,
                stall_s if stall_s is not None else current.stall_s,
            )
            renamed = _clean_name(new_name) if new_name is not None else current.name
            clash = conn.execute(
                "SELECT name FROM readers WHERE name_key = ? AND id != ?",
                (_name_key(renamed), current.id),
            ).fetchone()
            if clash:
                raise SidekickError(f"There is already a reader named {clash[0]!r}.")
            conn.execute(
                "UPDATE readers SET name = ?, name_key = ?, grade = ?, share = ?, stall_s = ?"
                " WHERE id = ?",
                (renamed, _name_key(renamed), g, s, st, current.id),
            )
            return self._reader_row_by_id(conn, current.id)

    def remove_reader(self, name: str) -> int:
        """Delete a reader and all their history (ask the user first). Returns the number of
        turns deleted."""
        with self._write() as conn:
            reader = self._reader_row(conn, name)
            (n,) = conn.execute(
                "SELECT COUNT(*) FROM turns WHERE reader_id = ?", (reader.id,)
            ).fetchone()
            conn.execute("DELETE FROM readers WHERE id = ?", (reader.id,))
            return n

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
        for t in turns:
            _check_turn(t)
            if t.reader and _name_key(t.reader) != _name_key(name):
                raise ValueError(f"turn belongs to {t.reader!r}, not {name!r}")
        stored: list[TurnRecord] = []
        with self._write() as conn:
            who = self._reader_row(conn, name)
            for t in turns:
                started = to_utc_iso(t.started_at)
                if skip_stored and self._stored(conn, who.id, started, t):
                    continue
                cur = conn.execute(
                    f"INSERT INTO turns (reader_id, {_TURN_COLUMNS})"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (who.id, started, t.book_title, t.book_id, t.page, t.words_total,
                     t.words_correct, t.substituted, t.omitted, t.assisted, t.self_corrections,
                     t.insertions, float(t.wcpm), float(t.accuracy), float(t.duration_s)),
                )  # fmt: skip
                listed = (*t.challenge_words, *t.unclear_words)
                shown = [written_form(w.word) for w in listed]
                rows = [
                    (cur.lastrowid, who.id, w.index, form.lower(), form, w.kind, w.heard)
                    for w, form in zip(listed, shown, strict=True)
                    if form
                ]
                conn.executemany(
                    "INSERT INTO turn_words"
                    " (turn_id, reader_id, position, word, shown, kind, heard)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
                words = [
                    MissedWord(word, kind, heard, pos) for _, _, pos, word, _, kind, heard in rows
                ]
                stored.append(
                    replace(
                        t,
                        id=cur.lastrowid,
                        reader=who.name,
                        started_at=started,
                        wcpm=float(t.wcpm),
                        accuracy=float(t.accuracy),
                        duration_s=float(t.duration_s),
                        challenge_words=tuple(w for w in words if w.kind != UNCLEAR),
                        unclear_words=tuple(w for w in words if w.kind == UNCLEAR),
                    )  # fmt: skip
                )
        return stored

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

    @contextlib.contextmanager
    def _busy_timeout(self, seconds: float) -> Iterator[None]:
        with self._lock:
            if self._conn is None:
                raise SidekickError("The progress store is closed.")
            self._conn.execute(f"PRAGMA busy_timeout = {int(seconds * 1000)}")
            try:
                yield
            finally:
                self._conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")

    @staticmethod
    def _stored(conn: sqlite3.Connection, reader_id: int, started: str, t: TurnRecord) -> bool:
        """Whether this turn is stored already (same reader, start, book, page, counts)."""
        row = conn.execute(
            "SELECT 1 FROM turns WHERE reader_id = ? AND started_at = ? AND book_id = ?"
            " AND page = ? AND words_total = ? AND words_correct = ?",
            (reader_id, started, t.book_id, t.page, t.words_total, t.words_correct),
        ).fetchone()
        return row is not None

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
        where, args = [], []
        with self._read() as conn:
            if reader is not None:
                where.append("t.reader_id = ?")
                args.append(self._reader_row(conn, reader).id)
            if since is not None:
                where.append("t.started_at >= ?")
                args.append(to_utc_iso(since))
            sql = (
                f"SELECT t.id, r.name, {_TURN_COLUMNS} FROM turns t"
                " JOIN readers r ON r.id = t.reader_id"
                + (" WHERE " + " AND ".join(where) if where else "")
            )
            if limit is not None:
                sql = (
                    f"SELECT * FROM ({sql} ORDER BY t.started_at DESC, t.id DESC LIMIT ?)"
                    " ORDER BY started_at, id"
                )
                args.append(int(limit))
            else:
                sql += " ORDER BY t.started_at, t.id"
            rows = conn.execute(sql, args).fetchall()
            words: dict[int, list[MissedWord]] = {}
            if with_words and rows:
                ids = [r[0] for r in rows]
                for i in range(0, len(ids), 500):
                    chunk = ids[i : i + 500]
                    for tid, pos, word, kind, heard in conn.execute(
                        "SELECT turn_id, position, word, kind, heard FROM turn_words"
                        f" WHERE turn_id IN ({','.join('?' * len(chunk))})"
                        " ORDER BY turn_id, rowid",
                        chunk,
                    ):
                        words.setdefault(tid, []).append(MissedWord(word, kind, heard, pos))
        out = []
        for tid, name, *vals in rows:
            (started, title, book_id, page, total, correct, sub, omi, ass, selfc, ins, wcpm,
             acc, dur) = vals  # fmt: skip
            out.append(
                TurnRecord(
                    book_title=title,
                    book_id=book_id,
                    page=page,
                    words_total=total,
                    words_correct=correct,
                    substituted=sub,
                    omitted=omi,
                    assisted=ass,
                    self_corrections=selfc,
                    insertions=ins,
                    wcpm=wcpm,
                    accuracy=acc,
                    duration_s=dur,
                    challenge_words=tuple(w for w in words.get(tid, ()) if w.kind != UNCLEAR),
                    unclear_words=tuple(w for w in words.get(tid, ()) if w.kind == UNCLEAR),
                    started_at=started,
                    reader=name,
                    id=tid,
                )  # fmt: skip
            )
        return out

    def turn_count(self, reader: str | None = None) -> int:
        """How many turns are stored (for one reader, or all)."""
        with self._read() as conn:
            if reader is None:
                return conn.execute("SELECT COUNT(*) FROM turns").fetchone()[0]
            rid = self._reader_row(conn, reader).id
            return conn.execute(
                "SELECT COUNT(*) FROM turns WHERE reader_id = ?", (rid,)
            ).fetchone()[0]

    def challenge_words(self, reader: str, limit: int = 10) -> list[ChallengeWord]:
        """The words ``reader`` most often missed or needed help with, most frequent first
        (ties: most recent first), each as the book writes it (see :func:`shown_form`)."""
        with self._read() as conn:
            rid = self._reader_row(conn, reader).id
            rows = conn.execute(
                """SELECT MAX(COALESCE(w.shown, w.word)),
                          SUM(w.kind != 'assisted'), SUM(w.kind = 'assisted'),
                          MAX(t.started_at),
                          (SELECT COUNT(*) FROM practice p
                            WHERE p.reader_id = w.reader_id AND p.word = w.word),
                          (SELECT COALESCE(SUM(p.correct), 0) FROM practice p
                            WHERE p.reader_id = w.reader_id AND p.word = w.word)
                   FROM turn_words w JOIN turns t ON t.id = w.turn_id
                   WHERE w.reader_id = ? AND w.kind != 'unclear'
                   GROUP BY w.word
                   ORDER BY COUNT(*) DESC, MAX(t.started_at) DESC, w.word
                   LIMIT ?""",
                (rid, int(limit)),
            ).fetchall()
        return [ChallengeWord(*r) for r in rows]

    def record_practice(self, reader: str, word: str, correct: bool) -> None:
        """Store one practice-mode attempt at a challenge word."""
        word = normalize_word(word)
        if not word:
            raise ValueError("empty practice word")
        with self._write() as conn:
            rid = self._reader_row(conn, reader).id
            conn.execute(
                "INSERT INTO practice (reader_id, word, correct, at) VALUES (?, ?, ?, ?)",
                (rid, word, int(bool(correct)), utc_now()),
            )

    def progress_summary(self, reader: str) -> ProgressSummary:
        """Books and pages read, the per-day WCPM trend and accuracy bands, and totals, over
        the turns that were scored (a stand-in for a turn lost with a damaged database counts
        no words and is left out; its words still count among the challenge words)."""
        with self._read() as conn:
            who = self._reader_row(conn, reader)
            turns, words, correct, secs = conn.execute(
                """SELECT COUNT(*), COALESCE(SUM(words_total), 0), COALESCE(SUM(words_correct), 0),
                          COALESCE(SUM(duration_s), 0)
                   FROM turns WHERE reader_id = ? AND words_total > 0""",
                (who.id,),
            ).fetchone()
            (pages,) = conn.execute(
                "SELECT COUNT(*) FROM (SELECT DISTINCT book_id, page FROM turns"
                " WHERE reader_id = ? AND words_total > 0)",
                (who.id,),
            ).fetchone()
            (not_sure,) = conn.execute(
                "SELECT COUNT(*) FROM turn_words WHERE reader_id = ? AND kind = 'unclear'",
                (who.id,),
            ).fetchone()
            books = [
                BookProgress(*r)
                for r in conn.execute(
                    """SELECT book_id,
                              (SELECT b.book_title FROM turns b WHERE b.reader_id = t.reader_id
                                AND b.book_id = t.book_id ORDER BY b.started_at DESC LIMIT 1),
                              COUNT(DISTINCT page), COUNT(*), MAX(started_at)
                       FROM turns t WHERE reader_id = ? AND words_total > 0
                       GROUP BY book_id ORDER BY MAX(started_at) DESC""",
                    (who.id,),
                )
            ]
            days = []
            for day, wsum, dsum, wcpm_avg, tot, cor, n in conn.execute(
                """SELECT date(started_at, 'localtime') AS day, SUM(wcpm * duration_s),
                          SUM(duration_s), AVG(wcpm), SUM(words_total), SUM(words_correct),
                          COUNT(*)
                   FROM turns WHERE reader_id = ? AND words_total > 0 GROUP BY day ORDER BY day""",
                (who.id,),
            ):
                # Pool the day's turns weighted by reading time (= words correct per minute
                # over the whole day's reading); plain mean if no durations were recorded.
                wcpm = wsum / dsum if dsum else wcpm_avg
                days.append(DayPoint(day, round(wcpm, 1), round(cor / tot if tot else 0.0, 4), n))
            band_counts = {"independent": 0, "instructional": 0, "frustration": 0}
            for b, n in conn.execute(
                """SELECT CASE WHEN accuracy >= 0.95 THEN 'independent'
                               WHEN accuracy >= 0.90 THEN 'instructional'
                               ELSE 'frustration' END AS b, COUNT(*)
                   FROM turns WHERE reader_id = ? AND words_total > 0 GROUP BY b""",
                (who.id,),
            ):
                band_counts[b] = n
        return ProgressSummary(
            who, turns, words, correct, secs, pages, books, days, band_counts, not_sure
        )

    # ----- reports

    def report_rows(self, reader: str | None = None) -> Iterator[tuple[Any, ...]]:
        """Rows for reports, ordered by reader then time: (reader, grade, started_at, book,
        page, words_total, words_correct, substituted, omitted, assisted, self_corrections,
        insertions, wcpm, accuracy, duration_s, missed) where ``missed`` lists the turn's
        missed words in page order as (word, kind, heard) tuples. Materialized under the
        lock."""
        with self._read() as conn:
            args: list[Any] = []
            where = ""
            if reader is not None:
                where = "WHERE t.reader_id = ?"
                args.append(self._reader_row(conn, reader).id)
            rows = conn.execute(
                f"""SELECT r.name, r.grade, t.started_at, t.book_title, t.page, t.words_total,
                           t.words_correct, t.substituted, t.omitted, t.assisted,
                           t.self_corrections, t.insertions, t.wcpm, t.accuracy, t.duration_s,
                           t.id
                    FROM turns t JOIN readers r ON r.id = t.reader_id {where}
                    ORDER BY r.name_key, t.started_at, t.id""",
                args,
            ).fetchall()
            missed: dict[int, list[tuple[str, str, str | None]]] = {}
            words = conn.execute(
                f"""SELECT w.turn_id, w.word, w.kind, w.heard FROM turn_words w
                    JOIN turns t ON t.id = w.turn_id {where}
                    ORDER BY w.turn_id, w.position""",
                args,
            )
            for turn_id, word, kind, heard in words:
                missed.setdefault(turn_id, []).append((word, kind, heard))
        return iter((*row[:-1], missed.get(row[-1], [])) for row in rows)
