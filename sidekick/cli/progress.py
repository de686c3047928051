"""``sidekick readers`` and ``sidekick report``: reader profiles and their progress reports."""

from __future__ import annotations

import argparse
import sys

from sidekick.cli.options import add_command
from sidekick.errors import SidekickError
from sidekick.paths import check_output_file
from sidekick.settings import Share


def print_notes(notices: list[str]) -> None:
    """What opening the progress store did that the user must hear of (``store.notices``),
    on stderr."""
    for line in notices:
        print(f"note: {line}", file=sys.stderr)


def add_readers(sub: argparse._SubParsersAction) -> None:
    readers = add_command(
        sub, "readers", cmd_readers, help="reader profiles: list, add, remove",
        description="Reader profiles. Each child turn of a reader is stored on this computer "
        "(scores and words only, never audio) for progress reports.",
    )  # fmt: skip
    rsub = readers.add_subparsers(dest="action", metavar="ACTION")
    rsub.add_parser("list", help="list readers (the default)")
    add = rsub.add_parser("add", help="add a reader")
    add.add_argument("name")
    add.add_argument("--grade", help="school grade: K or 1-12")
    add.add_argument("--share", choices=[s.value for s in Share], default=Share.TAKE_TURNS.value)
    add.add_argument("--stall", type=float, default=3.0, metavar="SECONDS")
    rm = rsub.add_parser("remove", help="remove a reader and their history")
    rm.add_argument("name")
    rm.add_argument("--yes", action="store_true", help="do not ask for confirmation")


def add_report(sub: argparse._SubParsersAction) -> None:
    report = add_command(
        sub, "report", cmd_report, help="progress report: one row per turn (CSV, JSON or HTML)",
        description="Write a progress report, one row per child turn: words correct per "
        "minute, accuracy and band, errors by type. Without --reader: all readers (a class "
        "export).",
    )  # fmt: skip
    report.add_argument("--reader", metavar="NAME")
    report.add_argument("--format", choices=["csv", "json", "html"], default="csv")
    report.add_argument("-o", "--output", metavar="FILE", help="default: standard output")


def cmd_readers(args: argparse.Namespace) -> int:
    from sidekick.progress.store import ProgressStore

    with ProgressStore() as store:
        print_notes(store.notices)
        if args.action == "add":
            grade: int | str | None = args.grade
            if isinstance(grade, str) and grade.isdigit():
                grade = int(grade)
            r = store.add_reader(args.name, grade=grade, share=args.share, stall_s=args.stall)
            print(f"Added {r.name}.")
        elif args.action == "remove":
            if not args.yes:
                if not sys.stdin.isatty():
                    raise SidekickError("Add --yes to remove a reader without a prompt.")
                answer = input(f"Remove {args.name} and all their reading history? [y/N] ")
                if answer.strip().lower() not in ("y", "yes"):
                    print("Nothing removed.")
                    return 0
            n = store.remove_reader(args.name)
            print(f"Removed {args.name} ({n} turns).")
        else:
            readers = store.list_readers()
            if not readers:
                print("No readers yet. Add one: sidekick readers add NAME --grade 2")
            for r in readers:
                turns = store.turn_count(r.name)
                print(f"{r.name:24} grade {r.grade_label or '-':3} {r.share:11} {turns:5} turns")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from sidekick.progress.reports import write_report
    from sidekick.progress.store import ProgressStore

    if args.output:
        check_output_file(args.output)  # before anything is read
    with ProgressStore() as store:
        print_notes(store.notices)
        if args.reader:
            store.get_reader(args.reader)  # a clear error for an unknown name
        n = write_report(store, args.format, args.output or sys.stdout, reader=args.reader)
    if args.output:
        print(f"{n} turns -> {args.output}", file=sys.stderr)
    return 0
