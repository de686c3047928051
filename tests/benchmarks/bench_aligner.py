"""Aligner benchmark: durations learned from the audio against a teacher corpus's true ones.

    .venv/bin/python -m tests.benchmarks.bench_aligner --corpus DIR [--steps N]
        [--utterances K] [--seed S] [--work DIR] [--json FILE]

``DIR`` is a corpus with durations (a teacher corpus, curated or not; it is only read).
``--utterances`` of its utterances (a seeded random subset; 0 = all) are copied without
their durations (audio linked) into ``--work`` (a temporary folder by default); the aligner
is trained there with ``--steps`` steps (``sidekick-train align-durations``, default
settings otherwise) and writes their durations, which are compared with the teacher's:

* mean absolute error of the phoneme boundaries, in frames of 256 samples (11.6 ms);
* the share of boundaries within 2 frames (23 ms);
* the mean signed error (> 0: the aligner is late);

for the aligner and for the equal split (every id of an utterance the same number of
frames), at phoneme level (pads, stress and length marks belong to their phoneme) and at
the level of every id. Timings: reading the audio, training, writing the durations.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

from train.config import AlignerConfig
from train.data import corpus
from train.durations.agreement import hide_durations, measure
from train.durations.phoneme_aligner import align_durations


def run(root: Path, work: Path, steps: int, utterances: int, seed: int, device: str) -> dict:
    with_durations = [
        u.id for u in corpus.read_metadata(root) if corpus.durations_path(root, u.id).is_file()
    ]
    if not with_durations:
        raise SystemExit(f"{root} has no durations/<id>.json to compare with.")
    ids = with_durations
    if 0 < utterances < len(ids):
        ids = sorted(random.Random(seed).sample(ids, utterances))
    hidden = hide_durations(root, work / "corpus", ids)
    cfg = AlignerConfig(steps=steps, seed=seed, device=device)
    start = time.perf_counter()
    result = align_durations(hidden, work / "aligner", cfg, progress=sys.stderr.isatty())
    wall = time.perf_counter() - start
    figures = measure(root, hidden)
    return {
        "corpus": str(root),
        "utterances": len(ids),
        "steps": steps,
        "written": result["written"],
        "unalignable": result.get("unalignable", {}),
        "train_s": result.get("train_seconds", 0.0),  # 0: durations were already there
        "total_s": round(wall, 1),
        **figures,
    }


def _line(name: str, f: dict) -> str:
    return (
        f"  {name:<22} mean error {f['mae_frames']:5.2f} frames   within 2 frames "
        f"{100 * f['within_2']:5.1f} %   bias {f['bias_frames']:+5.2f}   "
        f"({f['boundaries']} boundaries)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", required=True, help="a corpus with durations (read only)")
    ap.add_argument("--steps", type=int, default=AlignerConfig.steps)
    ap.add_argument("--utterances", type=int, default=1000, help="subset size (0: all)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--work", help="folder for the copy and the aligner (default: temporary)")
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-aligner-") as tmp:
        work = Path(args.work) if args.work else Path(tmp)
        r = run(Path(args.corpus), work, args.steps, args.utterances, args.seed, args.device)
    print(
        f"{r['utterances']} utterances of {r['corpus']}, {r['steps']} steps: "
        f"{r['written']} duration files written, unalignable {r['unalignable'] or 'none'}; "
        f"training {r['train_s']} s, all {r['total_s']} s"
    )
    print("phoneme boundaries:")
    print(_line("aligner", r["aligner"]))
    print(_line("equal split (baseline)", r["uniform"]))
    print("every id's boundary:")
    print(_line("aligner", r["aligner_per_id"]))
    print(_line("equal split (baseline)", r["uniform_per_id"]))
    if args.json:
        Path(args.json).write_text(json.dumps(r, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
