"""The curation step's commands: ``curate`` and ``measure-curation``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from train.commands import add_command


def _curate(args: argparse.Namespace) -> int:
    from train.config import CurationConfig
    from train.curation.curate import curate

    cfg = CurationConfig(mad_k=args.mad_k, workers=args.workers)
    report = curate(Path(args.corpus), Path(args.out), cfg, progress=not args.quiet)
    print(json.dumps(report["summary"], indent=1))
    print(f"Report page: {Path(args.out) / 'report.html'}")
    return 0


def _measure(args: argparse.Namespace) -> int:
    from train.curation.measure import measure_curation

    result = measure_curation(Path(args.corpus), Path(args.curated))
    print(json.dumps(result, indent=1))
    return 0 if result["passed"] else 1


def add_commands(sub: argparse._SubParsersAction, workers: int) -> None:
    """``curate`` and ``measure-curation``."""
    from train.config import CurationConfig

    p = add_command(sub, "curate", _curate, "drop prosodic outliers, cut dead air")
    p.add_argument("corpus")
    p.add_argument("--out", required=True)
    p.add_argument(
        "--mad-k", type=float, default=CurationConfig.mad_k, help="threshold: median + k * MAD"
    )
    p.add_argument("--workers", type=int, default=workers)
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    p = add_command(sub, "measure-curation", _measure, "score a curation against defects.json")
    p.add_argument("corpus")
    p.add_argument("curated")
