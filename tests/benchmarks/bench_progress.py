"""Progress store benchmark (issue 6: readers and progress).

    .venv/bin/python -m tests.benchmarks.bench_progress [--turns 10000] [--readers 30] [--json F]

Builds a temporary database with ``--turns`` stored turns over ``--readers`` readers, 8 books
and about half a year, with 0-5 challenge words per turn, then times on this machine:

  (a) everything the progress screen needs for one reader: ``progress_summary`` +
      ``challenge_words`` + the 20 most recent turns (target < 200 ms), on a freshly
      opened store (first call) and warm (median of 20);
  (b) a CSV report of all readers written to a file (target < 1 s);

  (c) the real progress screen in the Textual app (headless): from opening it to its data
      drawn (queries, widgets, first paint), best of 5 (target < 200 ms);

and, for information, opening the store (integrity check included), recording one turn
(one durable commit) and the bulk load.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sidekick.progress import MissedWord, ProgressStore, TurnRecord, write_report

SCREEN_TARGET_S = 0.200
CSV_TARGET_S = 1.0
BOOKS = [f"Book {i}: {t}" for i, t in enumerate(
    ["Pip and the Puddle", "The Moon Kite", "Otto's Garden", "A Fox in Socks", "Rain Day",
     "The Lost Button", "Nine Noisy Ducks", "Under the Bridge"], 1)]  # fmt: skip


def _words(rng: random.Random) -> list[str]:
    syllables = ["ba", "lo", "mi", "ter", "pun", "sa", "dle", "ri", "ven", "ko", "na", "ple"]
    return sorted({"".join(rng.choice(syllables) for _ in range(rng.randint(1, 3)))
                   for _ in range(600)})  # fmt: skip


def build(path: Path, n_turns: int, n_readers: int, seed: int = 7) -> float:
    """Fill a store; returns the seconds it took."""
    rng = random.Random(seed)
    vocab = _words(rng)
    start = datetime(2025, 1, 6, 14, 0, tzinfo=timezone.utc)
    t0 = time.perf_counter()
    with ProgressStore(path) as store:
        names = [f"Reader {i:02d}" for i in range(n_readers)]
        for i, name in enumerate(names):
            store.add_reader(name, grade=i % 4)
        per = [n_turns // n_readers + (i < n_turns % n_readers) for i in range(n_readers)]
        for name, count in zip(names, per, strict=True):
            turns = []
            for k in range(count):
                total = rng.randint(20, 80)
                miss = tuple(
                    MissedWord(rng.choice(vocab), rng.choice(("substituted", "omitted",
                                                              "assisted")))
                    for _ in range(rng.randint(0, 5))
                )  # fmt: skip
                sub = sum(w.kind == "substituted" for w in miss)
                omi = sum(w.kind == "omitted" for w in miss)
                ass = len(miss) - sub - omi
                correct = total - len(miss)
                dur = round(total * rng.uniform(0.6, 1.6), 1)
                when = start + timedelta(days=180 * k / count, minutes=rng.randint(0, 300))
                turns.append(
                    TurnRecord(
                        book_title=BOOKS[(k // 20) % len(BOOKS)], book_id=f"book-{(k // 20) % 8}",
                        page=k % 20 + 1, words_total=total, words_correct=correct,
                        substituted=sub, omitted=omi, assisted=ass,
                        self_corrections=rng.randint(0, 2), insertions=rng.randint(0, 3),
                        wcpm=round(correct * 60 / dur, 1), accuracy=round(correct / total, 4),
                        duration_s=dur, challenge_words=miss, started_at=when.isoformat(),
                    )
                )  # fmt: skip
            store.record_turns(name, turns)
    return time.perf_counter() - t0


def screen(store: ProgressStore, reader: str) -> None:
    """What a progress screen loads for one reader."""
    store.progress_summary(reader)
    store.challenge_words(reader, limit=10)
    store.turns(reader, limit=20)


def run(n_turns: int = 10_000, n_readers: int = 30) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "progress.sqlite3"
        build_s = build(path, n_turns, n_readers)
        size_mb = path.stat().st_size / 1e6

        t0 = time.perf_counter()
        store = ProgressStore(path)
        open_s = time.perf_counter() - t0
        try:
            assert store.turn_count() == n_turns
            reader = "Reader 00"
            t0 = time.perf_counter()
            screen(store, reader)
            screen_first_s = time.perf_counter() - t0
            times = []
            for i in range(20):
                t0 = time.perf_counter()
                screen(store, f"Reader {i % n_readers:02d}")
                times.append(time.perf_counter() - t0)

            csv_times = []
            for _ in range(3):
                t0 = time.perf_counter()
                rows = write_report(store, "csv", Path(tmp) / "class.csv")
                csv_times.append(time.perf_counter() - t0)
            assert rows == n_turns

            store.add_reader("Timing")
            commit = []
            for k in range(20):
                t = TurnRecord("Timing", "timing", k + 1, 40, 38, omitted=2, wcpm=50.0,
                               accuracy=0.95, duration_s=45.6,
                               challenge_words=(MissedWord("puddle", "omitted"),))  # fmt: skip
                t0 = time.perf_counter()
                store.record_turn("Timing", t)
                commit.append(time.perf_counter() - t0)
        finally:
            store.close()
    return {
        "turns": n_turns,
        "readers": n_readers,
        "db_mb": round(size_mb, 2),
        "bulk_load_s": round(build_s, 3),
        "open_with_check_ms": round(open_s * 1000, 1),
        "screen_first_ms": round(screen_first_s * 1000, 1),
        "screen_median_ms": round(statistics.median(times) * 1000, 1),
        "screen_max_ms": round(max(times) * 1000, 1),
        "csv_all_readers_s": round(statistics.median(csv_times), 3),
        "csv_first_s": round(csv_times[0], 3),
        "record_turn_median_ms": round(statistics.median(commit) * 1000, 2),
    }


def screen_render_s(path: Path, reader: str, runs: int = 5) -> list[float]:
    """Open the app's progress screen ``runs`` times on the store at ``path``."""
    import asyncio

    from sidekick.settings import Settings
    from sidekick.ui.app import SidekickApp
    from sidekick.ui.screens.library import LibraryScreen
    from sidekick.ui.screens.progress import ProgressScreen

    async def go() -> list[float]:
        times: list[float] = []
        with ProgressStore(path) as store:
            app = SidekickApp(Settings(reader=reader), store=store)
            async with app.run_test(size=(100, 30)) as pilot:
                for _ in range(runs):
                    while not isinstance(app.screen, LibraryScreen):
                        await pilot.pause(0.01)
                    await pilot.press("p")
                    while not (isinstance(app.screen, ProgressScreen)
                               and app.screen.shown_after_s is not None):  # fmt: skip
                        await pilot.pause(0.005)
                    times.append(app.screen.shown_after_s)
                    await pilot.press("escape")
        return times

    return asyncio.run(go())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--turns", type=int, default=10_000)
    ap.add_argument("--readers", type=int, default=30)
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = ap.parse_args()
    r = run(args.turns, args.readers)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "screen.sqlite3"
        build(db, args.turns, 1)
        ui = screen_render_s(db, "Reader 00")
    r["ui_screen_best_ms"] = round(min(ui) * 1000, 1)
    r["ui_screen_runs_ms"] = [round(t * 1000, 1) for t in ui]
    screen_ok = max(r["screen_first_ms"], r["screen_max_ms"]) / 1000 < SCREEN_TARGET_S
    csv_ok = max(r["csv_first_s"], r["csv_all_readers_s"]) < CSV_TARGET_S
    print(f"database: {r['turns']} turns, {r['readers']} readers, {r['db_mb']} MB "
          f"(bulk load {r['bulk_load_s']} s)")  # fmt: skip
    print(f"open (with integrity check): {r['open_with_check_ms']} ms")
    verdict = "OK" if screen_ok else "SLOW"
    print(f"(a) progress screen, one reader: first {r['screen_first_ms']} ms, "
          f"median {r['screen_median_ms']} ms, max {r['screen_max_ms']} ms "
          f"(target < {SCREEN_TARGET_S * 1000:.0f} ms) {verdict}")  # fmt: skip
    print(
        f"(b) CSV report, all readers: {r['csv_all_readers_s']} s median, first "
        f"{r['csv_first_s']} s (target < {CSV_TARGET_S:g} s) {'OK' if csv_ok else 'SLOW'}"
    )
    ui_ok = r["ui_screen_best_ms"] / 1000 < SCREEN_TARGET_S
    print(f"(c) progress screen in the app, {args.turns} turns of one reader: best "
          f"{r['ui_screen_best_ms']} ms of {r['ui_screen_runs_ms']} "
          f"(target < {SCREEN_TARGET_S * 1000:.0f} ms) {'OK' if ui_ok else 'SLOW'}")  # fmt: skip
    print(f"record one turn (durable commit): {r['record_turn_median_ms']} ms median")
    if args.json:
        Path(args.json).write_text(json.dumps(r, indent=2) + "\n")


if __name__ == "__main__":
    main()
