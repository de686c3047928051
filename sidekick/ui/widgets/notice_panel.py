"""The latest few notices of a screen (no microphone, a problem with a voice): hidden until
the first one comes; framed as an error when the latest is one."""

from __future__ import annotations

from textual.widgets import Static


class NoticePanel(Static):
    def __init__(self, *, keep: int = 3, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.keep = keep
        self.notices: list[str] = []
        self.display = False

    def add(self, text: str, error: bool = False) -> None:
        """Show ``text`` under the notices before it (the last ``keep`` of them)."""
        self.notices = [*self.notices, text][-self.keep :]
        self.update("\n".join(self.notices))
        self.set_class(error, "-error")
        self.display = True
