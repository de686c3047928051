"""Listening test helpers."""

from __future__ import annotations

import difflib


def matched(expected: list[str], heard: list[str]) -> float:
    """The share of the expected words heard, in order (matching blocks of a diff)."""
    sm = difflib.SequenceMatcher(a=expected, b=heard, autojunk=False)
    return sum(b.size for b in sm.get_matching_blocks()) / len(expected)
