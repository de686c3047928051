"""Replacing a file so that a crash or a power cut leaves the old file or the new one, never
half of either."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TextIO


def write_atomically(
    path: Path,
    write: Callable[[TextIO], object],
    *,
    encoding: str = "utf-8",
    newline: str | None = None,
) -> None:
    """Have ``write`` fill a temporary file beside ``path``, ``fsync`` it, rename it over
    ``path`` and ``fsync`` the folder (so the rename survives a power cut too). An OSError
    comes through as it is, the temporary file removed."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline=newline) as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # not every system can open a folder (Windows)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
