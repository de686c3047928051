"""Files derived from the child's voice that a library can only take by file name, kept in
memory and out of every other user's reach.

pocketsphinx reads a speaker transform (MLLR) only from a file and writes the features of
what it heard only into a folder. :class:`MemoryFile` is an anonymous in-memory file (Linux
``memfd``) with a path (``/proc/self/fd/N``) that such a library can open: its bytes are
never on any file system and vanish with the process, even one that is killed.

What still needs a real folder lives in :func:`private_dir`: one folder per running session
inside one private folder (mode 0700) of the user, on a memory file system when there is
one (``$XDG_RUNTIME_DIR``, else ``/dev/shm``; the user data dir only as a last resort). A
session's folder is removed when it ends; folders of sessions that were killed are swept
by :func:`sweep` (every ``sidekick`` command calls it when it starts). A session holds a
lock (``flock``) on its folder itself while it runs, which is how a sweep tells a live one
from a dead one; the lock needs no file of its own, so a killed session leaves nothing but
its folder's emptied structure. A folder is made under a name the sweep passes over and
given its ``session-`` name only once it is locked.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import stat
import tempfile
import threading
from pathlib import Path

from sidekick.paths import data_dir

#: A folder still being made (not yet locked) this old is a leftover (a session killed while
#: starting).
UNLOCKED_GRACE_S = 60.0
_SESSION, _NEW = "session-", ".new-session-"
#: The lock file of a session of an earlier Sidekick (which locked a file in its folder).
_LOCK_FILE = ".lock"
_state_lock = threading.Lock()
_session: tuple[Path, int] | None = None  # this process's folder and its lock's descriptor


def _usable(folder: Path) -> bool:
    """A folder of ours, private: created if missing, never followed through a link."""
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        info = folder.lstat()
    except OSError:
        return False
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        return False  # someone else's, or a link planted in a shared place
    if stat.S_IMODE(info.st_mode) != 0o700:
        with contextlib.suppress(OSError):
            folder.chmod(0o700)
    return stat.S_IMODE(folder.lstat().st_mode) == 0o700


def _places() -> list[Path]:
    """Where the private folder may be, best first (the last one is on disk)."""
    places = []
    if runtime := os.environ.get("XDG_RUNTIME_DIR"):
        places.append(Path(runtime) / "sidekick")
    if Path("/dev/shm").is_dir():
        places.append(Path("/dev/shm") / f"sidekick-{os.getuid()}")
    return [*places, data_dir() / "private"]


def base_dir() -> Path:
    """The user's one private folder for session files (see the module docstring)."""
    *memory, folder = _places()
    for place in memory:
        if place.parent.is_dir() and _usable(place):
            return place
    folder.parent.mkdir(parents=True, exist_ok=True)
    if not _usable(folder):
        raise OSError(f"Cannot make a private folder at {folder}")
    return folder


def private_dir() -> Path:
    """This session's private folder (created on first use, removed at exit)."""
    global _session
    with _state_lock:
        if _session is not None and _session[0].is_dir():
            return _session[0]
        base = base_dir()
        sweep(base)
        new = Path(tempfile.mkdtemp(prefix=_NEW, dir=base))
        fd = _open_folder(new)
        _flock(fd, blocking=True)
        folder = new.with_name(_SESSION + new.name.removeprefix(_NEW))  # locked: swept no more
        os.rename(new, folder)
        if _session is None:
            atexit.register(remove_private_dir)
        _session = (folder, fd)
        return folder


def remove_private_dir() -> None:
    """Remove this session's folder and everything in it (at exit, or when done)."""
    global _session
    with _state_lock:
        if _session is None:
            return
        folder, fd = _session
        _session = None
        shutil.rmtree(folder, ignore_errors=True)
        with contextlib.suppress(OSError):
            os.close(fd)


def sweep(base: Path | None = None) -> int:
    """Remove the folders of sessions that are no longer running (in ``base``, or wherever
    the private folder may be); returns how many. Creates nothing."""
    own = _session[0] if _session is not None else None
    removed = 0
    for place in [base] if base is not None else _places():
        try:
            if place.lstat().st_uid != os.getuid() or not place.is_dir() or place.is_symlink():
                continue
            entries = list(place.iterdir())
        except OSError:
            continue
        for folder in entries:
            if folder != own and _abandoned(folder):
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
    return removed


def _open_folder(folder: Path) -> int:
    """A descriptor of the folder itself, to lock (reading it writes nothing)."""
    return os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | os.O_CLOEXEC)


def _abandoned(folder: Path) -> bool:
    """A session's folder whose session has ended, or one left half made."""
    if folder.name.startswith(_NEW):
        import time

        with contextlib.suppress(OSError):
            return time.time() - folder.lstat().st_mtime > UNLOCKED_GRACE_S
        return False
    if not folder.name.startswith(_SESSION) or folder.is_symlink():
        return False
    try:
        lock_file = folder / _LOCK_FILE
        if lock_file.is_file():
            fd = os.open(lock_file, os.O_RDONLY | os.O_CLOEXEC)
        else:
            fd = _open_folder(folder)
    except OSError:
        return False
    try:
        return _flock(fd, blocking=False)
    finally:
        os.close(fd)


def _flock(fd: int, *, blocking: bool) -> bool:
    try:
        import fcntl
    except ImportError:  # no flock (Windows): a folder is never taken for a dead session's
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    return True


class MemoryFile:
    """An in-memory file with a path other code can open by name (see the module doc).

    Where there is no ``memfd`` (not Linux), it is a file in :func:`private_dir` instead.
    """

    def __init__(self, name: str) -> None:
        self._fd: int | None = None
        self._file: Path | None = None
        memfd = getattr(os, "memfd_create", None)
        if memfd is not None:
            with contextlib.suppress(OSError):
                fd = memfd(name, getattr(os, "MFD_CLOEXEC", 1))
                if Path(f"/proc/self/fd/{fd}").exists():
                    self._fd = fd
                else:
                    os.close(fd)
        if self._fd is None:
            fd, path = tempfile.mkstemp(prefix=f"{name}.", dir=private_dir())
            os.close(fd)
            self._file = Path(path)

    @property
    def path(self) -> str:
        """A name that opens this file (in this process)."""
        if self._fd is not None:
            return f"/proc/self/fd/{self._fd}"
        assert self._file is not None
        return str(self._file)

    @property
    def in_memory(self) -> bool:
        return self._fd is not None

    def write(self, data: bytes) -> None:
        """Replace the contents."""
        if self._fd is None:
            assert self._file is not None
            self._file.write_bytes(data)
            return
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, data, 0)

    def read(self) -> bytes:
        if self._fd is None:
            assert self._file is not None
            return self._file.read_bytes()
        return os.pread(self._fd, os.fstat(self._fd).st_size, 0)

    def close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None
        if self._file is not None:
            self._file.unlink(missing_ok=True)
            self._file = None

    def __del__(self) -> None:
        self.close()
