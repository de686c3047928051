"""Faults of the progress database: turns lost, and rows carried over from a damaged file.

    .venv/bin/python -m tests.benchmarks.db_faults [--trials 50] [--repo DIR] [--no-sessions]

1. A real ``sidekick read --reader Mia`` session (see :mod:`tests.benchmarks.trace_session`)
   while the database file is read-only (``chmod 444``, and ``chattr +i`` for root), and
   one while another process holds its write lock; then the fault is gone and the next
   ``sidekick readers`` runs. Turns lost = turns the session checked - turns stored.
2. ``--trials`` databases of 200 turns (3 challenge words each), each damaged by overwriting
   1-4 random pages (any but the first, whose loss leaves nothing) with random bytes, then
   opened: the share of readable rows carried into the fresh database, readable meaning on
   a table page that was not overwritten (SQLite's ``dbstat`` tells which rows were where).
   The words of a turn whose own row was lost are carried with a stand-in turn (not scored;
   counted apart, as ``stand_in_turns``, not among the turns carried).

``--repo`` runs the sessions with another checkout of Sidekick (e.g. an older commit).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.benchmarks.trace_session import REPO, Sandbox

HOLD_LOCK = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
"""


def _turns_checked(stdout: str) -> int:
    return sum(json.loads(line)["event"] == "reading_checked" for line in stdout.splitlines())


def _stored(box: Sandbox) -> int:
    with sqlite3.connect(box.data / "progress.sqlite3") as conn:
        return conn.execute("SELECT COUNT(*) FROM turns").fetchone()[0]


def session_read_only(box: Sandbox) -> dict[str, object]:
    db = box.data / "progress.sqlite3"
    db.chmod(0o444)
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(db)], check=True)
    try:
        run = subprocess.run(box.read_command(realtime=False), env=box.env, cwd=box.work,
                             capture_output=True, text=True, timeout=600)  # fmt: skip
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(db)], check=True)
        db.chmod(0o644)
    checked = _turns_checked(run.stdout)
    after = subprocess.run([sys.executable, "-m", "sidekick", "readers"], env=box.env,
                           capture_output=True, text=True, timeout=120)  # fmt: skip
    return {"exit": run.returncode, "checked": checked, "stored": _stored(box),
            "session_stderr": run.stderr.strip()[-300:],
            "next_start": after.stderr.strip()}  # fmt: skip


def session_locked(box: Sandbox) -> dict[str, object]:
    before = _stored(box)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(box.data / "progress.sqlite3"),
                               "45"], stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert holder.stdout.readline().strip() == "locked"
    started = time.monotonic()
    run = subprocess.run(box.read_command(realtime=False), env=box.env, cwd=box.work,
                         capture_output=True, text=True, timeout=600)  # fmt: skip
    took = time.monotonic() - started
    holder.wait(120)
    checked = _turns_checked(run.stdout)
    after = subprocess.run([sys.executable, "-m", "sidekick", "readers"], env=box.env,
                           capture_output=True, text=True, timeout=120)  # fmt: skip
    return {"exit": run.returncode, "checked": checked, "stored": _stored(box) - before,
            "session_s": round(took, 1), "session_stderr": run.stderr.strip()[-300:],
            "next_start": after.stderr.strip()}  # fmt: skip


def damaged_trial(work: Path, seed: int) -> dict[str, float]:
    from sidekick.progress.records import RECOVERED_BOOK_ID, MissedWord, TurnRecord
    from sidekick.progress.store import ProgressStore

    rng = random.Random(seed)
    path = work / f"trial-{seed}.sqlite3"
    with ProgressStore(path) as s:
        for name in ("Ann", "Bo", "Cy"):
            s.add_reader(name)
        for i in range(200):
            words = tuple(MissedWord(f"w{i}-{k}", "omitted", None, k) for k in range(3))
            s.record_turn(rng.choice(["Ann", "Bo", "Cy"]), TurnRecord(
                "Book", "book", i % 30 + 1, 40, 37, omitted=3, wcpm=50.0, accuracy=0.925,
                duration_s=40.0, challenge_words=words,
                started_at=f"2025-03-01T10:{i // 60:02d}:{i % 60:02d}+00:00"))  # fmt: skip
    with sqlite3.connect(path) as conn:
        cells = conn.execute(
            "SELECT name, pageno, ncell FROM dbstat WHERE pagetype = 'leaf'"
            " AND name IN ('readers', 'turns', 'turn_words')"
        ).fetchall()
        n_pages = conn.execute("PRAGMA page_count").fetchone()[0]
    hit = set(rng.sample(range(2, n_pages + 1), rng.randint(1, 4)))
    with open(path, "r+b") as f:
        for page in hit:
            f.seek((page - 1) * 4096)
            f.write(rng.randbytes(4096))
    readable = {t: sum(n for name, p, n in cells if name == t and p not in hit)
                for t in ("readers", "turns", "turn_words")}  # fmt: skip
    with ProgressStore(path) as s:
        damaged = s.recovered is not None
        with s._read() as conn:
            count = "SELECT COUNT(*) FROM turns WHERE book_id {} ?"
            stand_in = (RECOVERED_BOOK_ID,)
            carried = {
                "turns": conn.execute(count.format("!="), stand_in).fetchone()[0],
                "stand_in_turns": conn.execute(count.format("="), stand_in).fetchone()[0],
                "turn_words": conn.execute("SELECT COUNT(*) FROM turn_words").fetchone()[0],
            }
            carried["readers"] = conn.execute(
                "SELECT COUNT(*) FROM readers WHERE name NOT LIKE '%(recovered)'"
            ).fetchone()[0]
    return {"damaged": damaged, "pages_hit": len(hit),
            **{f"{t}_readable": readable[t] for t in readable},
            **{f"{t}_carried": carried[t] for t in carried}}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=50)
    ap.add_argument("--repo", type=Path, default=REPO)
    ap.add_argument("--no-sessions", action="store_true", help="only the damaged databases")
    args = ap.parse_args()
    out: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="sidekick-dbfaults-") as work:
        if not args.no_sessions:
            box = Sandbox(Path(work) / "sessions", args.repo.resolve())
            out["read_only"] = session_read_only(box)
            out["locked"] = session_locked(box)
        trials = [damaged_trial(Path(work), seed) for seed in range(args.trials)]
    found = [t for t in trials if t["damaged"]]
    share = {}
    for table in ("turns", "turn_words", "readers"):
        readable = sum(t[f"{table}_readable"] for t in found)
        carried = sum(min(t[f"{table}_carried"], t[f"{table}_readable"]) for t in found)
        worst = min((t[f"{table}_carried"] / t[f"{table}_readable"] for t in found
                     if t[f"{table}_readable"]), default=1.0)  # fmt: skip
        share[table] = {"readable": readable, "carried": carried,
                        "percent": round(100 * carried / max(readable, 1), 2),
                        "worst_trial_percent": round(100 * worst, 1)}  # fmt: skip
    share["stand_in_turns"] = sum(t["stand_in_turns_carried"] for t in found)
    out["damaged"] = {"trials": len(trials), "found_damaged": len(found), **share}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
