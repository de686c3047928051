"""The banner that says whose turn it is, and which page of how many."""

from __future__ import annotations

from typing import Literal

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label

from sidekick.turns.events import Reader

BannerState = Literal["waiting", "child", "sidekick", "ended", "paused", "done", "error"]

CHILD_TURN = "Your turn — read aloud!"
SIDEKICK_TURN = "Sidekick is reading"


class TurnBanner(Horizontal):
    """A coloured bar: the turn message on the left, "Page x of y" on the right.

    The state is also set as a CSS class (``-waiting``, ``-child``, ``-sidekick``, ``-ended``
    (between turns), ``-paused``, ``-done``, ``-error``) so app.tcss can colour each state.
    """

    DEFAULT_CSS = """
    TurnBanner {
        height: 3;
    }
    TurnBanner > #turn-message {
        width: 1fr;
    }
    TurnBanner > #turn-page {
        width: auto;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.state: BannerState = "waiting"
        self.message = "Getting ready…"
        self.page_text = ""

    def compose(self) -> ComposeResult:
        yield Label(self.message, id="turn-message")
        yield Label(self.page_text, id="turn-page")

    def on_mount(self) -> None:
        self.add_class(f"-{self.state}")

    def set_state(self, state: BannerState, message: str) -> None:
        """Show ``message`` in the colours of ``state``."""
        self.remove_class(f"-{self.state}")
        self.state = state
        self.message = message
        self.add_class(f"-{state}")
        if self.is_mounted:
            self.query_one("#turn-message", Label).update(message)

    @staticmethod
    def message_for(reader: Reader) -> str:
        return CHILD_TURN if reader == "child" else SIDEKICK_TURN

    def set_page(self, page: int, total: int) -> None:
        self.page_text = f"Page {page} of {total}"
        if self.is_mounted:
            self.query_one("#turn-page", Label).update(self.page_text)
