"""The book model: pages -> sentences -> words, with character offsets into the page text.

Offsets let the UI highlight exactly the characters the author wrote, while the reading
check works on the normalized form of each word. A book file is first read into blocks
(:class:`Block`: paragraphs and headings), which :mod:`sidekick.books.pages` puts on pages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sidekick.words.sentences import Segment


@dataclass(frozen=True, slots=True)  # slots: a long book holds hundreds of thousands
class Word:
    text: str  # as written, e.g. "Don't" or "fox,"-less "fox"
    norm: str  # lower case, letters/digits/apostrophes only, e.g. "don't"
    start: int  # character offset in Page.text
    end: int  # exclusive
    index: int  # position among the page's words, from 0


@dataclass(frozen=True, slots=True)
class Sentence:
    text: str
    start: int
    end: int
    words: tuple[Word, ...]


@dataclass(frozen=True)
class Page:
    number: int  # from 1
    text: str
    sentences: tuple[Sentence, ...]

    @property
    def words(self) -> tuple[Word, ...]:
        return tuple(w for s in self.sentences for w in s.words)


@dataclass
class Book:
    title: str
    pages: list[Page]
    author: str = ""
    level: str = ""  # free text from the metadata, e.g. "early reader" or "grade 2"
    path: Path | None = None
    bundled: bool = False
    meta: dict[str, str] = field(default_factory=dict)
    #: Plain notes for the reader's grown-up about what was left out (a run of letters too
    #: long to be a word, say); shown when the book is opened.
    notes: list[str] = field(default_factory=list)

    @property
    def word_count(self) -> int:
        return sum(len(p.words) for p in self.pages)


@dataclass
class Block:
    """A paragraph or heading of a book, before it is put on a page."""

    text: str
    heading: int = 0  # 1-6 for a heading, 0 for a paragraph
    long_words: int = 0  # runs of letters shortened in it (EPUB chapters count them here)
    segments: list[Segment] | None = None  # its sentences, when already found
