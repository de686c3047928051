"""A word heard as another word the way the reader's accent says it was read.

The recognizer's dictionary speaks General American: a reader with another accent is heard
saying other words ("hat" as "hot", "Sam" as "som" in southern British English). One such
word may be the reader's accent or a misreading (the check is not sure of it:
:mod:`sidekick.reading.doubt`); the same accent feature behind several words of a page is
the reader's accent (:func:`sidekick.words.variants.accent_heard`), and those words are read.
A feature a reader has shown stays theirs for their later pages (:class:`ReaderAccent`),
where one word heard that way is enough.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sidekick.words.variants import accent_heard, accent_pair

if TYPE_CHECKING:
    from sidekick.reading.result import WordResult


@dataclass
class ReaderAccent:
    """The accent features one reader has shown so far (start a new one for a new reader)."""

    features: set[str] = field(default_factory=set)


def accept_accent(words: Sequence[WordResult], reader: ReaderAccent | None = None) -> set[str]:
    """Mark ``correct`` every substituted word heard as the word said in an accent feature
    the reader shows on this page, or showed before (``reader``, which learns this page's
    features); returns the features accepted."""
    subs = [w for w in words if w.status == "substituted" and w.heard]
    shown = accent_heard((w.word, w.heard or "") for w in subs)
    if reader is not None:
        reader.features |= shown
        shown = set(reader.features)
    for w in subs:
        if accent_pair(w.heard or "", w.word) & shown:
            w.status, w.heard = "correct", None
    return shown
