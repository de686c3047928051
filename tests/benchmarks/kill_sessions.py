"""Reading sessions killed in the middle of the child's turn: what they leave on disk.

    .venv/bin/python -m tests.benchmarks.kill_sessions [--kills 5] [--repo DIR]

Each round starts ``sidekick read --realtime`` (see :mod:`tests.benchmarks.trace_session`)
and SIGKILLs it at a different moment of the child's page (from 1.5 s in, when nothing was
fitted to the child yet, to 6 s, past the live adaptation at 4 s), then counts the files left
outside the data dir: right after the kill, and after the next ``sidekick books``.
``--repo`` runs another checkout of Sidekick with this venv (e.g. an older commit).
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import tempfile
from pathlib import Path

from tests.benchmarks.trace_session import AUDIO_SUFFIXES, REPO, Sandbox


def kill_at(box: Sandbox, seconds: float) -> int:
    """Start a session and SIGKILL it once a word past ``seconds`` into the child's page was
    read; returns how many words had been read."""
    session = subprocess.Popen(box.read_command(), env=box.env, cwd=box.work,
                               stdout=subprocess.PIPE, text=True)  # fmt: skip
    words = 0
    try:
        for line in session.stdout:
            event = json.loads(line)
            if event["event"] == "turn_end":
                raise RuntimeError("the child's turn ended before the kill")
            if event["event"] == "word_read":
                words += 1
                if event["t"] >= seconds:
                    break
    finally:
        session.send_signal(signal.SIGKILL)
        session.wait(30)
    return words


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kills", type=int, default=5)
    ap.add_argument("--repo", type=Path, default=REPO)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="sidekick-kills-") as work:
        box = Sandbox(Path(work), args.repo.resolve())
        after_kills: list[str] = []
        for i in range(args.kills):
            kill_at(box, 1.5 + 4.5 * i / max(1, args.kills - 1))
            after_kills = box.files_left()
        voice = [f for f in after_kills if f.endswith(AUDIO_SUFFIXES)]
        box.sidekick("books")
        after_start = box.files_left()
    print(json.dumps({"kills": args.kills, "files_left_after_kills": len(after_kills),
                      "of_them_audio_features_or_transforms": len(voice),
                      "files_left_after_next_start": len(after_start)}, indent=2))  # fmt: skip
    for f in after_kills[:20]:
        print(f"left after the kills: {f}")


if __name__ == "__main__":
    main()
