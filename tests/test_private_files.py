"""Nothing derived from the child's voice is left on disk: in-memory files, the private
session folder and its sweep, and a reading session killed in the middle of a child's turn."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sidekick import private_files
from sidekick.books.library import list_books
from sidekick.private_files import MemoryFile

REPO = Path(__file__).resolve().parent.parent
AUDIO_SUFFIXES = (".wav", ".mfc", ".mllr", ".raw", ".flac")


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
    dead = _session_in_subprocess(env, wait=False)
    dead_folder = Path(dead.stdout.readline().strip())
    dead.wait(30)
    live = _session_in_subprocess(env, wait=True)
    try:
        live_folder = Path(live.stdout.readline().strip())
        assert dead_folder.is_dir() and live_folder.is_dir()
        assert private_files.sweep() == 1
        assert not dead_folder.exists()
        assert (live_folder / "reader.mllr").is_file()  # a running session keeps its own
    finally:
        live.kill()
        live.wait(30)
    assert private_files.sweep() == 1 and not live_folder.exists()


@pytest.mark.slow
def test_a_killed_session_leaves_no_trace(tmp_path: Path, speak_to_wav) -> None:
    """SIGKILL in the middle of the child's turn (after the model was fitted to the child),
    then the next start: no file anywhere holds audio or features of it."""
    book = next(b for b in list_books()[0] if b.bundled and "early" in b.level)
    kid = speak_to_wav(book.pages[0].text, tmp_path / "kid.wav")
    home, tmp, run, out = (tmp_path / n for n in ("home", "tmp", "run", "out"))
    for folder in (home, tmp, run):
        folder.mkdir(mode=0o700)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIDEKICK_", "XDG_"))}
    env.update(HOME=str(home), TMPDIR=str(tmp), XDG_RUNTIME_DIR=str(run), PYTHONPATH=str(REPO))
    sidekick = [sys.executable, "-m", "sidekick"]
    session = subprocess.Popen(
        [*sidekick, "read", str(book.path), "--child-audio", str(kid), "--speaker-out",
         str(out), "--engine", "pocketsphinx", "--realtime", "--json"],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    words = 0
    try:
        deadline = time.monotonic() + 240
        for line in session.stdout:
            event = json.loads(line)
            words += event["event"] == "word_read"
            if event["event"] == "word_read" and event["t"] > 6.0:
                break  # the live adaptation (after 4 s) has fitted a transform to the child
            assert time.monotonic() < deadline and event["event"] != "turn_end"
    finally:
        session.send_signal(signal.SIGKILL)
        session.wait(30)
    assert words >= 5
    left = [p for root in (home, tmp, run) for p in root.rglob("*") if not p.is_dir()]
    # Killed: the session's folder holds at most its lock and a link to memory that is gone.
    assert all(p.name == ".lock" or p.is_symlink() for p in left), left
    assert not [p for p in left if p.is_file() and p.suffix in AUDIO_SUFFIXES and p.stat().st_size]

    done = subprocess.run([*sidekick, "books"], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    left = [p for root in (home, tmp, run) for p in root.rglob("*") if not p.is_dir()]
    assert left == [], left
    assert list((run / "sidekick").iterdir()) == []
