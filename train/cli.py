"""``sidekick-train``: build, check and curate voice data, and train voices.

One command tree, in the order of the method: the data (``validate``, ``corpus fetch``,
``corpus select``, ``teacher-corpus``), curation (``curate``, ``measure-curation``), durations
(``align-durations``), the acoustic model (``fit``), export (``export``, ``model-card``,
``export-vocoder``) and evaluation (``evaluate``, ``ablate``). Each step's commands live
beside the step, in its ``commands.py``: small functions taking the parsed arguments, which
import the step's modules only when they run, so ``--help`` needs no torch. Errors in the
data or the settings come out as one clear message and exit status 2.
"""

from __future__ import annotations

import argparse
import sys

from train.acoustic import commands as acoustic
from train.curation import commands as curation
from train.data import commands as data
from train.durations import commands as durations
from train.evaluation import commands as evaluation
from train.export import commands as export

STEPS = (data, curation, durations, acoustic, export, evaluation)


def build_parser() -> argparse.ArgumentParser:
    from train.jobs import default_workers

    workers = min(2, default_workers())
    parser = argparse.ArgumentParser(
        prog="sidekick-train",
        description=__doc__.split("\n")[0],
        epilog="Each command has its own --help. The method and the figures: train/README.md.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for step in STEPS:
        step.add_commands(sub, workers)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(argv)
    args.argv = argv
    try:
        return int(args.func(args))
    except (RuntimeError, ValueError, OSError) as exc:  # the steps' errors are among these
        print(f"sidekick-train {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        message = getattr(
            args, "interrupted", "Interrupted; run the same command again to continue."
        )
        print(message, file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
