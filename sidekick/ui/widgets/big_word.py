"""A word in big letters with its spelling under it: how Sidekick shows the word a child is
stuck on when there is no speaker to say it.

The letters are drawn with a FIGlet font (pyfiglet, imported when a word is first shown):
the tallest font that fits the widget's width and row budget, else the plain word.
"""

from __future__ import annotations

from textual.app import RenderResult
from textual.geometry import Size
from textual.reactive import reactive
from textual.widget import Widget

#: FIGlet fonts, tallest first, with how many rows each needs. mono9 has real lower-case
#: letters (ascenders, descenders); future is a three-row font for a short terminal.
FONTS: tuple[tuple[str, int], ...] = (("mono9", 7), ("future", 3))


def spelled(word: str) -> str:
    """``"Sam's"`` -> ``"S - a - m - ' - s"``: the letters one by one."""
    return " - ".join(ch for ch in word if ch.isalnum() or ch == "'")


def big_letters(word: str, width: int, rows: int) -> list[str]:
    """``word`` drawn in the tallest font of :data:`FONTS` that fits ``width`` columns and
    ``rows`` rows (blank rows around it dropped); ``[word]`` when none fits."""
    import pyfiglet

    for font, height in FONTS:
        if height > rows:
            continue
        art = pyfiglet.Figlet(font=font, width=10_000).renderText(word).splitlines()
        lines = [line.rstrip() for line in art]
        while lines and not lines[0].strip():
            lines.pop(0)
        while lines and not lines[-1].strip():
            lines.pop()
        if lines and len(lines) <= rows and max(map(len, lines)) <= width:
            return lines
    return [word]


class BigWord(Widget):
    """The word large, then spelled out. ``rows`` is how many rows the big letters may use
    (the reader gives a short terminal fewer, so the page text keeps its room)."""

    DEFAULT_CSS = """
    BigWord {
        height: auto;
        content-align: center middle;
        text-align: center;
    }
    """

    word: reactive[str] = reactive("", layout=True)
    rows: reactive[int] = reactive(FONTS[0][1], layout=True)

    def lines(self, width: int) -> list[str]:
        if not self.word:
            return []
        art = big_letters(self.word, width, self.rows)
        # Block letters keep their shapes only when every row starts at the same column.
        pad = max(map(len, art))
        return [line.ljust(pad) for line in art] + [spelled(self.word)]

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.lines(width))

    def render(self) -> RenderResult:
        return "\n".join(self.lines(self.content_region.width))
