"""Warm, specific, varied praise after a child's turn. Never negative."""

from __future__ import annotations

import random

from sidekick.books.model import Word

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

    def praise(self, words: tuple[Word, ...], read: set[int], assisted: set[int]) -> str:
        own = [words[i] for i in sorted(read) if i < len(words) and i not in assisted]
        if not own:
            return self._pick(_LISTEN_PRAISE if not assisted else _TEAM_PRAISE)
        # The hardest word read unaided: longest, not praised before.
        fresh = [w for w in own if w.norm not in self._praised_words and len(w.norm) >= 5]
        if fresh and self._rng.random() < 0.7:
            best = max(fresh, key=lambda w: (len(w.norm), -w.index))
            self._praised_words.add(best.norm)
            return self._pick(_WORD_PRAISE, w=best.text)
        if len(assisted) > len(own):
            return self._pick(_TEAM_PRAISE)
        return self._pick(_COUNT_PRAISE, n=len(own))
