"""App start to first screen (target: 1.0 s median on an idle machine).

    .venv/bin/python -m tests.benchmarks.bench_startup [--runs 7] [--warmup 1] [--json F]

Each run is a fresh Python process that starts the app the way ``sidekick`` does (the
remembered state is loaded from the user's config file, then the app is built), runs it
headless at 80x24, and prints the wall-clock time when the library screen is mounted and
drawn. The figure is that time minus the moment the process was spawned, so interpreter
start-up and every import count. Also: the process's peak memory at that point.

The ``--warmup`` starts (not counted) make it an everyday start: the first start after the
books or Sidekick's book parser changed parses the books again (a thread that shares the CPU
with the first screen), and Python compiles its bytecode once.

Slow imports are found with ``python -X importtime -c "import sidekick.ui.app"``: the first
screen needs no numpy, recognizer or voice (they load when a book is opened).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

STARTUP_SCRIPT = """
import asyncio, resource, time
from sidekick.state import load_state
from sidekick.ui.app import SidekickApp
from sidekick.ui.screens.library import LibraryScreen

async def main():
    state = load_state()
    app = SidekickApp(state.settings, state=state)
    async with app.run_test(size=(80, 24)) as pilot:
        while not isinstance(app.screen, LibraryScreen):
            await pilot.pause(0.005)
        await pilot.pause()
        print(time.time(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, flush=True)

asyncio.run(main())
"""


def bench_startup(runs: int = 7, warmup: int = 1) -> dict:
    """Median (and all) seconds from spawning a fresh process to the first screen drawn,
    after ``warmup`` starts that are not counted."""
    times, rss = [], []
    for _ in range(warmup):
        subprocess.run([sys.executable, "-c", STARTUP_SCRIPT], capture_output=True, check=True)
    for _ in range(runs):
        t0 = time.time()
        out = subprocess.run(
            [sys.executable, "-c", STARTUP_SCRIPT], capture_output=True, text=True, check=True
        )
        shown, maxrss = out.stdout.split()[-2:]
        times.append(float(shown) - t0)
        rss.append(int(maxrss) / 1024)
    return {
        "app_start_to_first_screen_s": round(statistics.median(times), 3),
        "app_start_runs_s": [round(t, 3) for t in times],
        "app_peak_rss_mb": round(max(rss), 1),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--runs", type=int, default=7, help="fresh processes to start (default 7)")
    p.add_argument("--warmup", type=int, default=1, help="uncounted starts first (default 1)")
    p.add_argument("--json", type=Path, help="also write the figures here")
    args = p.parse_args()
    results = bench_startup(args.runs, args.warmup)
    for k, v in results.items():
        print(f"{k:28}  {v}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
