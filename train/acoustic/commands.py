"""The acoustic model's command: ``fit``."""

from __future__ import annotations

import argparse
import json
import os
import signal
from pathlib import Path

from train.commands import add_command


def _sigterm_as_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _fit(args: argparse.Namespace) -> int:
    from train.acoustic.fit import fit
    from train.config import FitConfig

    signal.signal(signal.SIGTERM, _sigterm_as_interrupt)  # `kill` saves the checkpoint too
    cfg = FitConfig.load(Path(args.config) if args.config else None)
    if args.steps:
        cfg.steps = args.steps
    if args.device:
        cfg.device = args.device
    if args.init_from:
        cfg.init_from = str(Path(args.init_from).resolve())
    summary = fit(Path(args.corpus), Path(args.out), cfg, progress=not args.quiet)
    if os.environ.get("RANK", "0") == "0":
        print(json.dumps({k: summary[k] for k in ("steps", "s_per_step", "final_val")}, indent=1))
    return 0


FIT_HELP = """\
Train the acoustic model (phoneme ids + style ID -> log-mel) on a corpus with durations.

The settings are FitConfig in train/config.py (L2 penalty 'l2', neutral augmentation
'neutral_share', steps, batch size, ...); a .toml or .json file given with --config
overrides any of them. RUN/ckpt.pt is saved every ckpt_every steps and on Ctrl-C: run the
same command again to resume.
"""


def add_commands(sub: argparse._SubParsersAction, workers: int) -> None:
    """``fit``."""
    interrupted = "Interrupted; the checkpoint is saved: run the same command to resume."
    p = add_command(sub, "fit", _fit, "train the acoustic model", FIT_HELP, interrupted=interrupted)
    p.add_argument("corpus", help="corpus folder (metadata.csv, wavs/, durations/)")
    p.add_argument("--out", required=True, help="run folder (checkpoint, logs, plots)")
    p.add_argument("--config", help="settings file (.toml or .json), see FitConfig")
    p.add_argument("--steps", type=int, help="override the number of steps")
    p.add_argument("--device", help="override the device (auto, cpu, cuda)")
    p.add_argument(
        "--init-from", metavar="BUNDLE", help="start from this voice bundle's model (warm start)"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
