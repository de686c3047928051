"""The page text with live word highlighting, styled by the words' character offsets."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from sidekick.books.model import Page, Word


class PageView(Widget):
    """Shows one page and marks its words as the session reports them.

    Word marks (by ``Word.index``): ``read`` (the child read it), ``helped`` (Sidekick said it
    for the child), ``spoken`` (read aloud by Sidekick on its turn), ``reading`` (the sentence
    Sidekick is saying now) and ``current`` (the next word to read, or where Sidekick is).
    Styles come from the component classes, so app.tcss decides the colours; spans cover
    exactly ``Word.start:Word.end``.
    """

    COMPONENT_CLASSES = {
        "page-view--read",
        "page-view--helped",
        "page-view--spoken",
        "page-view--reading",
        "page-view--current",
    }

    DEFAULT_CSS = """
    PageView {
        height: auto;
    }
    """

    page: reactive[Page | None] = reactive(None, layout=True)

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.read: set[int] = set()
        self.helped: set[int] = set()
        self.spoken: set[int] = set()
        self.reading: set[int] = set()
        self.current: int | None = None

    # -- state -------------------------------------------------------------------------
    def show_page(self, page: Page) -> None:
        """Show ``page`` with no marks (keeps the marks when it is already shown)."""
        if self.page is not None and self.page.number == page.number:
            return
        self.clear_marks()
        self.page = page

    def clear_marks(self) -> None:
        self.read.clear()
        self.helped.clear()
        self.spoken.clear()
        self.reading.clear()
        self.current = None
        self.refresh(layout=True)

    def mark_read(self, index: int) -> None:
        self.read.add(index)
        self.refresh()

    def mark_helped(self, index: int) -> None:
        self.helped.add(index)
        self.refresh()

    def mark_spoken(self, indices: range | set[int]) -> None:
        self.spoken.update(indices)
        self.refresh()

    def set_reading(self, indices: range | set[int]) -> None:
        self.reading = set(indices)
        self.refresh()

    def sentence_of(self, index: int) -> range:
        """The word indices of the sentence holding word ``index``."""
        for sentence in self.page.sentences if self.page is not None else ():
            if sentence.words and sentence.words[0].index <= index <= sentence.words[-1].index:
                return range(sentence.words[0].index, sentence.words[-1].index + 1)
        return range(index, index + 1)

    def set_current(self, index: int | None) -> None:
        self.current = index
        self.refresh()

    def words(self, mark: str) -> list[str]:
        """The written words with a mark ("read", "helped", "spoken", "reading", "current")."""
        if self.page is None:
            return []
        if mark == "current":
            indices = {self.current} if self.current is not None else set()
        else:
            marks = {
                "read": self.read,
                "helped": self.helped,
                "spoken": self.spoken,
                "reading": self.reading,
            }
            indices = marks[mark]
        return [w.text for w in self.page.words if w.index in indices]

    # -- rendering ---------------------------------------------------------------------
    def _word_style(self, word: Word) -> Style | None:
        styles: list[str] = []
        if word.index in self.helped:
            styles.append("page-view--helped")
        elif word.index in self.read:
            styles.append("page-view--read")
        elif word.index in self.reading:
            styles.append("page-view--reading")
        elif word.index in self.spoken:
            styles.append("page-view--spoken")
        if word.index == self.current:
            styles.append("page-view--current")
        if not styles:
            return None
        style = Style()
        for name in styles:
            style += self.get_component_rich_style(name, partial=True)
        return style

    def styled_text(self) -> Text:
        """The page text with one style span per marked word."""
        if self.page is None:
            return Text("")
        text = Text(self.page.text)
        for word in self.page.words:
            style = self._word_style(word)
            if style is not None:
                text.stylize(style, word.start, word.end)
        return text

    def render(self) -> Text:
        return self.styled_text()
