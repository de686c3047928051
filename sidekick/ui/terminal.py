"""Keep native libraries' messages off the app's screen.

PortAudio and ALSA print their own errors straight to file descriptor 2 (for example when a
microphone is unplugged or the sound system stops: "Expression ... failed", "underrun
occurred"). Textual draws the app on standard error, so those lines would scribble over the
screen; the app says what happened in its own words instead. While the app runs it draws on
a copy of the terminal's descriptor and descriptor 2 goes to /dev/null.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Within the block: Python's ``sys.stderr``/``sys.__stderr__`` (and so Textual) write to
    the terminal; writes by C libraries to descriptor 2 are dropped. Nothing changes when
    standard error is not a terminal (logs and pipes keep everything)."""
    original = sys.__stderr__
    if original is None or not original.isatty():
        yield
        return
    original.flush()
    saved = os.dup(2)
    terminal = os.fdopen(
        os.dup(2), "w", buffering=1, encoding=original.encoding, errors=original.errors
    )
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    before = sys.stderr
    sys.__stderr__ = sys.stderr = terminal
    try:
        yield
    finally:
        terminal.flush()
        os.dup2(saved, 2)
        os.close(saved)
        sys.__stderr__, sys.stderr = original, before
        terminal.close()
