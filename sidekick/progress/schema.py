"""The progress database's tables and the migrations that build them.

``PRAGMA user_version`` counts the :data:`MIGRATIONS` applied::

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

import sqlite3
from pathlib import Path

from sidekick.errors import SidekickError

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

#: Each table's columns at the current version, readers first (the others refer to them).
COLUMNS: dict[str, tuple[str, ...]] = {
    "readers": ("id", "name", "name_key", "grade", "share", "stall_s", "created_at"),
    "turns": ("id", "reader_id", "started_at", "book_title", "book_id", "page", "words_total",
              "words_correct", "substituted", "omitted", "assisted", "self_corrections",
              "insertions", "wcpm", "accuracy", "duration_s"),
    "turn_words": ("turn_id", "reader_id", "position", "word", "kind", "heard", "shown"),
    "practice": ("id", "reader_id", "word", "correct", "at"),
}  # fmt: skip


def migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Bring the database on ``conn`` (the file at ``path``) to :data:`SCHEMA_VERSION`, in one
    transaction; SidekickError for a file written by a newer Sidekick."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise SidekickError(
            f"The progress file {path} was written by a newer Sidekick "
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
