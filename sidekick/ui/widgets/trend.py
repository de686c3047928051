"""Small charts for the progress screen: a WCPM trend and an accuracy band strip.

:class:`TrendPlot` draws day-by-day values with Textual's :class:`~textual.widgets.Sparkline`
(Unicode block characters) between a y-axis (lowest and highest value) and an x-axis (first
and last day). :class:`BandStrip` shows one coloured cell per day for the DIBELS accuracy
band of that day's reading, most recent days on the right, with a legend.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from datetime import date

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.geometry import Size
from textual.widget import Widget
from textual.widgets import Sparkline, Static

PLOT_HEIGHT = 4
AXIS_WIDTH = 5
#: The DIBELS bands in words for parents: independent, instructional, frustration.
#: The accuracy bands in plain words (the legend here, the reader's end-of-book summary).
BAND_WORDS = {"independent": "easy", "instructional": "just right", "frustration": "hard for now"}
BAND_LABELS = {
    "independent": f"95%+ {BAND_WORDS['independent']}",
    "instructional": f"90–94% {BAND_WORDS['instructional']}",
    "frustration": f"<90% {BAND_WORDS['frustration']}",
}


def short_date(day: str) -> str:
    """``"2025-03-01"`` -> ``"Mar 1"`` (the text itself when it is not a date)."""
    try:
        d = date.fromisoformat(day)
    except ValueError:
        return day
    return f"{d:%b} {d.day}"


def _number(value: float) -> str:
    return f"{value:.0f}"


class TrendPlot(Widget):
    """A labelled trend of one value per day (oldest first), e.g. words correct per minute."""

    DEFAULT_CSS = """
    TrendPlot {
        height: auto;
    }
    TrendPlot > .trend--title {
        text-style: bold;
    }
    TrendPlot > Horizontal {
        height: auto;
    }
    TrendPlot .trend--axis {
        width: 6;
        padding-right: 1;
        color: $foreground-muted;
        text-align: right;
    }
    TrendPlot Sparkline {
        height: 4;
        width: 1fr;
    }
    TrendPlot .trend--dates {
        height: 1;
        padding-left: 6;
        color: $foreground-muted;
    }
    TrendPlot .trend--first {
        width: 1fr;
    }
    TrendPlot .trend--last {
        width: auto;
    }
    TrendPlot .trend--empty {
        color: $foreground-muted;
        height: 4;
    }
    """

    def __init__(
        self, title: str = "", *, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.title = title
        self.points: list[tuple[str, float]] = []

    def compose(self) -> ComposeResult:
        yield Static(self.title, classes="trend--title")
        with Horizontal():
            yield Static("", classes="trend--axis")
            yield Sparkline([], summary_function=statistics.mean)
        yield Static("Nothing to show yet.", classes="trend--empty")
        with Horizontal(classes="trend--dates"):
            yield Static("", classes="trend--first")
            yield Static("", classes="trend--last")

    def on_mount(self) -> None:
        self._refresh_plot()

    def set_points(self, points: Sequence[tuple[str, float]]) -> None:
        """Show ``(day, value)`` points, oldest first."""
        self.points = [(str(d), float(v)) for d, v in points]
        if self.is_mounted:
            self._refresh_plot()

    @property
    def summary(self) -> str:
        """The title line: latest and best values."""
        if not self.points:
            return self.title
        values = [v for _, v in self.points]
        return f"{self.title}  ·  latest {_number(values[-1])}  ·  best {_number(max(values))}"

    def _refresh_plot(self) -> None:
        has_data = bool(self.points)
        self.query_one(".trend--title", Static).update(self.summary)
        self.query_one(Horizontal).display = has_data
        self.query_one(".trend--dates").display = has_data
        self.query_one(".trend--empty", Static).display = not has_data
        if not has_data:
            return
        values = [v for _, v in self.points]
        high, low = max(values), min(values)
        bottom = _number(low) if _number(low) != _number(high) else ""
        axis = [_number(high)] + [""] * (PLOT_HEIGHT - 2) + [bottom]
        self.query_one(".trend--axis", Static).update("\n".join(axis))
        self.query_one(Sparkline).data = values
        first, last = short_date(self.points[0][0]), short_date(self.points[-1][0])
        self.query_one(".trend--first", Static).update(first)
        self.query_one(".trend--last", Static).update(last if len(self.points) > 1 else "")


class BandStrip(Widget):
    """One coloured cell per day for that day's accuracy band, plus a legend."""

    COMPONENT_CLASSES = {
        "band-strip--independent",
        "band-strip--instructional",
        "band-strip--frustration",
        "band-strip--label",
    }

    DEFAULT_CSS = """
    BandStrip {
        height: auto;
    }
    BandStrip > .band-strip--independent {
        color: $success;
    }
    BandStrip > .band-strip--instructional {
        color: $warning;
    }
    BandStrip > .band-strip--frustration {
        color: $error;
    }
    BandStrip > .band-strip--label {
        color: $foreground-muted;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.days: list[tuple[str, str]] = []

    def set_days(self, days: Sequence[tuple[str, str]]) -> None:
        """``(day, band)`` per day, oldest first; band is "independent", "instructional" or
        "frustration"."""
        self.days = [(str(d), str(b)) for d, b in days]
        self.refresh()

    def cells(self, width: int) -> tuple[str, list[tuple[str, str]]]:
        """The cell drawn per day and the most recent days that fit in ``width``: a wide cell
        when all days fit, else one character a day."""
        room = max(0, width - AXIS_WIDTH - 1)
        cell = "██ " if len(self.days) * 3 <= room else "█"
        count = room // len(cell)
        return cell, (self.days[-count:] if count else [])

    def render(self) -> Text:
        return Text("\n").join(self._lines(self.size.width))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lines(width))

    def _lines(self, width: int) -> list[Text]:
        """The strip, then the legend, wrapped between entries (never inside one)."""
        label = self.get_component_rich_style("band-strip--label")
        strip = Text(" " * (AXIS_WIDTH + 1))
        cell, shown = self.cells(width)
        if not shown:
            strip.append("no days yet", style=label)
        for _day, band in shown:
            strip.append(cell, style=self.get_component_rich_style(f"band-strip--{band}"))
        lines = [strip]
        indent = " " * (AXIS_WIDTH + 1)
        legend = Text(indent)
        for band, text in BAND_LABELS.items():
            entry = f"██ {text}"
            if legend.plain.strip() and legend.cell_len + len(entry) > width > 0:
                lines.append(legend)
                legend = Text(indent)
            legend.append("██", style=self.get_component_rich_style(f"band-strip--{band}"))
            legend.append(f" {text}  ", style=label)
        lines.append(legend)
        return lines
