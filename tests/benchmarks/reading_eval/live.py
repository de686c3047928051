"""Follow the evaluation set's readings live, as a child turn does, and score the following.

    .venv/bin/python -m tests.benchmarks.reading_eval.live --data DIR [--data DIR2 ...]
        [--engine pocketsphinx|vosk] [--vosk-model PATH] [--jobs J] [--limit N] [--json OUT]

The reading check (``score``) judges a page after it ends. While the child reads, the app
does something else: it feeds the microphone to the recognizer in 0.1 s chunks, lights each
word as the :class:`~sidekick.reading.tracker.ReadingTracker` finds it read, and when the
reader makes no progress for the stall time (3 s), Sidekick says the word. This runs that
same loop on every clip (audio time, not wall-clock time) and reports, per group:

* **lit**: words truly read (correct or self-corrected) that lit up during the page;
* **lit delay**: median and 90th percentile of (audio time the word lit - its true end);
* **stalls helped**: the scripted long hesitations (truth ``assisted``) where Sidekick said
  that very word;
* **help delay**: median (audio time of the help - true end of the word read before it):
  3 s of silence plus the recognizer's delay;
* **false helps**: words Sidekick said though the child read them / clips (a help on a
  skipped or misread word is not counted: there the help is due).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from tests.benchmarks.reading_eval.score import (
    CORRECT,
    GROUP_ORDER,
    Job,
    close_at_exit,
    groups_of,
    pooled_truth,
    reader_jobs,
)

CHUNK_BYTES = 3200  # 0.1 s of 16 kHz int16, as the microphone source delivers it

_LISTENER = None


def _init(engine: str, vosk_model: str | None) -> None:
    global _LISTENER
    from sidekick.listening import create_listener

    _LISTENER, _ = create_listener(engine, vosk_model)
    close_at_exit(_LISTENER)


def follow(listener, text: str, wav: Path, stall_s: float = 3.0) -> dict:
    """One page, live: when each word lit and which words Sidekick said (audio times)."""
    from sidekick.audio.base import SAMPLE_RATE
    from sidekick.audio.sources import WavFileSource
    from sidekick.books.parse import parse_book_text
    from sidekick.reading.assess import listen_words
    from sidekick.reading.tracker import ReadingTracker

    words = [w.text for p in parse_book_text(text, name="text").pages for w in p.words]
    tracker = ReadingTracker(words, stall_s)
    listener.start(*listen_words(words))
    helped: dict[int, float] = {}
    t = 0.0
    pcm = b"".join(WavFileSource(wav, realtime=False).chunks())
    for i in range(0, len(pcm), CHUNK_BYTES):
        chunk = pcm[i : i + CHUNK_BYTES]
        t += len(chunk) / (2 * SAMPLE_RATE)
        progress = tracker.update(listener.accept(chunk), t)
        if progress.stuck is not None:
            helped[progress.stuck] = round(t, 2)
    tracker.update(listener.finish(), t)  # lights words, as a turn's end does; helps none
    return {"lit": {k: round(v, 2) for k, v in tracker.read_at.items()}, "helped": helped}


def _follow_reader(jobs: list[Job]) -> list[tuple[str, dict]]:
    """One reader's clips, in order (the recognizer keeps what it learnt of the reader)."""
    assert _LISTENER is not None
    _LISTENER.new_reader()
    return [(clip, follow(_LISTENER, text, Path(wav))) for clip, text, wav, _ in jobs]


def compare(truth: Mapping, live: Mapping) -> dict:
    """Counts and delays of one clip against its truth."""
    words = truth["words"]
    lit = {int(k): v for k, v in live["lit"].items()}
    helped = {int(k): v for k, v in live["helped"].items()}
    read = [w for w in words if w["status"] in CORRECT]
    stalls = [w for w in words if w["status"] == "assisted"]
    out = {
        "read": len(read),
        "lit": sum(w["index"] in lit for w in read),
        "lit_delays": [lit[w["index"]] - w["end"] for w in read if w["index"] in lit],
        "stalls": len(stalls),
        "stalls_helped": sum(w["index"] in helped for w in stalls),
        "help_delays": [],
        "false_helps": sum(w["index"] in helped for w in read),
    }
    for w in stalls:
        if w["index"] in helped:
            before = [x["end"] for x in words[: w["index"]] if x["end"] is not None]
            out["help_delays"].append(helped[w["index"]] - (before[-1] if before else 0.0))
    return out


def summarize(records: Sequence[Mapping], lives: Mapping[str, dict]) -> dict[str, dict]:
    per: dict[str, dict] = defaultdict(lambda: defaultdict(list))
    for rec in records:
        c = compare(rec, lives[rec["clip"]])
        for g in groups_of(rec):
            for k, v in c.items():
                per[g][k] += v if isinstance(v, list) else [v]

    def pct(a: float, b: float) -> float | None:
        return round(100 * a / b, 1) if b else None

    def q(xs: list[float], p: float) -> float | None:
        return round(float(np.percentile(xs, p)), 2) if xs else None

    return {
        g: {
            "clips": len(d["read"]),
            "lit_pct": pct(sum(d["lit"]), sum(d["read"])),
            "lit_delay_median_s": q(d["lit_delays"], 50),
            "lit_delay_p90_s": q(d["lit_delays"], 90),
            "stalls": sum(d["stalls"]),
            "stalls_helped_pct": pct(sum(d["stalls_helped"]), sum(d["stalls"])),
            "help_delay_median_s": q(d["help_delays"], 50),
            "false_helps": sum(d["false_helps"]),
            "false_helps_per_clip": round(sum(d["false_helps"]) / len(d["read"]), 3),
        }
        for g, d in per.items()
    }


def table(groups: Mapping[str, dict]) -> str:
    cols = ("clips", "lit_pct", "lit_delay_median_s", "lit_delay_p90_s", "stalls",
            "stalls_helped_pct", "help_delay_median_s", "false_helps",
            "false_helps_per_clip")  # fmt: skip
    head = ("group", "clips", "lit %", "lit delay med", "p90", "stalls", "helped %",
            "help delay med", "false helps", "per clip")  # fmt: skip
    rows = [head] + [
        (g, *("-" if groups[g][c] is None else str(groups[g][c]) for c in cols))
        for g in GROUP_ORDER
        if g in groups
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    return "\n".join("  ".join(x.ljust(w) for x, w in zip(r, widths, strict=True)) for r in rows)


def main(argv: Sequence[str] | None = None) -> int:
    from tests.benchmarks.reading_eval.generate import load_truth

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, required=True, action="append",
                    help="a generated set; give several to pool them")  # fmt: skip
    ap.add_argument("--engine", choices=("pocketsphinx", "vosk"), default="pocketsphinx")
    ap.add_argument("--vosk-model", default=None)
    ap.add_argument("--jobs", type=int, default=1, help="parallel recognizer processes")
    ap.add_argument("--limit", type=int, default=None, help="only the first N clips")
    ap.add_argument("--json", type=Path, default=None, help="write groups and clips here")
    args = ap.parse_args(argv)

    records = pooled_truth(args.data, load_truth)[: args.limit]
    by_reader = reader_jobs(records, args.data[0])
    t0 = time.perf_counter()
    try:
        _init(args.engine, args.vosk_model)  # here first: a missing model fails once, clearly
    except Exception as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs, initializer=_init,
                                 initargs=(args.engine, args.vosk_model)) as pool:  # fmt: skip
            results = [res for group in pool.map(_follow_reader, by_reader) for res in group]
    else:
        results = [res for group in by_reader for res in _follow_reader(group)]
    lives = dict(results)
    groups = summarize(records, lives)
    print(f"engine: {args.engine}")
    print(table(groups))
    print(f"{len(records)} clips followed in {time.perf_counter() - t0:.1f} s")
    if args.json:
        args.json.write_text(json.dumps({"groups": groups, "clips": lives}, indent=1) + "\n",
                             encoding="utf-8")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
