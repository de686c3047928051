"""Offline at run time: a run of the app, and a headless ``sidekick read``, never try to open a
network connection.

In process, every way Python opens a connection or looks up a host name is replaced by a guard
that records the attempt and refuses it; the app then runs for real (library -> reader, a
child turn from a WAV file recognized by pocketsphinx and stored in the reader's history,
Sidekick's turn written to a WAV file, then the progress screen). The ``sidekick read``
subprocess gets the same guard through a ``sitecustomize`` module on ``PYTHONPATH``, and runs
in a network namespace of its own without any network (``unshare -n``) where that is allowed.
Last, a whole session runs under ``strace``, which sees what no Python guard can: lookups
and connections made by native libraries (onnxruntime's telemetry), and every file written.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from textual.widgets import DataTable

from sidekick.books.library import list_books
from sidekick.progress.store import ProgressStore
from sidekick.settings import Settings, Share
from sidekick.ui.app import SidekickApp
from sidekick.ui.screens.progress import ProgressScreen
from sidekick.ui.screens.reader import ReaderScreen
from tests.helpers.ui import SIZE, pilot_test, wait_for

REPO = Path(__file__).resolve().parent.parent

#: Installed as ``sitecustomize`` in the subprocess: refuse and log every connection attempt.
GUARD = """
import os, socket

_LOG = os.environ["SIDEKICK_NET_LOG"]


def _refuse(what):
    def guard(*args, **kwargs):
        with open(_LOG, "a", encoding="utf-8") as f:
            f.write(f"{what} {args[1:2] if what.startswith('socket.') else args[:1]!r}\\n")
        raise OSError(f"network access blocked by the test: {what}")
    return guard


for _name in ("connect", "connect_ex", "sendto"):
    setattr(socket.socket, _name, _refuse(f"socket.{_name}"))
for _name in ("create_connection", "getaddrinfo", "gethostbyname", "gethostbyname_ex"):
    setattr(socket, _name, _refuse(_name))
"""


@pytest.fixture
def blocked_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Refuse (and record) every network attempt made in this process."""
    attempts: list[str] = []

    def refuse(what: str):
        def guard(*args, **kwargs):
            attempts.append(f"{what} {args!r}"[:200])
            raise OSError(f"network access blocked by the test: {what}")

        return guard

    for name in ("connect", "connect_ex", "sendto"):
        monkeypatch.setattr(socket.socket, name, refuse(f"socket.{name}"))
    for name in ("create_connection", "getaddrinfo", "gethostbyname", "gethostbyname_ex"):
        monkeypatch.setattr(socket, name, refuse(name))
    return attempts


def test_guard_catches_connections(blocked_network: list[str]) -> None:
    with pytest.raises(OSError, match="blocked"):
        socket.create_connection(("example.org", 80), timeout=1)
    with socket.socket() as s, pytest.raises(OSError, match="blocked"):
        s.connect(("127.0.0.1", 9))
    assert len(blocked_network) == 2
    blocked_network.clear()


def _early_book():
    books = [b for b in list_books()[0] if b.bundled]
    return books, next(b for b in books if "early" in b.level)


@pytest.mark.slow
@pilot_test
async def test_app_makes_no_network_connection(
    blocked_network: list[str], tmp_path: Path, speak_to_wav
) -> None:
    books, book = _early_book()
    child = tmp_path / "child"
    child.mkdir()
    speak_to_wav(book.pages[0].text, child / "001.wav")
    out = tmp_path / "speech"
    with ProgressStore() as store:
        store.add_reader("Mia")
    settings = Settings(share=Share.TAKE_TURNS, child_audio=str(child), speech_out=str(out),
                        engine="pocketsphinx", realtime=False, reader="Mia")  # fmt: skip
    app = SidekickApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one("#books", DataTable)
        await wait_for(pilot, lambda: table.row_count == len(books), timeout=20)
        await pilot.press(*["down"] * books.index(book), "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReaderScreen))
        reader = app.screen
        assert isinstance(reader, ReaderScreen)
        await wait_for(pilot, lambda: not reader.running, timeout=120)
        assert 1 in reader.plan_bar.done and 2 in reader.plan_bar.done
        assert len(reader.page_view.words("read")) > 0 or reader.page_view.page.number > 1
        await pilot.press("escape", "p")
        await wait_for(pilot, lambda: isinstance(app.screen, ProgressScreen)
                       and app.screen.loaded)  # fmt: skip
        progress = app.screen
        assert isinstance(progress, ProgressScreen)
        assert progress.summary is not None and progress.summary.turns == 1
    assert sorted(p.name for p in out.glob("*.wav")) == ["sidekick-001.wav"]
    assert blocked_network == []


def _unshare_works() -> bool:
    if not shutil.which("unshare"):
        return False
    try:
        done = subprocess.run(["unshare", "-n", "true"], capture_output=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


@pytest.mark.slow
def test_headless_read_makes_no_network_connection(tmp_path: Path, speak_to_wav) -> None:
    _books, book = _early_book()
    child = tmp_path / "child"
    child.mkdir()
    speak_to_wav(book.pages[0].text, child / "001.wav")
    out = tmp_path / "speech"
    with ProgressStore() as store:
        store.add_reader("Mia")
    guard_dir = tmp_path / "guard"
    guard_dir.mkdir()
    (guard_dir / "sitecustomize.py").write_text(GUARD)
    log = tmp_path / "network.log"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(guard_dir), str(REPO), *filter(None, [env.get("PYTHONPATH")])]
    )
    env["SIDEKICK_NET_LOG"] = str(log)
    command = [sys.executable, "-m", "sidekick", "read", str(book.path), "--child-audio",
               str(child), "--speaker-out", str(out), "--engine", "pocketsphinx",
               "--reader", "Mia", "--json"]  # fmt: skip
    isolated = _unshare_works()
    if isolated:
        command = ["unshare", "-n", *command]
    done = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert '"event": "reading_checked"' in done.stdout
    assert (out / "sidekick-001.wav").is_file()
    assert not log.exists(), log.read_text()
    # The guard was really active in the subprocess (so an empty log means something).
    probe = subprocess.run(
        [sys.executable, "-c", "import socket; socket.getaddrinfo('localhost', 80)"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert probe.returncode != 0 and "blocked by the test" in probe.stderr
    assert log.read_text().startswith("getaddrinfo")
    with ProgressStore() as store:
        assert store.turn_count("Mia") == 1


def _strace_works() -> bool:
    if not shutil.which("strace"):
        return False
    try:
        done = subprocess.run(["strace", "-o", os.devnull, "true"], capture_output=True,
                              timeout=30)  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


@pytest.mark.slow
@pytest.mark.skipif(
    not _strace_works(), reason="needs strace (sidekick setup --for-tests) and ptrace"
)
def test_a_traced_session_phones_no_one_and_writes_no_audio(tmp_path: Path) -> None:
    """A full ``sidekick read --reader`` session at real-time pace (long enough for
    onnxruntime's telemetry, which looks up its server about 15 s in) under strace: no DNS
    lookup, no connect, nothing written outside the data dir and the speech output (in-memory
    files aside), no file with audio or features of it, nothing left behind (no
    ``~/.cache/Microsoft/DeveloperTools/.onnxruntime``)."""
    from tests.benchmarks.trace_session import trace_session

    report, stdout = trace_session(tmp_path / "work")
    assert '"event": "reading_checked"' in stdout
    assert report.written["speech_out"] and report.written["data_dir"]  # the trace saw writes
    assert report.dns_lookups == []
    assert report.connects == []
    assert report.written["elsewhere"] == []
    assert report.audio_written == []
    assert report.left_behind == []
