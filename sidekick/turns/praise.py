"""Warm, specific, varied praise after a child's turn: never negative, and only true.

A word is praised by name only when the reading check found it ``correct`` (a word it was
not sure of, ``unclear``, counts among the words read but is never named); a turn read
below the instructional accuracy band gets encouragement for the effort, not "Amazing!".
"""

from __future__ import annotations

import random

from sidekick.books.model import Word

#: Below this accuracy (the bottom of the DIBELS instructional band) a turn is encouraged.
ENCOURAGE_BELOW = 0.90

_WORD_PRAISE = (
    "You read '{w}' all by yourself!",
    "Wow, '{w}' is a tricky word, and you read it!",
    "I loved how you read '{w}'!",
    "'{w}' - you got it! Super reading!",
    "You figured out '{w}'. That's a big one!",
)
_COUNT_PRAISE = (
    "You read {n} words on that page. Amazing!",
    "{n} words read! You're a reading star!",
    "That was {n} words. Great job!",
)
_TEAM_PRAISE = (
    "Great teamwork! We read that page together.",
    "Nice work sticking with it. We make a good team!",
    "You kept going. That's what good readers do!",
)
_EFFORT_PRAISE = (
    "Thanks for reading with me. Let's keep going together!",
    "You kept at it. Every page you try makes you a stronger reader!",
    "That was a tricky page. Good for you for trying it!",
)
_LISTEN_PRAISE = (
    "Thanks for reading with me! Let's keep going.",
    "Let's see what happens next!",
)


class PraiseMaker:
    """Picks praise that names something the child actually did, without repeating itself."""

    def __init__(self, seed: int | None = None) -> None:
        self._rng = random.Random(seed)
        self._last: str | None = None
        self._praised_words: set[str] = set()

    def _pick(self, templates: tuple[str, ...], **kw: object) -> str:
        options = [t for t in templates if t != self._last] or list(templates)
        template = self._rng.choice(options)
        self._last = template
        return template.format(**kw)

    def praise(
        self,
        words: tuple[Word, ...],
        read: set[int],
        assisted: set[int],
        *,
        correct: set[int] | None = None,
        accuracy: float | None = None,
    ) -> str:
        """Praise for one turn. ``read``: the words read (correct or self-corrected);
        ``assisted``: the words Sidekick said; ``correct``: the words the check found
        ``correct`` (the only ones named; default ``read``); ``accuracy``: the check's."""
        own = [words[i] for i in sorted(read) if i < len(words) and i not in assisted]
        if not own:
            return self._pick(_LISTEN_PRAISE if not assisted else _TEAM_PRAISE)
        if accuracy is not None and accuracy < ENCOURAGE_BELOW:
            return self._pick(_EFFORT_PRAISE)
        nameable = read if correct is None else correct
        # The hardest word read unaided and correctly: longest, not praised before.
        fresh = [
            w
            for w in own
            if w.index in nameable and w.norm not in self._praised_words and len(w.norm) >= 5
        ]
        if fresh and self._rng.random() < 0.7:
            best = max(fresh, key=lambda w: (len(w.norm), -w.index))
            self._praised_words.add(best.norm)
            return self._pick(_WORD_PRAISE, w=best.text)
        if len(assisted) > len(own):
            return self._pick(_TEAM_PRAISE)
        return self._pick(_COUNT_PRAISE, n=len(own))
