"""What the app remembers between starts: the settings, the last reader, and the page each
reader reached in each book.

One small JSON file (``state.json``) in the user config directory, written atomically (a
temporary file, then ``os.replace``), so a crash never leaves half a file. A damaged or
unreadable file is ignored: the app starts with the defaults and says so once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from sidekick.atomic_file import write_atomically
from sidekick.settings import Settings, Share

STATE_FILE = "state.json"
VERSION = 1
#: Settings that belong to one run only (scripted runs), never remembered.
NOT_REMEMBERED = {"realtime"}
GUEST = ""  # the positions key of a guest (no reader chosen)


def state_path() -> Path:
    from sidekick.paths import config_dir

    return config_dir() / STATE_FILE


def _settings_to_json(settings: Settings) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(settings):
        if f.name in NOT_REMEMBERED:
            continue
        value = getattr(settings, f.name)
        out[f.name] = value.value if isinstance(value, Share) else value
    return out


def _settings_from_json(data: dict[str, Any], into: Settings) -> None:
    """Copy the valid remembered values into ``into``; anything odd keeps its default."""
    for f in fields(into):
        if f.name in NOT_REMEMBERED or f.name not in data:
            continue
        value = data[f.name]
        default = getattr(into, f.name)
        if f.name == "share":
            if value in {s.value for s in Share}:
                into.share = Share(value)
        elif isinstance(default, bool):
            if isinstance(value, bool):
                setattr(into, f.name, value)
        elif isinstance(default, float):
            if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
                setattr(into, f.name, float(value))
        elif value is None or isinstance(value, str | int) and not isinstance(value, bool):
            setattr(into, f.name, value)


@dataclass
class AppState:
    """The remembered settings and reading positions; :meth:`save` writes them."""

    settings: Settings = field(default_factory=Settings)
    #: reader name (GUEST for nobody) -> book title -> the page to go on from
    positions: dict[str, dict[str, int]] = field(default_factory=dict)
    path: Path = field(default_factory=state_path)
    #: One line for the user when the file could not be read (None: all well).
    problem: str | None = None
    #: Settings given on the command line for this run only: their remembered values are
    #: what is saved (``sidekick app --child-audio kid.wav`` once is not the new default).
    one_off: dict[str, Any] = field(default_factory=dict)

    def position(self, reader: str | None, book: str) -> int:
        """The page to resume ``book`` at for ``reader`` (1: from the start)."""
        page = self.positions.get(reader or GUEST, {}).get(book, 1)
        return page if isinstance(page, int) and page >= 1 else 1

    def set_position(self, reader: str | None, book: str, page: int) -> None:
        """Remember ``page`` (1 or less, or past the end: forget, start over next time)."""
        books = self.positions.setdefault(reader or GUEST, {})
        if page > 1:
            books[book] = page
        else:
            books.pop(book, None)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "settings": {**_settings_to_json(self.settings), **self.one_off},
            "positions": self.positions,
        }

    def run_with(self, change: Callable[[Settings], None]) -> None:
        """Apply ``change`` to the settings for this run only (see :attr:`one_off`); the
        reader, and the share and stall time that follow the reader, are remembered."""
        before = _settings_to_json(self.settings)
        change(self.settings)
        after = _settings_to_json(self.settings)
        follow_reader = {"reader", "share", "stall_s"}
        self.one_off = {k: before[k] for k in before
                        if before[k] != after.get(k) and k not in follow_reader}  # fmt: skip

    def save(self) -> str | None:
        """Write the file atomically; returns a plain-words problem, or None when saved."""
        text = json.dumps(self.to_json(), indent=2, ensure_ascii=False)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(self.path, lambda f: f.write(text))
        except OSError as exc:
            return f"Sidekick could not save your choices in {self.path.parent} ({exc.strerror})."
        return None


def load_state(path: Path | None = None, settings: Settings | None = None) -> AppState:
    """The remembered state (defaults when there is no file yet or it cannot be read)."""
    state = AppState(settings=settings or Settings(), path=path or state_path())
    try:
        data = json.loads(state.path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return state
    except (OSError, ValueError):
        state.problem = f"Your saved choices in {state.path} could not be read; using defaults."
        return state
    if not isinstance(data, dict):
        state.problem = f"Your saved choices in {state.path} could not be read; using defaults."
        return state
    if isinstance(data.get("settings"), dict):
        _settings_from_json(data["settings"], state.settings)
    positions = data.get("positions")
    if isinstance(positions, dict):
        state.positions = {
            str(reader): {str(b): p for b, p in books.items() if isinstance(p, int)}
            for reader, books in positions.items()
            if isinstance(books, dict)
        }
    return state
