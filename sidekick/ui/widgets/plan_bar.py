"""The reading plan: one marker per page, coloured by who reads it (you or Sidekick)."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from sidekick.turns.events import Reader


class PlanBar(Widget):
    """A row of page markers, e.g. `` 1✓  2   3 `` plus a legend.

    Pages the child reads use the ``plan-bar--child`` style, Sidekick's pages
    ``plan-bar--sidekick``; the current page adds ``plan-bar--current`` and finished pages
    get a tick.
    """

    COMPONENT_CLASSES = {
        "plan-bar--child",
        "plan-bar--sidekick",
        "plan-bar--current",
        "plan-bar--label",
    }

    DEFAULT_CSS = """
    PlanBar {
        height: auto;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.readers: dict[int, Reader] = {}  # page number -> reader
        self.current: int | None = None
        self.done: set[int] = set()

    def set_plan(self, readers: dict[int, Reader]) -> None:
        self.readers = dict(readers)
        self.refresh(layout=True)

    def set_current(self, page: int) -> None:
        self.current = page
        self.refresh()

    def mark_done(self, page: int) -> None:
        self.done.add(page)
        self.refresh()

    def render(self) -> Text:
        if not self.readers:
            return Text("")
        style = self.get_component_rich_style
        text = Text()
        text.append("Plan ", style("plan-bar--label", partial=True))
        for number in sorted(self.readers):
            cell_style = style(f"plan-bar--{self.readers[number]}", partial=True)
            if number == self.current:
                cell_style += style("plan-bar--current", partial=True)
            tick = "✓" if number in self.done else " "
            text.append(f" {number}{tick}", cell_style)
            text.append(" ")
        text.append("  ")
        text.append(" you ", style("plan-bar--child", partial=True))
        text.append(" ")
        text.append(" Sidekick ", style("plan-bar--sidekick", partial=True))
        return text
