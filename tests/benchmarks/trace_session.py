"""A full headless reading session under a syscall trace: what it sends, connects to and writes.

    .venv/bin/python -m tests.benchmarks.trace_session [--repo DIR] [--keep DIR] [--json F]

Runs ``sidekick read BOOK --child-audio kid.wav --speaker-out out/ --reader Mia --realtime
--json`` on the first bundled early-reader book (the child's page 1 read by the standard
voice, fed at real-time pace, then Sidekick reads page 2 into a WAV file) under
``strace -f -e trace=%network,%file``, with a fresh HOME, TMPDIR and XDG_RUNTIME_DIR of its
own, and counts from the trace:

* DNS lookups: anything sent to port 53, and asks of the name service cache (nscd);
* connects: every ``connect()``, less AF_UNIX ones to a local sound server (PulseAudio /
  PipeWire / JACK sockets), which are listed apart;
* files written: every path opened for writing, created, renamed or linked, grouped by where
  it is (the user data dir, the speech output the user asked for, the private in-memory
  folder, anywhere else), and those that hold audio or audio features (WAV, MFCC, MLLR);
* what is left afterwards outside the data dir and the speech output.

``--repo`` runs another checkout of Sidekick (e.g. an older commit) with this venv.
``tests/test_no_network.py`` runs the same trace and asserts zero on each count.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
#: Sound servers a session may talk to over a local socket (never the network).
SOUND_SOCKETS = re.compile(r"pulse|pipewire|jack|/native\"")
#: What audio, or features of it, looks like on disk.
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".raw", ".pcm", ".mfc", ".mllr", ".feat")
#: Paths that are memory, not files: memfd files reopened by name, POSIX semaphores, terminals.
MEMORY_PATHS = ("/proc/self/fd/", "/dev/shm/sem.", "/dev/null", "/dev/pts/", "/dev/tty")
_WRITE_FLAGS = re.compile(r"O_WRONLY|O_RDWR|O_CREAT|O_TRUNC")
#: An open (``strace -y`` shows what the returned descriptor is: ``= 5</real/path>``).
_OPEN = re.compile(
    r'^(\d+\s+)?(openat|open|creat)\((?:[^,"]*, )?"([^"]+)", ([^)]*?)\)? = (-?\d+)(?:<([^>]*)>)?'
)
_PATH_CALLS = re.compile(
    r"^(\d+\s+)?(mkdir|mkdirat|rename|renameat|renameat2|link|linkat|symlink|symlinkat)\("
    r"(.*)\) = (-?\d+)"
)
_QUOTED = re.compile(r'"([^"]*)"')


@dataclass
class TraceReport:
    dns_lookups: list[str] = field(default_factory=list)
    connects: list[str] = field(default_factory=list)
    sound_server_connects: list[str] = field(default_factory=list)
    written: dict[str, list[str]] = field(default_factory=dict)  # where -> paths
    audio_written: list[str] = field(default_factory=list)  # outside the speech output
    left_behind: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        return {
            "dns_lookups": len(self.dns_lookups),
            "connects": len(self.connects),
            "sound_server_connects": len(self.sound_server_connects),
            **{f"files_written_{k}": len(v) for k, v in self.written.items()},
            "audio_files_written": len(self.audio_written),
            "left_behind": len(self.left_behind),
        }


def parse_trace(text: str, cwd: Path, places: dict[str, Path], speech_out: Path) -> TraceReport:
    """Count what a ``strace -f -e trace=%network,%file`` log shows (see the module doc)."""
    report = TraceReport(written={k: [] for k in (*places, "memory", "elsewhere")})
    for line in text.splitlines():
        if "connect(" in line and " = " in line:
            call = line.split("connect(", 1)[1]
            if "htons(53)" in call or "nscd" in call:
                report.dns_lookups.append(line.strip())
            elif "AF_UNIX" in call and SOUND_SOCKETS.search(call):
                report.sound_server_connects.append(line.strip())
            else:
                report.connects.append(line.strip())
            continue
        if re.search(r"\b(sendto|sendmsg|sendmmsg)\(", line) and "htons(53)" in line:
            report.dns_lookups.append(line.strip())
            continue
        paths: list[str] = []
        if (m := _OPEN.match(line)) and _WRITE_FLAGS.search(m.group(4)) and m.group(5) != "-1":
            paths = [m.group(6) or m.group(3)]  # what was really opened (through links)
        elif (m := _PATH_CALLS.match(line)) and m.group(4) != "-1":
            quoted = _QUOTED.findall(m.group(3))
            if m.group(2).startswith("symlink") and quoted[0].startswith(MEMORY_PATHS[0]):
                report.written["memory"].append(quoted[-1])  # a name for an in-memory file
                continue
            paths = quoted[-1:]  # the new name (rename, link) or the new folder
        for raw in paths:
            if raw.startswith("/memfd:"):  # an anonymous in-memory file, on no file system
                report.written["memory"].append(raw)
                continue
            path = Path(os.path.normpath(cwd / raw))
            where = next((k for k, root in places.items() if path.is_relative_to(root)), None)
            if where is None:
                memory = str(path).startswith(MEMORY_PATHS)
                where = "memory" if memory or re.match(r"/proc/\d+/fd/", str(path)) else None
            report.written[where or "elsewhere"].append(str(path))
            if path.suffix.lower() in AUDIO_SUFFIXES and not path.is_relative_to(speech_out):
                report.audio_written.append(str(path))
    for where, paths in report.written.items():
        report.written[where] = sorted(set(paths))
    return report


def make_child_audio(path: Path, text: str) -> None:
    """The child's reading, spoken by the standard voice (not traced)."""
    done = subprocess.run(
        [sys.executable, "-m", "sidekick", "say", text, "--voice", "standard", "-o", str(path)],
        capture_output=True, text=True, timeout=300, cwd=REPO,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(done.stderr)


@dataclass
class Sandbox:
    """A fresh HOME, TMPDIR and XDG_RUNTIME_DIR for sessions of one Sidekick checkout, the
    child's reading of the first page of an early-reader book, and a reader "Mia"."""

    work: Path
    repo: Path = REPO

    def __post_init__(self) -> None:
        from sidekick.books.library import list_books
        from sidekick.offline import QUIET_ENV

        self.book = next(b for b in list_books()[0] if b.bundled and "early" in b.level)
        self.home, self.tmp, self.run, self.out = (
            self.work / n for n in ("home", "tmp", "run", "out")
        )
        for folder in (self.home, self.tmp, self.run):
            folder.mkdir(parents=True, mode=0o700)
        self.data = self.home / ".local" / "share" / "sidekick"
        self.kid = self.work / "kid.wav"
        make_child_audio(self.kid, self.book.pages[0].text)
        # The session must turn telemetry off itself: none of this process's settings leak in.
        self.env = {k: v for k, v in os.environ.items() if k not in QUIET_ENV
                    and not k.startswith(("SIDEKICK_", "XDG_", "PULSE_"))}  # fmt: skip
        self.env.update(HOME=str(self.home), TMPDIR=str(self.tmp), XDG_RUNTIME_DIR=str(self.run),
                        PYTHONPATH=str(self.repo), PYTHONDONTWRITEBYTECODE="1")  # fmt: skip
        self.sidekick("readers", "add", "Mia")

    def sidekick(self, *args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "sidekick", *args]
        done = subprocess.run(command, env=self.env, cwd=self.work, capture_output=True,
                              text=True, timeout=300)  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"sidekick {args[0]} failed: {done.stderr[-3000:]}")
        return done

    def read_command(self, realtime: bool = True) -> list[str]:
        """``sidekick read`` of the book, the child's reading at real-time pace (or fast)."""
        return [sys.executable, "-m", "sidekick", "read", str(self.book.path), "--child-audio",
                str(self.kid), "--speaker-out", str(self.out), "--engine", "pocketsphinx",
                "--reader", "Mia", "--json", *(["--realtime"] if realtime else [])]  # fmt: skip

    def files_left(self) -> list[str]:
        """Files outside the data dir and the speech output."""
        return sorted(str(p) for root in (self.home, self.tmp, self.run) for p in root.rglob("*")
                      if not p.is_dir() and not p.is_relative_to(self.data))  # fmt: skip


def trace_session(work: Path, repo: Path = REPO, timeout: float = 600) -> tuple[TraceReport, str]:
    """Run the traced session in ``work`` (made empty first); returns the report and the
    session's stdout."""
    strace = shutil.which("strace")
    if strace is None:
        raise RuntimeError("strace is not installed (sidekick setup --for-tests installs it)")
    box = Sandbox(work, repo)
    log = work / "trace.txt"
    command = [strace, "-f", "-qq", "-y", "-e", "trace=%network,%file", "-o", str(log),
               *box.read_command()]  # fmt: skip
    done = subprocess.run(command, env=box.env, cwd=work, capture_output=True, text=True,
                          timeout=timeout)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"the traced session failed: {done.stderr[-3000:]}")
    places = {"data_dir": box.data, "speech_out": box.out, "private_memory": box.run / "sidekick"}
    report = parse_trace(log.read_text(errors="replace"), work, places, box.out)
    report.left_behind = box.files_left()
    return report, done.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repo", type=Path, default=REPO, help="the Sidekick checkout to run")
    ap.add_argument("--keep", type=Path, help="work in this folder and keep it")
    ap.add_argument("--json", type=Path, help="write the full report here")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="sidekick-trace-"))
    if work.exists():
        shutil.rmtree(work)
    try:
        report, _ = trace_session(work, args.repo.resolve())
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(report.summary(), indent=2))
    for name in ("dns_lookups", "connects", "audio_written", "left_behind"):
        for item in getattr(report, name)[:10]:
            print(f"{name}: {item}")
    for item in report.written["elsewhere"][:30]:
        print(f"written elsewhere: {item}")
    if args.json:
        args.json.write_text(json.dumps(asdict(report), indent=2))


if __name__ == "__main__":
    main()
