"""Page assembly shared by the text and EPUB readers: blocks of text (paragraphs and
headings) filled into pages sentence by sentence, the limits of a book, and the notes and
messages both readers give."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .model import Page
from .tokenize import (
    MAX_WORD_CHARS,
    Segment,
    build_sentences,
    sentence_segments,
    shift_segments,
    word_spans,
)

MAX_WORDS_PER_PAGE = 80
#: A page between explicit breaks with more words than this is paginated automatically.
MAX_PAGE_WORDS = 400
#: A text book file (and the text of an EPUB, all chapters together) holds at most this
#: many bytes (characters for an EPUB): about 180,000 words, a long novel. A book this size
#: is read in a few seconds and about 200 MB.
MAX_BYTES = 1_000_000

_NON_ASCII_RE = re.compile(r"[^\x00-\x7f]")
_ASCII_CONTROL_RE = re.compile(r"[\x00-\x09\x0b\x0d-\x1f\x7f]")
_SPACE_RE = re.compile(r"\s+")


@dataclass
class Block:
    """A paragraph or heading of a book, before it is put on a page."""

    text: str
    heading: int = 0  # 1-6 for a heading, 0 for a paragraph
    long_words: int = 0  # runs of letters shortened in it (EPUB chapters count them here)
    segments: list[Segment] | None = None  # its sentences, when already found


def drop_controls(text: str) -> str:
    """Control characters become spaces and invisible format characters go (keeping line
    breaks and form feeds, which mark paragraphs and pages)."""
    text = _ASCII_CONTROL_RE.sub(" ", text)

    def fix(m: re.Match[str]) -> str:
        cat = unicodedata.category(m.group())
        return " " if cat == "Cc" else "" if cat == "Cf" else m.group()

    return _NON_ASCII_RE.sub(fix, text)


def paginate(blocks: list[Block]) -> list[list[Block]]:
    """Fill pages sentence by sentence up to MAX_WORDS_PER_PAGE words (a longer sentence
    gets a page of its own); a heading moves along with the text that follows it. Each
    block's sentences are found once, and each piece keeps its own."""
    pages: list[list[Block]] = [[]]
    count = 0
    for block in blocks:
        piece_start = 0
        piece: list[Segment] = []
        for segment in sentence_segments(block.text):
            start, n = segment[0], len(segment[2])
            if count and count + n > MAX_WORDS_PER_PAGE:
                head = block.text[piece_start:start].rstrip()
                carry: list[Block] = []
                if head:
                    segments = shift_segments(piece, -piece_start)
                    pages[-1].append(Block(head, block.heading, segments=segments))
                elif pages[-1] and pages[-1][-1].heading and len(pages[-1]) > 1:
                    carry.append(pages[-1].pop())
                pages.append(carry)
                count = sum(len(word_spans(b.text)) for b in carry)
                piece_start, piece = start, []
            count += n
            piece.append(segment)
        rest = block.text[piece_start:]
        if rest.strip():
            segments = shift_segments(piece, -piece_start)
            pages[-1].append(Block(rest, block.heading, segments=segments))
    return pages


def make_page(number: int, blocks: list[Block]) -> Page:
    """One page of the blocks, a blank line between them, with its sentences and words."""
    parts: list[str] = []
    sentences = []
    offset = 0
    for block in blocks:
        if parts:
            offset += 2  # the "\n\n" between blocks
        found = build_sentences(
            block.text,
            offset=offset,
            first_index=sum(len(s.words) for s in sentences),
            segments=block.segments,
        )
        sentences.extend(found)
        parts.append(block.text)
        offset += len(block.text)
    return Page(number=number, text="\n\n".join(parts), sentences=tuple(sentences))


def long_words_note(count: int) -> str:
    """The note for a book with ``count`` runs of letters too long to be words."""
    what = "a 'word'" if count == 1 else f"{count} 'words'"
    verb = "it is" if count == 1 else "they are"
    return (
        f"This book has {what} longer than {MAX_WORD_CHARS} letters: {verb} shown shortened "
        "and not read aloud or checked."
    )


def title_from_name(name: str) -> str:
    """A title from a file name, for a book that names none ("the-lost-mitten.md")."""
    stem = Path(name).stem if name else ""
    title = _SPACE_RE.sub(" ", re.sub(r"[-_]+", " ", stem)).strip()
    return title[:1].upper() + title[1:] if title else "Untitled"


def too_large(path: Path | str, size: int, limit: int) -> str:
    """The one message for a book file over its size limit."""
    return (
        f"The book file {path} is too large ({size / 1e6:.1f} MB); the limit is {limit / 1e6:g} MB."
    )
