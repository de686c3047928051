"""The evaluation step's commands: ``evaluate`` and ``ablate``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from train.commands import add_command

REPO = Path(__file__).resolve().parents[2]


def _evaluate(args: argparse.Namespace) -> int:
    from train.evaluation import evaluate as ev
    from train.export.model_card import markdown_table

    if args.from_json:
        result = json.loads(Path(args.from_json).read_text(encoding="utf-8"))
    elif args.sentences:
        lines = Path(args.sentences).read_text(encoding="utf-8").splitlines()
        sentences = [s.strip() for s in lines if s.strip()]
        scorer = None
        if not args.no_mos:
            from train.evaluation.naturalness import MosScorer

            scorer = MosScorer()
        result = ev.evaluate(
            Path(args.voice), sentences, not args.no_whisper, not args.no_standard,
            draws=args.standard_draws, mos=scorer, mos_limit=args.mos_limit,
        )  # fmt: skip
    else:
        sources = ev.text_sources(
            [s.strip() for s in args.sources.split(",") if s.strip()],
            args.generate or args.limit, args.seed,
            Path(args.natural) if args.natural else None,
            Path(args.corpus) if args.corpus else None,
        )  # fmt: skip
        result = ev.evaluate_sources(
            Path(args.voice), sources, not args.no_whisper, args.standard_draws,
            not args.no_mos, args.mos_limit,
            log=lambda m: print(m, file=sys.stderr, flush=True),
            save=Path(args.json) if args.json else None,
        )  # fmt: skip
    if args.record:
        missed = ev.record_narrator_check(
            Path(args.voice), result, recorded_command(args.argv[1:], args.voice)
        )
        print("narrator check: " + ("passes" if not missed else "; ".join(missed)),
              file=sys.stderr)  # fmt: skip
    text = json.dumps(result, indent=1)
    if args.json and not args.from_json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    print(markdown_table(result["table"]) if "table" in result else text)
    return 0


def recorded_command(argv: list[str], voice: str) -> str:
    """The command behind a bundle's recorded figures, as anyone would type it: the bundle
    as ``voices/NAME`` and no file of the machine it ran on (``--json``, ``--from-json``)."""
    out: list[str] = []
    files = iter(argv)
    for a in files:
        if a in ("--json", "--from-json"):
            next(files, None)
        elif not a.startswith(("--json=", "--from-json=")):
            out.append(f"voices/{Path(voice).name}" if a == voice else a)
    return "sidekick-train evaluate " + " ".join(out)


EVALUATE_HELP = """\
Measure a voice bundle side by side with the standard voice, in the same run, on the same
sentences: Whisper tiny.en WER, words per second, pitch spread, longest inner pause,
unstable utterances, predicted MOS and speed.
"""

EVALUATE_EPILOG = """\
Text sources (--sources, each measured and reported apart, the standard voice alongside):
  books     every page of the bundled books, spoken page by page as the app does
  held_out  natural sentences from whole books that training never sees
            (needs --natural DIR, made by 'sidekick-train corpus fetch')
  template  sentences of the template grammar (train/data/text.py), minus --corpus texts
With --sentences FILE, only that file is measured (one sentence a line).
--record writes the books figures into the bundle's voice.json (narrator_check): the app
makes the bundle its default narrator only when they meet sidekick/speaking/narrator.py's
bar. --from-json FILE takes the figures of an earlier run instead of measuring again.
Predicted MOS needs DistillMOS (see train/evaluation/naturalness.py); --no-mos leaves it out.
"""


ABLATE_ABOUT = (  # one paragraph, wrapped to the terminal
    "Train the baseline and the three ablations (no L2 penalty, no neutral augmentation, "
    "no curation) at equal budget, export and measure each."
)


def _ablate(args: argparse.Namespace) -> int:
    from train.config import FitConfig
    from train.data.corpus import read_metadata
    from train.evaluation.ablate import measure_all, plans, train_all
    from train.evaluation.evaluate import held_out_sentences
    from train.export.model_card import ablation_table

    out = Path(args.out)
    base = FitConfig.load(Path(args.config) if args.config else None)
    if args.steps:
        base.steps = args.steps
    runs = plans(Path(args.corpus), Path(args.uncurated), base)
    for plan in runs:
        if not (plan.corpus / "metadata.csv").is_file():
            raise FileNotFoundError(f"{plan.corpus} is not a corpus: metadata.csv is missing")
    train_all(out, runs, max(1, args.parallel))
    texts = {u.text for c in {p.corpus for p in runs} for u in read_metadata(c)}
    sentences = held_out_sentences(args.generate, args.seed, texts)
    vocoder = Path(args.vocoder) if args.vocoder else REPO / "voices/hifigan-universal.onnx"
    result = measure_all(
        out, runs, sentences, vocoder if vocoder.is_file() else None, not args.no_whisper
    )
    (out / "ablations.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(ablation_table(result))
    return 0


def add_commands(sub: argparse._SubParsersAction, workers: int) -> None:
    """``evaluate`` and ``ablate``."""
    line = "measure a voice bundle beside the standard voice"
    p = add_command(sub, "evaluate", _evaluate, line, EVALUATE_HELP, EVALUATE_EPILOG)
    p.add_argument("voice", help="a voice bundle folder, e.g. voices/storyteller")
    p.add_argument("--sentences", help="text file, one sentence a line")
    p.add_argument(
        "--sources", default="books,held_out,template",
        help="comma-separated text sources (default: books,held_out,template)",
    )  # fmt: skip
    p.add_argument("--natural", help="folder made by 'sidekick-train corpus fetch'")
    p.add_argument("--limit", type=int, default=200, help="sentences per source (books: all pages)")
    p.add_argument("--generate", type=int, help=argparse.SUPPRESS)  # old name of --limit
    p.add_argument("--seed", type=int, default=777)
    p.add_argument("--corpus", help="corpus whose texts are left out of template ones")
    p.add_argument("--json", help="write the figures to this file")
    p.add_argument("--no-whisper", action="store_true")
    p.add_argument("--no-standard", action="store_true")
    p.add_argument("--no-mos", action="store_true", help="leave out predicted MOS")
    p.add_argument(
        "--mos-limit", type=int, metavar="N", help="MOS over the first N texts of each source"
    )
    p.add_argument(
        "--standard-draws", type=int, default=3, metavar="N",
        help="measure the (sampling) standard voice N times and average (default 3)",
    )  # fmt: skip
    p.add_argument(
        "--record", action="store_true",
        help="write the books figures into the bundle's voice.json (the narrator check)",
    )  # fmt: skip
    p.add_argument("--from-json", metavar="FILE", help="figures of an earlier run")

    line = "the baseline and three ablations at equal budget, each exported and measured"
    p = add_command(sub, "ablate", _ablate, line, ABLATE_ABOUT)
    p.add_argument("corpus", help="the curated corpus")
    p.add_argument("--uncurated", required=True, help="the same corpus before curation")
    p.add_argument("--out", required=True, help="folder for the runs and ablations.json")
    p.add_argument("--config", help="fit settings shared by every run (.toml or .json)")
    p.add_argument("--steps", type=int, help="override the number of steps of every run")
    p.add_argument("--parallel", type=int, default=1, help="runs trained at once")
    p.add_argument("--generate", type=int, default=50, help="held-out sentences")
    p.add_argument("--seed", type=int, default=777, help="seed of the held-out sentences")
    p.add_argument(
        "--vocoder", help="vocoder ONNX to use (default: voices/hifigan-universal.onnx if present)"
    )
    p.add_argument("--no-whisper", action="store_true", help="skip WER (quick check)")
