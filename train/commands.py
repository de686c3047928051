"""What every step's ``commands.py`` shares: how one command of ``sidekick-train`` is declared."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any


def add_command(
    sub: argparse._SubParsersAction,
    name: str,
    func: Callable[[argparse.Namespace], int],
    help: str,
    description: str | None = None,
    epilog: str | None = None,
    **defaults: Any,
) -> argparse.ArgumentParser:
    """Add command ``name``, run by ``func``: ``help`` is its line in the tree's ``--help``;
    ``description`` and ``epilog`` its own ``--help`` text, printed as written when they have
    line breaks (a paragraph that teaches), else wrapped."""
    written = "\n" in (description or "") + (epilog or "")
    parser = sub.add_parser(
        name,
        help=help,
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter if written else argparse.HelpFormatter,
    )
    parser.set_defaults(func=func, **defaults)
    return parser
