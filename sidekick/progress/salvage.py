"""What can still be read of a damaged progress database, carried into a fresh one.

Rows are gathered two ways, each of which reaches rows the other may not:

* through SQLite, one row at a time: a scan of a table stops at its first damaged page, but
  rows on pages that are fine can still be looked up by their id. Each table's ids are
  gathered from every scan that gets anywhere (by id up and down, and through each of its
  indexes), and each id in the range they span (and a margin past it) is looked up;
* from the file's pages themselves: every table leaf page that is not free is decoded and
  its rows are told apart by their shape (how many columns, of which types). This reaches
  rows below a damaged interior page, which no look-up gets past.

Every row found is inserted into the fresh database (SQLite's copy of a row first). Turns
whose reader's row was lost get a stand-in reader ("Reader 7 (recovered)") so that they are
not lost with it, and the words of a turn whose own row was lost get a stand-in turn (see
:func:`stand_in_turn`: its scores are unknown, so it is not scored); rows that break the
schema's rules are left out. The damaged file itself is never written: a copy of it (with
its ``-wal`` log folded in) is read.
"""

from __future__ import annotations

import bisect
import contextlib
import shutil
import sqlite3
import struct
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sidekick.progress.readers import name_key
from sidekick.progress.records import RECOVERED_BOOK_ID, RECOVERED_BOOK_TITLE, utc_now
from sidekick.progress.schema import COLUMNS
from sidekick.settings import Share

#: The shape of each table's stored records (its :data:`~sidekick.progress.schema.COLUMNS`):
#: one letter per column, n: NULL (the id, stored as the row's key), i: integer, r: number,
#: t: text; upper case: or NULL.
SHAPES = {"readers": "nttItrt", "turns": "nitttiiiiiiiirrr", "turn_words": "iiIttTT",
          "practice": "nitit"}  # fmt: skip
#: Columns added by a later schema version (ALTER TABLE ... ADD COLUMN): rows written before
#: it have fewer values, read as NULL.
ADDED_LATER = {"turn_words": 1}
#: Tables whose first column is the row's key (stored as NULL in the record).
KEYED = ("readers", "turns", "practice")
#: Ids past the largest one seen that are looked up too (the last pages may be unreadable
#: to a scan but not to a look-up).
MARGIN = 1000
#: Wider than this, an id range is taken for garbage read from a damaged index: only the ids
#: seen are looked up.
MAX_SPAN = 5_000_000

Row = tuple[object, ...]


@dataclass
class Carried:
    """Rows read from the damaged file and rows carried into the fresh one, per table."""

    read: dict[str, int] = field(default_factory=dict)
    carried: dict[str, int] = field(default_factory=dict)

    @property
    def turns_read(self) -> int:
        return self.read.get("turns", 0)

    @property
    def turns(self) -> int:
        return self.carried.get("turns", 0)


def carry_over(damaged: Path, fresh: sqlite3.Connection) -> Carried:
    """Insert every readable row of ``damaged`` into ``fresh`` (an empty database with the
    current schema); returns the counts."""
    with tempfile.TemporaryDirectory(prefix=".salvage-", dir=damaged.parent) as work:
        copy = Path(work) / damaged.name
        shutil.copyfile(damaged, copy)
        for log in (Path(f"{damaged}-wal.kept"), Path(f"{damaged}-wal")):
            if log.is_file():
                shutil.copyfile(log, f"{copy}-wal")
                break
        _fit_header(copy)
        source = sqlite3.connect(copy)
        try:
            with contextlib.suppress(sqlite3.Error):  # the log's pages are the latest
                source.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            rows = {table: dict(readable_rows(source, table, cols))
                    for table, cols in COLUMNS.items()}  # fmt: skip
        finally:
            source.close()
        for table, found in page_rows(copy.read_bytes()).items():
            for key, row in found.items():
                rows[table].setdefault(key, row)
    result = Carried(read={table: len(found) for table, found in rows.items()})
    fresh.execute("BEGIN")
    try:
        result.carried = _insert(fresh, {t: list(found.values()) for t, found in rows.items()})
        fresh.execute("COMMIT")
    except BaseException:
        fresh.execute("ROLLBACK")
        raise
    return result


def _fit_header(copy: Path) -> None:
    """A file cut short still claims its old size in its header, and SQLite then refuses it
    whole: make the copy claim what it has."""
    with open(copy, "r+b") as f:
        head = f.read(100)
        if len(head) < 100 or not head.startswith(b"SQLite format 3\x00"):
            return
        size = _page_size(head)
        pages = f.seek(0, 2) // size if size else 0
        if pages and struct.unpack(">I", head[28:32])[0] > pages:
            f.seek(28)
            f.write(struct.pack(">I", pages))


def _page_size(head: bytes) -> int:
    """The page size the header gives (0 if it is not one SQLite allows)."""
    (size,) = struct.unpack(">H", head[16:18])
    size = 65536 if size == 1 else size
    return size if size >= 512 and size & (size - 1) == 0 else 0


def _ids(source: sqlite3.Connection, table: str) -> set[int]:
    """The ids every scan of ``table`` gets to before it meets damage."""
    scans = [f"SELECT rowid FROM {table} ORDER BY rowid", f"SELECT rowid FROM {table} ORDER BY "
             "rowid DESC"]  # fmt: skip
    try:
        found = source.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?", (table,)
        )
        indexes = [name for (name,) in found]
    except sqlite3.Error:
        indexes = []
    scans += [f'SELECT rowid FROM {table} INDEXED BY "{name}"' for name in indexes]
    ids: set[int] = set()
    for sql in scans:
        try:
            for (rowid,) in source.execute(sql):
                if isinstance(rowid, int):
                    ids.add(rowid)
        except sqlite3.Error:
            continue  # damage: keep what this scan got to
    return ids


def readable_rows(
    source: sqlite3.Connection, table: str, columns: Iterable[str]
) -> list[tuple[int, Row]]:
    """Every row of ``table`` that SQLite can read, one id at a time: (rowid, row)."""
    ids = _ids(source, table)
    if not ids:
        return []
    try:  # a file of an earlier schema version lacks the columns added since: read as NULL
        have = {str(row[1]) for row in source.execute(f"PRAGMA table_info({table})")}
    except sqlite3.Error:
        have = set()
    picked = [c if not have or c in have else "NULL" for c in columns]
    sql = f"SELECT rowid, {', '.join(picked)} FROM {table} WHERE rowid = ?"
    rows = []
    low, high = min(ids), max(ids) + MARGIN
    span = range(low, high + 1) if high - low <= MAX_SPAN else sorted(ids)  # ids are dense
    for rowid in span:
        try:
            row = source.execute(sql, (rowid,)).fetchone()
        except sqlite3.Error:
            continue
        if row is not None:
            rows.append((row[0], row[1:]))
    return rows


def page_rows(data: bytes) -> dict[str, dict[int, Row]]:
    """The rows of every table leaf page of a database file that is not on its free list,
    by table (told apart by :data:`SHAPES`) and rowid."""
    found: dict[str, dict[int, Row]] = {table: {} for table in COLUMNS}
    if len(data) < 100 or not data.startswith(b"SQLite format 3\x00"):
        return found
    size = _page_size(data)
    if not size:
        return found
    usable = size - data[20]
    free = _free_pages(data, size)
    for number in range(1, len(data) // size + 1):
        if number in free:
            continue
        page = data[(number - 1) * size : number * size]
        for rowid, values in _leaf_cells(page, 100 if number == 1 else 0, usable):
            for table, shape in SHAPES.items():
                missing = len(shape) - len(values)
                record = values
                if 0 < missing <= ADDED_LATER.get(table, 0):
                    record = [*values, *[None] * missing]
                if _fits(record, shape):
                    row = (rowid, *record[1:]) if table in KEYED else record
                    found[table].setdefault(rowid, tuple(row))
                    break
    return found


def _free_pages(data: bytes, size: int) -> set[int]:
    """The pages on the free list (deleted rows may still be on them)."""
    free: set[int] = set()
    trunk = struct.unpack(">I", data[32:36])[0]
    pages = len(data) // size
    while 0 < trunk <= pages and trunk not in free:  # a damaged list ends where it loops
        free.add(trunk)
        at = (trunk - 1) * size
        following, count = struct.unpack(">II", data[at : at + 8])
        count = min(count, (size - 8) // 4)
        free.update(struct.unpack(f">{count}I", data[at + 8 : at + 8 + 4 * count]))
        trunk = following
    return free


def _varint(buf: bytes, at: int) -> tuple[int, int]:
    """SQLite's variable-length integer at ``at``: (value, where the next thing starts)."""
    value = 0
    for i in range(8):
        byte = buf[at + i]
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, at + i + 1
    return (value << 8) | buf[at + 8], at + 9


def _leaf_cells(page: bytes, head: int, usable: int) -> Iterator[tuple[int, list[object]]]:
    """(rowid, values) of each cell of a table leaf page that decodes (none for any other
    kind of page, nor for rows spilling onto overflow pages)."""
    if page[head] != 0x0D:
        return
    (count,) = struct.unpack(">H", page[head + 3 : head + 5])
    for i in range(count):
        try:
            (at,) = struct.unpack(">H", page[head + 8 + 2 * i : head + 10 + 2 * i])
            length, at = _varint(page, at)
            rowid, at = _varint(page, at)
            if length > usable - 35 or at + length > len(page):
                continue  # spills onto overflow pages, or garbage
            values = _record(page[at : at + length])
        except (IndexError, struct.error, UnicodeDecodeError, ValueError):
            continue
        if values is not None:
            yield rowid, values


def _record(payload: bytes) -> list[object] | None:
    """The values of one record (SQLite's record format), or None if it does not decode."""
    header, at = _varint(payload, 0)
    types = []
    while at < header:
        serial, at = _varint(payload, at)
        types.append(serial)
    values: list[object] = []
    at = header
    widths = {1: 1, 2: 2, 3: 3, 4: 4, 5: 6, 6: 8}
    for serial in types:
        if serial == 0:
            values.append(None)
        elif serial in widths:
            n = widths[serial]
            values.append(int.from_bytes(payload[at : at + n], "big", signed=True))
            at += n
        elif serial == 7:
            values.append(struct.unpack(">d", payload[at : at + 8])[0])
            at += 8
        elif serial in (8, 9):
            values.append(serial - 8)
        elif serial >= 13 and serial % 2:
            n = (serial - 13) // 2
            values.append(payload[at : at + n].decode("utf-8"))
            at += n
        else:
            return None  # blobs and reserved types: not in these tables
    return values if at == len(payload) else None


def _fits(values: list[object], shape: str) -> bool:
    """Whether a record has a table's shape (see :data:`SHAPES`)."""
    if len(values) != len(shape):
        return False
    for value, kind in zip(values, shape, strict=True):
        if value is None:
            if kind not in "nIRT":
                return False
        elif kind == "n":
            return False
        elif kind in "iI":
            if type(value) is not int:
                return False
        elif kind in "rR":
            if type(value) not in (int, float):
                return False
        elif not isinstance(value, str):
            return False
    return True


def stand_in_turn(turn_id: int, reader_id: int, started: list[tuple[int, str]]) -> Row:
    """A turn row standing in for a lost one whose words were found. Its book and scores are
    unknown: it is marked by :data:`~sidekick.progress.records.RECOVERED_BOOK_ID` and counts no
    words, so reports and the progress screen list it without scoring it. Turn ids grow with
    time, so it takes the start time of the nearest earlier turn carried over (or the
    nearest later one), which keeps its words in the right place in the reader's history."""
    at = bisect.bisect_left(started, (turn_id, ""))
    near = started[at - 1] if at else (started[0] if started else None)
    when = near[1] if near else utc_now()
    return (turn_id, reader_id, when, RECOVERED_BOOK_TITLE, RECOVERED_BOOK_ID, 0, 0, 0, 0, 0, 0,
            0, 0, 0.0, 0.0, 0.0)  # fmt: skip


def _insert(fresh: sqlite3.Connection, rows: dict[str, list[Row]]) -> dict[str, int]:
    carried = dict.fromkeys(COLUMNS, 0)
    readers: set[object] = set()

    def put(table: str, row: Row) -> bool:
        cols = COLUMNS[table]
        try:
            fresh.execute(f"INSERT INTO {table} ({', '.join(cols)}) VALUES "
                          f"({', '.join('?' * len(cols))})", row)  # fmt: skip
        except sqlite3.Error:  # breaks a rule of the schema (or a stand-in's name is taken)
            return False
        carried[table] += 1
        return True

    def reader(reader_id: object) -> bool:
        """The reader exists, or a stand-in for them was made."""
        if not isinstance(reader_id, int):
            return False
        if reader_id not in readers:
            name = f"Reader {reader_id} (recovered)"
            stand_in = (reader_id, name, name_key(name), None, Share.TAKE_TURNS.value, 3.0,
                        utc_now())  # fmt: skip
            if not put("readers", stand_in):
                return False
            carried["readers"] -= 1  # a stand-in is not a row carried over
            readers.add(reader_id)
        return True

    for row in rows["readers"]:
        if put("readers", row):
            readers.add(row[0])
    turns = {row[0] for row in rows["turns"] if reader(row[1]) and put("turns", row)}
    started = sorted((row[0], row[2]) for row in rows["turns"] if row[0] in turns)
    for row in rows["turn_words"]:
        turn_id, reader_id = row[0], row[1]
        lost = turn_id not in turns and isinstance(turn_id, int) and reader(reader_id)
        if lost and put("turns", stand_in_turn(turn_id, reader_id, started)):
            carried["turns"] -= 1  # a stand-in is not a row carried over
            turns.add(turn_id)
        if turn_id in turns:
            put("turn_words", row)
    for row in rows["practice"]:
        if reader(row[1]):
            put("practice", row)
    return carried
