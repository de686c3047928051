"""The reading history in the progress database: each finished turn stored with its words,
and turns read back (for the store's callers and for reports). Each function works inside
the caller's transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from sidekick.progress.readers import name_key
from sidekick.progress.records import (
    MISS_KINDS,
    UNCLEAR,
    MissedWord,
    Reader,
    TurnRecord,
    to_utc_iso,
)
from sidekick.progress.schema import COLUMNS
from sidekick.words import written_form

#: A turn's own columns (all but its id and reader), each named as its :class:`TurnRecord` field.
_TURN_FIELDS = COLUMNS["turns"][2:]
_TURN_COLUMNS = ", ".join(_TURN_FIELDS)
#: The fields stored as floats (a turn may carry ints or numpy numbers).
_FLOATS = ("wcpm", "accuracy", "duration_s")


def check_turns(reader: str, turns: Sequence[TurnRecord]) -> None:
    """ValueError for a turn that cannot be stored as ``reader``'s."""
    for t in turns:
        _check_turn(t)
        if t.reader and name_key(t.reader) != name_key(reader):
            raise ValueError(f"turn belongs to {t.reader!r}, not {reader!r}")


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


def insert_turns(
    conn: sqlite3.Connection, who: Reader, turns: Sequence[TurnRecord], *, skip_stored: bool
) -> list[TurnRecord]:
    """Store turns that :func:`check_turns` has passed, each with its missed and unclear
    words (as the book writes them, and in lower case); returns them as stored. With
    ``skip_stored``, a turn already stored (same reader, start time, book, page and counts)
    is not stored again."""
    stored: list[TurnRecord] = []
    for t in turns:
        as_stored: dict[str, Any] = {"started_at": to_utc_iso(t.started_at)}
        as_stored |= {f: float(getattr(t, f)) for f in _FLOATS}
        if skip_stored and _is_stored(conn, who.id, as_stored["started_at"], t):
            continue
        cur = conn.execute(
            f"INSERT INTO turns (reader_id, {_TURN_COLUMNS})"
            f" VALUES (?, {', '.join('?' * len(_TURN_FIELDS))})",
            (who.id, *(as_stored.get(f, getattr(t, f)) for f in _TURN_FIELDS)),
        )
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
        words = [MissedWord(word, kind, heard, pos) for _, _, pos, word, _, kind, heard in rows]
        stored.append(
            replace(
                t,
                id=cur.lastrowid,
                reader=who.name,
                **as_stored,
                **_by_kind(words),
            )
        )
    return stored


def _by_kind(words: Iterable[MissedWord]) -> dict[str, tuple[MissedWord, ...]]:
    """A turn's stored words as its ``challenge_words`` and its ``unclear_words``."""
    words = tuple(words)
    return {
        "challenge_words": tuple(w for w in words if w.kind != UNCLEAR),
        "unclear_words": tuple(w for w in words if w.kind == UNCLEAR),
    }


def _is_stored(conn: sqlite3.Connection, reader_id: int, started: str, t: TurnRecord) -> bool:
    """Whether this turn is stored already (same reader, start, book, page, counts)."""
    row = conn.execute(
        "SELECT 1 FROM turns WHERE reader_id = ? AND started_at = ? AND book_id = ?"
        " AND page = ? AND words_total = ? AND words_correct = ?",
        (reader_id, started, t.book_id, t.page, t.words_total, t.words_correct),
    ).fetchone()
    return row is not None


def select_turns(
    conn: sqlite3.Connection,
    reader_id: int | None,
    since: datetime | date | str | None,
    limit: int | None,
    *,
    with_words: bool,
) -> list[TurnRecord]:
    """Turns, oldest first: one reader's or everyone's, from ``since`` on; ``limit`` keeps
    the most recent ones. ``with_words=False`` skips loading challenge words."""
    where, args = [], []
    if reader_id is not None:
        where.append("t.reader_id = ?")
        args.append(reader_id)
    if since is not None:
        where.append("t.started_at >= ?")
        args.append(to_utc_iso(since))
    sql = (
        f"SELECT t.id, r.name, {_TURN_COLUMNS} FROM turns t"
        " JOIN readers r ON r.id = t.reader_id" + (" WHERE " + " AND ".join(where) if where else "")
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
    for tid, name, *values in rows:
        mine = words.get(tid, ())
        out.append(
            TurnRecord(
                **dict(zip(_TURN_FIELDS, values, strict=True)),
                **_by_kind(mine),
                reader=name,
                id=tid,
            )
        )
    return out


def count_turns(conn: sqlite3.Connection, reader_id: int | None) -> int:
    """How many turns are stored (for one reader, or all)."""
    if reader_id is None:
        return conn.execute("SELECT COUNT(*) FROM turns").fetchone()[0]
    return conn.execute("SELECT COUNT(*) FROM turns WHERE reader_id = ?", (reader_id,)).fetchone()[
        0
    ]


def report_rows(conn: sqlite3.Connection, reader_id: int | None) -> Iterator[tuple[Any, ...]]:
    """The rows of a report (see ``ProgressStore.report_rows``), read in full."""
    args: list[Any] = []
    where = ""
    if reader_id is not None:
        where = "WHERE t.reader_id = ?"
        args.append(reader_id)
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
