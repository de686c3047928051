"""Finished turns that could not be saved yet: a small journal beside the progress database.

When the database cannot take a turn (read-only, locked by another program past the wait,
damaged, the disk full for its log), the turn is appended here instead, and
:class:`~sidekick.progress.store.ProgressStore` writes it into the database when it can: when
it is opened next, and after its next saved turn. One JSON object per line: the reader's
name and the turn as stored. Every change rewrites the whole (small) file atomically
(:func:`~sidekick.atomic_file.write_atomically`), under a lock file, so a journal is never
half written and two programs never lose each other's lines.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from sidekick.atomic_file import write_atomically
from sidekick.errors import SidekickError
from sidekick.progress.records import MissedWord, TurnRecord


@dataclass(frozen=True)
class PendingTurn:
    reader: str
    turn: TurnRecord
    line: str  # as in the journal


#: The turn's lists of words (kept as lists of objects in the journal).
_WORD_LISTS = ("challenge_words", "unclear_words")


def _to_line(reader: str, turn: TurnRecord) -> str:
    data = asdict(turn)
    data.pop("id", None)
    for words in _WORD_LISTS:
        data[words] = [asdict(w) for w in getattr(turn, words)]
    return json.dumps({"reader": reader, "turn": data}, ensure_ascii=False)


def _from_line(line: str) -> PendingTurn | None:
    """The turn of a journal line, or None for a line that is not one."""
    try:
        entry = json.loads(line)
        data: dict[str, Any] = dict(entry["turn"])
        words = {k: tuple(MissedWord(**w) for w in data.pop(k, ())) for k in _WORD_LISTS}
        known = {f.name for f in fields(TurnRecord)} - set(_WORD_LISTS)
        turn = TurnRecord(**{k: v for k, v in data.items() if k in known}, **words)
        return PendingTurn(str(entry["reader"]), turn, line)
    except (ValueError, KeyError, TypeError):
        return None


class PendingJournal:
    """The journal file (it exists only while turns are waiting)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock_path = path.with_name(path.name + ".lock")

    def __bool__(self) -> bool:
        return self.path.exists()

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            try:
                import fcntl

                fcntl.flock(fd, fcntl.LOCK_EX)
            except ImportError:  # no flock (Windows): one program at a time is assumed
                pass
            yield
        finally:
            os.close(fd)

    def _lines(self) -> list[str]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        return [line for line in text.splitlines() if line.strip()]

    def _write(self, lines: list[str]) -> None:
        if not lines:
            self.path.unlink(missing_ok=True)
            return
        write_atomically(self.path, lambda f: f.write("".join(line + "\n" for line in lines)))

    def add(self, reader: str, turn: TurnRecord) -> None:
        """Keep a turn until it can be saved (SidekickError if even this fails)."""
        try:
            with self._locked():
                self._write([*self._lines(), _to_line(reader, turn)])
        except OSError as e:
            raise SidekickError(
                f"Could not keep the turn in {self.path} either: {e.strerror or e}."
            ) from None

    def pending(self) -> list[PendingTurn]:
        """The turns waiting, oldest first (lines that are not turns are left alone)."""
        return [p for line in self._lines() if (p := _from_line(line)) is not None]

    @contextlib.contextmanager
    def taking(self) -> Iterator[list[PendingTurn]]:
        """The turns waiting, under the journal's lock; those the caller removes from the
        list are dropped from the journal when the block ends without an error."""
        with self._locked():
            lines = self._lines()
            turns = [p for line in lines if (p := _from_line(line)) is not None]
            left = list(turns)
            yield left
            keep = {p.line for p in left}
            self._write([line for line in lines if _from_line(line) is None or line in keep])
