"""Where the clean readings' WCPM error comes from: the count of words credited, or the
reading time.

    .venv/bin/python -m tests.benchmarks.reading_eval.wcpm_parts --data DIR
        --predictions P.json [--clips]

WCPM is words credited x 60 / reading time, so its error is the product of the two
parts' errors. Per voice family, on the clean readings (no scripted event) of ``DIR``
(saved predictions of ``score --save-predictions``): the mean |error| and the share of
clips within 5% as they are, with the count exact (the reading time's error alone) and
with the time exact (the count's error alone); and where the words heard begin and end
against the truth (the first word's start, the last word's end; + is later; the reading
time's own ends may differ, see ``sidekick/reading/reading_time.py``). ``--clips`` lists
every clean clip.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

CREDITED = ("correct", "self_corrected", "unclear")
TOLERANCE_PCT = 5.0


def parts(truth: Mapping, pred: Mapping) -> dict:
    """One clip's WCPM error (%) and its two parts: the count's and the reading time's."""
    credited = sum(w["status"] in CREDITED for w in pred["words"])
    seconds = float(pred["summary"]["duration_s"])
    wcpm = credited * 60 / seconds if seconds else 0.0
    timed = [w for w in pred["words"] if w.get("start") is not None]
    true_timed = [w for w in truth["words"] if w["start"] is not None]
    return {
        "clip": truth["clip"],
        "family": truth["family"],
        "error": 100 * (wcpm / truth["wcpm_true"] - 1),
        "count": 100 * (credited / truth["words_correct"] - 1),
        "time": 100 * (truth["duration_s"] / seconds - 1) if seconds else float("inf"),
        "start_s": min(w["start"] for w in timed) - true_timed[0]["start"] if timed else None,
        "end_s": max(w["end"] for w in timed) - true_timed[-1]["end"] if timed else None,
        "untimed": sum(w["status"] in CREDITED and w.get("start") is None for w in pred["words"]),
    }


def _cell(errors: Sequence[float]) -> str:
    a = np.abs(np.asarray(errors, dtype=float))
    return f"{a.mean():5.1f} ({np.mean(a <= TOLERANCE_PCT):4.0%})"


def report(rows: Sequence[dict]) -> str:
    by: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by[r["family"]].append(r)
    out = [
        f"{'family':16} clips  WCPM error  count alone  time alone  "
        "heard from / to s  (mean |error| %, share within 5%; words heard against the truth)"
    ]
    for fam, rs in sorted(by.items()):
        starts = [r["start_s"] for r in rs if r["start_s"] is not None]
        ends = [r["end_s"] for r in rs if r["end_s"] is not None]
        out.append(
            f"{fam:16} {len(rs):5}  {_cell([r['error'] for r in rs])}  "
            f"{_cell([r['count'] for r in rs])}  {_cell([r['time'] for r in rs])}  "
            f"{np.mean(starts):+.3f} / {np.mean(ends):+.3f}"
        )
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--predictions", type=Path, required=True)
    ap.add_argument("--clips", action="store_true", help="list every clean clip")
    args = ap.parse_args(argv)
    preds = json.loads(args.predictions.read_text(encoding="utf-8"))
    truth = [json.loads(line) for line in (args.data / "truth.jsonl").open(encoding="utf-8")]
    rows = [parts(t, preds[t["clip"]]) for t in truth if t["clean"] and preds.get(t["clip"])]
    if not rows:
        raise SystemExit("no clean clip with a prediction")
    print(report(rows))
    if args.clips:
        for r in sorted(rows, key=lambda r: (r["family"], -abs(r["error"]))):
            print(f"{r['clip']:30} error {r['error']:+6.1f}  count {r['count']:+6.1f}  "
                  f"time {r['time']:+6.1f}  start {r['start_s']:+.2f} s  end {r['end_s']:+.2f} s  "
                  f"credited without a time {r['untimed']}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
