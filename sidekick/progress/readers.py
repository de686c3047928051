"""Reader profiles in the progress database: names (unique ignoring case), grade, reading
share and stall time. Each function works inside the caller's transaction."""

from __future__ import annotations

import sqlite3
import unicodedata
from typing import Any

from sidekick.errors import SidekickError
from sidekick.progress.records import Reader, utc_now
from sidekick.settings import Share

MAX_NAME_LEN = 40
#: A setting :func:`update` leaves as it is (``None`` clears a reader's grade).
UNSET: Any = object()
_SELECT = "SELECT id, name, grade, share, stall_s, created_at FROM readers"


def name_key(name: str) -> str:
    """What makes two names one reader: "Ann" and "ann" are the same."""
    return unicodedata.normalize("NFC", name).casefold()


def clean_name(name: str) -> str:
    """A reader's name as stored (spaces folded); SidekickError for one that cannot be."""
    name = " ".join(unicodedata.normalize("NFC", str(name)).split())
    if not name:
        raise SidekickError("A reader needs a name.")
    if len(name) > MAX_NAME_LEN:
        raise SidekickError(f"Reader names can be at most {MAX_NAME_LEN} characters.")
    if any(unicodedata.category(c).startswith("C") for c in name):
        raise SidekickError("Reader names cannot contain control characters.")
    return name


def check_settings(
    grade: int | str | None, share: str | Share, stall_s: float
) -> tuple[int | None, str, float]:
    """A reader's grade (``K`` is 0), share and stall time as stored; SidekickError for a
    value out of range."""
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


def find(conn: sqlite3.Connection, name: str) -> Reader | None:
    """The reader called ``name`` (any case), or ``None``."""
    row = conn.execute(
        f"{_SELECT} WHERE name_key = ?", (name_key(" ".join(str(name).split())),)
    ).fetchone()
    return None if row is None else Reader(*row)


def get(conn: sqlite3.Connection, name: str) -> Reader:
    """The reader called ``name`` (any case); SidekickError, saying how to add one, if none."""
    reader = find(conn, name)
    if reader is None:
        shown = " ".join(str(name).split())
        raise SidekickError(f"No reader named {shown!r} (add one: sidekick readers add {shown!r}).")
    return reader


def id_or_all(conn: sqlite3.Connection, name: str | None) -> int | None:
    """The id of the reader called ``name``; ``None`` (everyone) when ``name`` is."""
    return None if name is None else get(conn, name).id


def _by_id(conn: sqlite3.Connection, reader_id: int | None) -> Reader:
    return Reader(*conn.execute(f"{_SELECT} WHERE id = ?", (reader_id,)).fetchone())


def all_readers(conn: sqlite3.Connection) -> list[Reader]:
    """All readers, by name."""
    return [Reader(*r) for r in conn.execute(f"{_SELECT} ORDER BY name_key").fetchall()]


def add(
    conn: sqlite3.Connection, name: str, grade: int | None, share: str, stall_s: float
) -> Reader:
    """Add a reader whose name and settings :func:`clean_name` and :func:`check_settings`
    have passed; SidekickError if the name is taken."""
    taken = conn.execute(
        "SELECT name FROM readers WHERE name_key = ?", (name_key(name),)
    ).fetchone()
    if taken:
        raise SidekickError(f"There is already a reader named {taken[0]!r}.")
    cur = conn.execute(
        "INSERT INTO readers (name, name_key, grade, share, stall_s, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (name, name_key(name), grade, share, stall_s, utc_now()),
    )
    return _by_id(conn, cur.lastrowid)


def update(
    conn: sqlite3.Connection,
    name: str,
    *,
    new_name: str | None = None,
    grade: int | str | None = UNSET,
    share: str | None = None,
    stall_s: float | None = None,
) -> Reader:
    """Change a reader's name, grade (``None`` clears it), share or stall time."""
    current = get(conn, name)
    g, s, st = check_settings(
        current.grade if grade is UNSET else grade,
        share if share is not None else current.share,
        stall_s if stall_s is not None else current.stall_s,
    )
    renamed = clean_name(new_name) if new_name is not None else current.name
    clash = conn.execute(
        "SELECT name FROM readers WHERE name_key = ? AND id != ?",
        (name_key(renamed), current.id),
    ).fetchone()
    if clash:
        raise SidekickError(f"There is already a reader named {clash[0]!r}.")
    conn.execute(
        "UPDATE readers SET name = ?, name_key = ?, grade = ?, share = ?, stall_s = ? WHERE id = ?",
        (renamed, name_key(renamed), g, s, st, current.id),
    )
    return _by_id(conn, current.id)


def remove(conn: sqlite3.Connection, name: str) -> int:
    """Delete a reader and all their history; the number of turns deleted."""
    reader = get(conn, name)
    (n,) = conn.execute("SELECT COUNT(*) FROM turns WHERE reader_id = ?", (reader.id,)).fetchone()
    conn.execute("DELETE FROM readers WHERE id = ?", (reader.id,))
    return n
