"""Who reads which page, for each reading share."""

from __future__ import annotations

from sidekick.settings import Share
from sidekick.turns.events import Reader

_PATTERNS: dict[Share, tuple[Reader, ...]] = {
    Share.SIDEKICK: ("sidekick",),
    Share.A_LITTLE: ("child", "sidekick", "sidekick"),
    Share.A_LOT: ("child", "child", "child", "child", "sidekick"),
    Share.TAKE_TURNS: ("child", "sidekick"),
}


def reading_plan(share: Share, pages: int, start_page: int = 1) -> list[Reader]:
    """Reader for each page from ``start_page`` to the end (the pattern starts there)."""
    pattern = _PATTERNS[Share(share)]
    return [pattern[i % len(pattern)] for i in range(pages - start_page + 1)]
