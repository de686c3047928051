"""``sidekick-train``: build, check and curate voice data, and train voices.

Subcommands here: ``validate``, ``corpus fetch``, ``corpus select``, ``teacher-corpus``,
``curate``, ``measure-curation``, ``align-durations``; each is a small function taking
parsed arguments, and errors in the data
come out as one clear message and exit status 2. The training commands live in their own
modules, each with a ``main(argv)``, and are handed the rest of the command line (see
:data:`DELEGATED`).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

Command = Callable[[argparse.Namespace], int]

# subcommand -> module with ``main(argv) -> int`` (used when the module is present)
DELEGATED = {
    "fit": "train.acoustic.fit",
    "export": "train.export.bundle",
    "export-vocoder": "train.export.vocoder",
    "evaluate": "train.evaluation.evaluate",
    "ablate": "train.evaluation.ablate",
}


def _delegated() -> dict[str, str]:
    from importlib.util import find_spec

    return {cmd: mod for cmd, mod in DELEGATED.items() if find_spec(mod) is not None}


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
    from train.durations.phoneme_aligner import AlignerConfig, align_durations

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


def build_parser() -> argparse.ArgumentParser:
    from train.jobs import default_workers

    workers = min(2, default_workers())
    more = ", ".join(_delegated())
    parser = argparse.ArgumentParser(
        prog="sidekick-train",
        description=__doc__.split("\n")[0],
        epilog=f"Training commands (each with its own --help): {more}." if more else None,
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="check a corpus folder and summarise its problems")
    p.add_argument("corpus")
    p.add_argument("--min-s", type=float, default=0.5, help="shortest usable utterance")
    p.add_argument("--max-s", type=float, default=20.0, help="longest usable utterance")
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
    p.add_argument("--defects", type=float, default=0.0, help="fraction with injected defects")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--storytelling-share", type=float, default=0.61)
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
    p.add_argument("--mad-k", type=float, default=6.0, help="threshold: median + k * MAD")
    p.add_argument("--workers", type=int, default=workers)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_curate)

    p = sub.add_parser(
        "align-durations",
        help="learn phoneme durations for recordings without durations/<id>.json",
        description=ALIGN_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("corpus", help="corpus folder (metadata.csv, wavs/)")
    p.add_argument("--steps", type=int, help="training steps, both stages (default 2000)")
    p.add_argument("--out", help="aligner run folder (default CORPUS/.aligner)")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_align_durations)

    p = sub.add_parser("measure-curation", help="score a curation against defects.json")
    p.add_argument("corpus")
    p.add_argument("curated")
    p.set_defaults(func=_measure)
    return parser


def main(argv: list[str] | None = None) -> int:
    from train.curation.word_alignment import AlignError
    from train.data.corpus import CorpusError
    from train.data.natural_text import SourceError
    from train.data.teacher import TeacherError

    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in _delegated():
        from importlib import import_module

        return int(import_module(DELEGATED[argv[0]]).main(argv[1:]))
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (CorpusError, SourceError, TeacherError, AlignError, FileNotFoundError) as exc:
        print(f"sidekick-train {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Interrupted; run the same command again to continue.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
