"""Nothing derived from the child's voice is left on disk: in-memory files, the private
session folder and its sweep, and a reading session killed in the middle of a child's turn."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sidekick import private_files
from sidekick.private_files import MemoryFile

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def runtime_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    run = tmp_path / "run"
    run.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(run))
    yield run
    private_files.remove_private_dir()


def test_a_memory_file_opens_by_name_and_is_on_no_file_system(runtime_dir: Path) -> None:
    f = MemoryFile("reader.mllr")
    assert f.in_memory
    with open(f.path, "w") as out:  # what a C library does with the name
        out.write("1\n3\n")
    assert f.read() == b"1\n3\n"
    f.write(b"x")
    assert Path(f.path).read_bytes() == b"x"
    assert not list(runtime_dir.rglob("*"))  # nothing was made in a folder
    f.close()


def test_the_private_folder_is_private_and_removed(runtime_dir: Path) -> None:
    folder = private_files.private_dir()
    assert folder.parent == runtime_dir / "sidekick"
    assert (folder.parent.stat().st_mode & 0o777) == 0o700
    (folder / "x").write_bytes(b"1")
    private_files.remove_private_dir()
    assert not folder.exists()


def _session_in_subprocess(env: dict[str, str], wait: bool) -> subprocess.Popen:
    code = (
        "import sys, time\n"
        "from sidekick.private_files import private_dir\n"
        "d = private_dir(); (d / 'reader.mllr').write_text('a transform')\n"
        "print(d, flush=True)\n"
        + ("time.sleep(60)\n" if wait else "import os; os._exit(0)\n")  # no clean-up at exit
    )
    return subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE,
                            text=True, cwd=REPO)  # fmt: skip


def test_sweep_removes_dead_sessions_only(runtime_dir: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    live = _session_in_subprocess(env, wait=True)
    try:
        live_folder = Path(live.stdout.readline().strip())
        dead = _session_in_subprocess(env, wait=False)  # its own start sweeps: live stays
        dead_folder = Path(dead.stdout.readline().strip())
        dead.wait(30)
        assert dead_folder.is_dir() and live_folder.is_dir()
        assert private_files.sweep(runtime_dir / "sidekick") == 1
        assert not dead_folder.exists()
        assert (live_folder / "reader.mllr").is_file()  # a running session keeps its own
    finally:
        live.kill()
        live.wait(30)
    assert private_files.sweep(runtime_dir / "sidekick") == 1 and not live_folder.exists()


def test_a_session_killed_leaves_no_file_and_a_half_made_folder_is_swept_late(
    runtime_dir: Path,
) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    code = ("import os\nfrom sidekick.private_files import private_dir\nprint(private_dir())\n"
            "os._exit(0)\n")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, cwd=REPO, check=True)  # fmt: skip
    dead = Path(done.stdout.strip())
    assert dead.is_dir() and list(dead.iterdir()) == []  # no lock file: only the folder
    base = dead.parent
    young, old = base / ".new-session-young", base / ".new-session-old"
    young.mkdir()
    old.mkdir()
    os.utime(old, (0, 0))
    assert private_files.sweep(base) == 2  # the dead session's and the old half-made one
    assert sorted(p.name for p in base.iterdir()) == [young.name]


def test_a_session_of_an_earlier_sidekick_is_told_by_its_lock_file(runtime_dir: Path) -> None:
    import fcntl

    base = private_files.base_dir()
    live, dead = base / "session-live", base / "session-dead"
    for folder in (live, dead):
        folder.mkdir()
        (folder / ".lock").touch()
    with open(live / ".lock") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        assert private_files.sweep(base) == 1
        assert live.is_dir() and not dead.exists()


@pytest.mark.slow
def test_a_killed_session_leaves_no_trace(tmp_path: Path) -> None:
    """SIGKILL in the middle of the child's turn (after the model was fitted to the child,
    4 s in), then the next start: no file anywhere holds audio or features of it."""
    from tests.benchmarks.kill_sessions import kill_at
    from tests.benchmarks.trace_session import Sandbox

    box = Sandbox(tmp_path / "work")
    assert kill_at(box, 6.0) >= 5
    # Killed: the session's private folder holds at most links to memory that went with the
    # process (its lock was on the folder itself).
    left = [Path(p) for p in box.files_left()]
    assert all(p.is_symlink() for p in left), left
    box.sidekick("books")
    assert box.files_left() == []
    assert list((box.run / "sidekick").iterdir()) == []
