"""Leaving the listening test: wall and CPU seconds from Esc until every thread has ended.

    .venv/bin/python -m tests.benchmarks.bench_leave_listen_test

Starts the real blind listening test (storyteller against standard, WAV output to a
temporary folder), waits until the two versions of the first passage are being made, then
presses Esc twice (stop, close) and measures this process's wall and CPU time until the app
has closed and its synthesis thread has ended.
"""

from __future__ import annotations

import asyncio
import resource
import tempfile
import threading
import time


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _leave(folder: str) -> tuple[float, float]:
    from sidekick.speaking import preference as pref
    from sidekick.ui.screens.listen_test import ListenTestApp

    test = pref.plan_test("storyteller", "standard", trials=3, seed=1)
    app = ListenTestApp(test, folder)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        while screen.state != "preparing":
            await pilot.pause(0.05)
        await pilot.pause(1.0)  # synthesis under way
        await pilot.press("escape", "escape")
        return time.time(), _cpu_s()


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        t0, cpu0 = asyncio.run(_leave(folder))
        for thread in threading.enumerate():
            if thread is not threading.main_thread():
                thread.join()
        print(f"after Esc: wall {time.time() - t0:.1f} s, CPU {_cpu_s() - cpu0:.1f} s")


if __name__ == "__main__":
    main()
