"""A word heard as another word the way the reader's accent says it was read.

The recognizer's dictionary speaks General American: a reader with another accent is heard
saying other words ("hat" as "hot", "Sam" as "som" in southern British English). One such
word is a likely misreading; the same accent feature behind several words of a page is the
reader's accent (:func:`sidekick.words.variants.accent_heard`), and those words are read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sidekick.words.variants import accent_heard, accent_pair

if TYPE_CHECKING:
    from sidekick.reading.assess import WordResult


def accept_accent(words: Sequence[WordResult]) -> set[str]:
    """Mark ``correct`` every substituted word heard as the word said in an accent feature
    the reader shows on this page; returns those features."""
    subs = [w for w in words if w.status == "substituted" and w.heard]
    shown = accent_heard((w.word, w.heard or "") for w in subs)
    for w in subs:
        if accent_pair(w.heard or "", w.word) & shown:
            w.status, w.heard = "correct", None
    return shown
