"""Where things live: bundled books and voices, and the user's data directory."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from platformdirs import user_config_path, user_data_path

from sidekick.errors import SidekickError

REPO_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_BOOKS = REPO_ROOT / "books"
BUNDLED_VOICES = REPO_ROOT / "voices"


def data_dir() -> Path:
    """The user data directory (``SIDEKICK_HOME`` overrides it, e.g. in tests)."""
    override = os.environ.get("SIDEKICK_HOME")
    return Path(override) if override else user_data_path("sidekick", appauthor=False)


def config_dir() -> Path:
    """The user config directory (under ``SIDEKICK_HOME`` when that is set)."""
    override = os.environ.get("SIDEKICK_HOME")
    return Path(override) / "config" if override else user_config_path("sidekick", appauthor=False)


def user_books_dir() -> Path:
    return data_dir() / "books"


def models_dir() -> Path:
    return data_dir() / "models"


def check_output_file(path: str | Path, suffixes: tuple[str, ...] = ()) -> Path:
    """``path`` if a file may be written there: a new file in an existing folder, or an
    existing regular file to replace (never a device, folder, pipe or broken link), with one
    of ``suffixes`` when given. Otherwise a :class:`SidekickError` in plain words."""
    path = Path(path).expanduser()
    where = shown(path)
    if suffixes and path.suffix.lower() not in suffixes:
        names = " or ".join(suffixes)
        raise SidekickError(
            f"Cannot write {where}: the file name must end in {names} "
            f"(for example {shown(path.stem or 'out')}{suffixes[0]})."
        )
    if not path.parent.is_dir():
        raise SidekickError(
            f"Cannot write {where}: the folder {shown(path.parent)} does not exist."
        )
    try:
        info = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            raise SidekickError(f"Cannot write {where}: it is a link to nothing.") from None
        return path
    except OSError as exc:
        raise SidekickError(f"Cannot write {where}: {exc.strerror or exc}.") from None
    if not stat.S_ISREG(info.st_mode):
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise SidekickError(f"Cannot write {where}: it is {kind}.")
    return path


def shown(path: str | Path) -> str:
    """A path as one line of a message: quoted with escapes if it holds control characters."""
    text = str(path)
    return text if text.isprintable() else repr(text)
