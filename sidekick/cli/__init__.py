"""The ``sidekick`` command. Every user-facing failure is one line on stderr, no traceback.

One module per group of commands, each adding its commands to the parser and running them:
``reading`` (app, read), ``assess``, ``voices`` (say, listen-test), ``progress`` (readers,
report), ``system`` (books, models, check, setup); ``parser`` puts them together and
``options`` holds what several share (the range of every number option).
"""

from __future__ import annotations

import sys

from sidekick.cli.options import RANGES, check_numbers
from sidekick.cli.parser import build_parser
from sidekick.errors import SidekickError

__all__ = ["RANGES", "build_parser", "check_numbers", "main", "run"]


def run(argv: list[str]) -> int:
    from sidekick.private_files import sweep

    sweep()  # what a killed session left of a child's voice, before anything else
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        argv = ["app", *argv]  # `sidekick --reader Mia` is `sidekick app --reader Mia`
    args = build_parser().parse_args(argv)
    check_numbers(args)
    if getattr(args, "no_second_listener", False):
        from sidekick.listening.second_listener import disable

        disable()
    return args.run(args)


def main(argv: list[str] | None = None) -> int:
    try:
        return run(sys.argv[1:] if argv is None else argv)
    except SidekickError as exc:
        print(f"sidekick: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
