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
    return [reader_for(share, p, start_page) for p in range(start_page, pages + 1)]


def reader_for(share: Share, page: int, start_page: int = 1) -> Reader:
    """Who reads ``page`` when the pattern starts at ``start_page`` (also before it, when
    the reader goes back a page)."""
    pattern = _PATTERNS[Share(share)]
    return pattern[(page - start_page) % len(pattern)]
