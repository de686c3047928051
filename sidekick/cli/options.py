"""What several commands share: the range of every number option, checked before any work
starts, a device given by number or name, and the --no-second-listener option."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import Any

from sidekick.errors import SidekickError

#: The numbers commands accept: option -> (flag, lowest, highest). Anything else (nan and
#: inf included) is refused with one plain line before any work starts.
RANGES: dict[str, tuple[str, float, float]] = {
    "rate": ("--rate", 0.5, 1.5),  # speaking rate
    "stall": ("--stall", 0.5, 30.0),  # seconds on a word before Sidekick says it
    "start_page": ("--start-page", 1, 100_000),
    "page": ("--page", 1, 100_000),
    "trials": ("--trials", 1, 1_000),
}

SECOND_LISTENER_HELP = (
    "check readings with the recognizer alone, without Whisper's second opinion on doubtful "
    "words (about 1 s less at the end of each page on a slow computer)"
)


def check_numbers(args: argparse.Namespace) -> None:
    """Refuse a number out of its range (:data:`RANGES`) in plain words."""
    for name, (flag, low, high) in RANGES.items():
        value = getattr(args, name, None)
        if value is not None and not (math.isfinite(value) and low <= value <= high):
            raise SidekickError(f"{flag} must be a number from {low:g} to {high:g} (not {value}).")


def device(spec: str | None) -> int | str | None:
    """A device given on the command line: its number, or (part of) its name."""
    return int(spec) if spec is not None and spec.isdigit() else spec


def add_command(
    sub: argparse._SubParsersAction, name: str, run: Callable[[argparse.Namespace], int],
    **kwargs: Any,
) -> argparse.ArgumentParser:  # fmt: skip
    """The parser of the sub-command ``name``; ``args.run(args)`` runs it."""
    parser = sub.add_parser(name, **kwargs)
    parser.set_defaults(run=run)
    return parser
