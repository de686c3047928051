"""The durations step's command: ``align-durations``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from train.commands import add_command


def _align_durations(args: argparse.Namespace) -> int:
    from train.config import AlignerConfig
    from train.durations.phoneme_aligner import align_durations

    cfg = AlignerConfig(seed=args.seed, device=args.device)
    if args.steps:
        cfg.steps = args.steps
    result = align_durations(
        Path(args.corpus), Path(args.out) if args.out else None, cfg, progress=not args.quiet
    )
    print(json.dumps(result, indent=1))
    return 0


ALIGN_HELP = """\
Learn per-phoneme durations for recordings that have none, and write durations/<id>.json.

fit needs, for every utterance, how many 256-sample frames each phoneme lasts. Teacher
corpora come with these files; recordings of people do not. Run this once on such a corpus
(metadata.csv + wavs/): it trains a small aligner on all its utterances (both stages, a few
minutes on 2 cores), then writes the missing duration files; existing ones are kept.
Utterances that cannot be aligned (fewer frames than phonemes) are listed in
CORPUS/aligner.json and left out of fit. Run it again after an interruption to resume; a
finished aligner in --out is reused for recordings added later.
"""


def add_commands(sub: argparse._SubParsersAction, workers: int) -> None:
    """``align-durations``."""
    from train.config import AlignerConfig

    line = "learn phoneme durations for recordings without durations/<id>.json"
    p = add_command(sub, "align-durations", _align_durations, line, ALIGN_HELP)
    p.add_argument("corpus", help="corpus folder (metadata.csv, wavs/)")
    p.add_argument(
        "--steps", type=int, help=f"training steps, both stages (default {AlignerConfig.steps})"
    )
    p.add_argument("--out", help="aligner run folder (default CORPUS/.aligner)")
    p.add_argument("--device", default=AlignerConfig.device, help="auto, cpu or cuda")
    p.add_argument("--seed", type=int, default=AlignerConfig.seed)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
