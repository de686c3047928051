"""The progress database file: opened durably, checked, and recovered when it is damaged.

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
    one takes its place. :func:`recover` returns a :class:`CorruptDatabaseError` whose
    one-line message says so and how many turns were carried over (the store keeps it as
    ``ProgressStore.recovered``; callers must show it). Damage found later, in the middle of
    a write, raises that error instead (:func:`user_error`; the next open recovers).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
from datetime import datetime
from pathlib import Path

from sidekick.errors import SidekickError
from sidekick.progress import salvage
from sidekick.progress.schema import migrate

DB_NAME = "progress.sqlite3"
#: How long a write waits for another program's lock on the database.
BUSY_TIMEOUT_S = 10.0


class CorruptDatabaseError(SidekickError):
    """The progress database file is damaged. ``backup`` is where the bad file was kept."""

    def __init__(self, message: str, backup: Path | None = None) -> None:
        super().__init__(message)
        self.backup = backup


def default_path() -> Path:
    from sidekick.paths import data_dir

    return data_dir() / DB_NAME


def is_corruption(exc: sqlite3.Error) -> bool:
    """SQLITE_CORRUPT / SQLITE_NOTADB surface as a plain DatabaseError (never the
    OperationalError of locks, permissions or a full disk)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (11, 26)  # SQLITE_CORRUPT, SQLITE_NOTADB
    return type(exc) is sqlite3.DatabaseError


def user_error(path: Path, e: sqlite3.Error, verb: str) -> SidekickError:
    """A SQLite failure to ``verb`` the file at ``path`` as one line for a parent or teacher."""
    if is_corruption(e):
        return CorruptDatabaseError(
            f"The progress file {path} is damaged ({e}); restart Sidekick to keep a "
            "backup of it and start a fresh one."
        )
    msg = str(e)
    if "full" in msg:
        return SidekickError(f"Could not {verb} {path}: the disk is full.")
    if "locked" in msg or "busy" in msg:
        return SidekickError(f"Could not {verb} {path}: it is busy in another program.")
    return SidekickError(f"Could not {verb} {path}: {msg}.")


def connect(path: Path) -> sqlite3.Connection:
    """Open the database at ``path`` (creating or migrating it), in autocommit mode, WAL,
    ``synchronous=FULL`` and foreign keys on; CorruptDatabaseError if it is damaged."""
    _check_header(path)
    conn: sqlite3.Connection | None = None
    try:
        conn = sqlite3.connect(
            path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
        )
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise SidekickError(f"Cannot use WAL mode for {path} (got {mode}).")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        problems = [r[0] for r in conn.execute("PRAGMA quick_check(3)")]
        if problems != ["ok"]:
            found = " ".join("; ".join(problems).split())  # one line
            raise CorruptDatabaseError("integrity check: " + found[:200])
        migrate(conn, path)
        return conn
    except sqlite3.Error as e:
        if not is_corruption(e):
            if conn is not None:
                conn.close()
            raise SidekickError(f"Cannot open the progress file {path}: {e}") from None
        error = CorruptDatabaseError(str(e))
    except CorruptDatabaseError as e:
        error = e
    except BaseException:
        if conn is not None:
            conn.close()
        raise
    # Damaged. SQLite deletes the -wal log when the connection closes: copy it first,
    # it may hold the latest turns.
    wal = Path(f"{path}-wal")
    if wal.exists() and wal.stat().st_size:
        with contextlib.suppress(OSError):
            shutil.copy2(wal, f"{path}-wal.kept")
    if conn is not None:
        conn.close()
    raise error


def _check_header(path: Path) -> None:
    """Refuse a non-empty file that is not SQLite before SQLite touches it (or its log)."""
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except FileNotFoundError:
        return
    except OSError as e:
        raise SidekickError(f"Cannot read {path}: {e.strerror or e}") from None
    if head and head != b"SQLite format 3\x00":
        raise CorruptDatabaseError("file is not a database")


def recover(path: Path, damaged: CorruptDatabaseError) -> CorruptDatabaseError:
    """Carry what can be read of the damaged file at ``path`` into a fresh one, move the
    damaged file aside and put the fresh one in its place; the message for the user."""
    fresh = path.with_name(f"{path.name}.salvaged")
    for leftover in (fresh, Path(f"{fresh}-wal"), Path(f"{fresh}-shm")):
        leftover.unlink(missing_ok=True)
    try:
        conn = sqlite3.connect(fresh, isolation_level=None)
        try:
            conn.execute("PRAGMA foreign_keys=ON")
            migrate(conn, path)
            counts = salvage.carry_over(path, conn)
        finally:
            conn.close()
    except Exception:  # salvage is a best effort that must never stop a fresh start
        fresh.unlink(missing_ok=True)
        counts = None
    backup = _move_aside(path)
    if counts is not None:
        os.replace(fresh, path)
    if counts is None or not counts.turns_read:
        kept = "nothing in it could be read"
    else:
        kept = (f"{counts.turns} of the {counts.turns_read} turns that could be read were "
                "carried over")  # fmt: skip
    return CorruptDatabaseError(
        f"The progress file {path} was damaged ({damaged}); {kept} into a fresh one, "
        f"and the damaged file was kept as {backup.name}.",
        backup,
    )


def _move_aside(path: Path) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    backup = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while backup.exists():
        backup = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
        n += 1
    try:
        os.replace(path, backup)
        # Never let an old log be replayed into the fresh database; keep it with the
        # backup (the copy taken before SQLite closed it, else the file itself).
        wal, kept = Path(f"{path}-wal"), Path(f"{path}-wal.kept")
        if kept.exists():
            os.replace(kept, f"{backup}-wal")
            wal.unlink(missing_ok=True)
        elif wal.exists():
            os.replace(wal, f"{backup}-wal")
        Path(f"{path}-shm").unlink(missing_ok=True)
    except OSError as e:
        raise CorruptDatabaseError(
            f"The progress file {path} is damaged and could not be moved aside "
            f"({e.strerror or e}); move or delete it, then start Sidekick again."
        ) from None
    return backup
