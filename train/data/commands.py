"""The data step's commands: ``validate``, ``corpus`` (fetch, select), ``teacher-corpus``."""

from __future__ import annotations

import argparse
import json
from dataclasses import fields
from pathlib import Path

from train.commands import add_command


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
    from train.config import SelectionConfig
    from train.data.sentence_selection import build_selection

    names = [f.name for f in fields(SelectionConfig)]  # every setting has its flag
    report = build_selection(
        Path(args.natural), SelectionConfig(**{n: vars(args)[n] for n in names})
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


def add_commands(sub: argparse._SubParsersAction, workers: int) -> None:
    """``validate``, ``corpus`` (``fetch``, ``select``) and ``teacher-corpus``."""
    from train.config import SelectionConfig, TeacherConfig
    from train.data.corpus import Limits

    p = add_command(sub, "validate", _validate, "check a corpus folder and summarise its problems")
    p.add_argument("corpus")
    p.add_argument("--min-s", type=float, default=Limits.min_s, help="shortest usable utterance")
    p.add_argument("--max-s", type=float, default=Limits.max_s, help="longest usable utterance")
    p.add_argument("--show", type=int, default=30, help="problems listed (all in --json)")
    p.add_argument("--json", help="write the full report to this file")

    p = sub.add_parser(
        "corpus",
        help="natural English sentences from public-domain books (fetch, select)",
        description=CORPUS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    steps = p.add_subparsers(dest="step", required=True)
    q = add_command(
        steps, "fetch", _corpus_fetch, "download the pinned books and extract sentences"
    )
    q.add_argument("--out", required=True, help="folder for the books and sentences")
    q.add_argument("--from", dest="from_dir", help="copy the book files from this folder")
    q = add_command(steps, "select", _corpus_select, "choose training sentences for coverage")
    q.add_argument("natural", help="folder made by 'corpus fetch'")
    q.add_argument(
        "--sentences", type=int, default=SelectionConfig.sentences, help="how many to choose"
    )
    q.add_argument(
        "--templates",
        type=int,
        default=SelectionConfig.templates,
        help="template candidates offered",
    )
    q.add_argument(
        "--source-share",
        type=float,
        default=SelectionConfig.source_share,
        help=f"most any one book may give ({SelectionConfig.source_share})",
    )
    q.add_argument("--seed", type=int, default=SelectionConfig.seed)

    p = add_command(
        sub, "teacher-corpus", _teacher_corpus, "a two-style corpus from the standard voice"
    )
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
