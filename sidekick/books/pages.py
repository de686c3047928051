"""Page assembly shared by the text and EPUB readers: blocks of text (paragraphs and
headings) filled into pages sentence by sentence and made into a book, the limits of a
book, and the notes and messages both readers give."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from sidekick.errors import BookError
from sidekick.words.normalize import MAX_WORD_CHARS, normalize_word
from sidekick.words.sentences import (
    WORD_RE,
    Segment,
    sentence_segments,
    shift_segments,
    word_spans,
)

from .model import Block, Book, Page, Sentence, Word

MAX_WORDS_PER_PAGE = 80
#: A page between explicit breaks with more words than this is paginated automatically.
MAX_PAGE_WORDS = 400
#: A text book file (and the text of an EPUB, all chapters together) holds at most this
#: many bytes (characters for an EPUB): about 180,000 words, a long novel. A book this size
#: is read in a few seconds and about 200 MB.
MAX_BYTES = 1_000_000
#: A run of letters longer than :data:`~sidekick.words.MAX_WORD_CHARS` is shown shortened to
#: this many characters and skipped.
SHOWN_CHARS = 60

_NON_ASCII_RE = re.compile(r"[^\x00-\x7f]")
_ASCII_CONTROL_RE = re.compile(r"[\x00-\x09\x0b\x0d-\x1f\x7f]")
_SPACE_RE = re.compile(r"\s+")
_LONG_RUN_RE = re.compile(rf"\S{{{MAX_WORD_CHARS + 1},}}")


def drop_controls(text: str) -> str:
    """Control characters become spaces and invisible format characters go (keeping line
    breaks and form feeds, which mark paragraphs and pages)."""
    text = _ASCII_CONTROL_RE.sub(" ", text)

    def fix(m: re.Match[str]) -> str:
        cat = unicodedata.category(m.group())
        return " " if cat == "Cc" else "" if cat == "Cf" else m.group()

    return _NON_ASCII_RE.sub(fix, text)


def shorten_long_words(text: str) -> tuple[str, int]:
    """``text`` with every run of letters longer than :data:`MAX_WORD_CHARS` cut to its
    first :data:`SHOWN_CHARS` characters and "…", and how many runs were cut."""
    count = 0

    def cut(m: re.Match[str]) -> str:
        nonlocal count
        if m.end() - m.start() <= MAX_WORD_CHARS:
            return m.group()
        count += 1
        return m.group()[:SHOWN_CHARS] + "\u2026"

    def cut_in(run: re.Match[str]) -> str:  # only a run without spaces this long can hold one
        return WORD_RE.sub(cut, run.group())

    return _LONG_RUN_RE.sub(cut_in, text), count


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


def build_sentences(
    text: str, *, offset: int = 0, first_index: int = 0, segments: list[Segment] | None = None
) -> list[Sentence]:
    """Sentences (with their words) of ``text``, from its ``segments`` when they are known.

    Offsets are shifted by ``offset`` (the position of ``text`` inside the page text) and
    word indexes start at ``first_index``.
    """
    sentences: list[Sentence] = []
    index = first_index
    for start, end, spans in sentence_segments(text) if segments is None else segments:
        found = []
        for ws, we in spans:
            found.append(
                Word(text[ws:we], normalize_word(text[ws:we]), ws + offset, we + offset, index)
            )
            index += 1
        sentences.append(Sentence(text[start:end], start + offset, end + offset, tuple(found)))
    return sentences


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


def book_from_pages(
    name: str,
    pages: Iterable[list[Block]],
    *,
    title: str,
    author: str,
    level: str,
    meta: dict[str, str],
    long_words: int,
) -> Book:
    """The book of these pages of blocks (a page without sentences is left out), titled
    from the file ``name`` when it names no ``title``; ``long_words`` runs of letters were
    shortened in it. Raises :class:`BookError` when no page has a word."""
    made: list[Page] = []
    for blocks in pages:
        page = make_page(len(made) + 1, blocks)
        if page.sentences:
            made.append(page)
    if not made:
        raise BookError(f"{name} has no readable words")
    return Book(
        title=title or title_from_name(name), pages=made, author=author, level=level,
        meta=meta, notes=[long_words_note(long_words)] if long_words else [],
    )  # fmt: skip


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


def read_book_file(path: Path, limit: int) -> bytes:
    """The bytes of a book file of at most ``limit`` bytes; a one-line :class:`BookError`
    when it is larger, cannot be read or is empty."""
    try:
        size = path.stat().st_size
        if size > limit:
            raise BookError(
                f"The book file {path} is too large ({size / 1e6:.1f} MB); "
                f"the limit is {limit / 1e6:g} MB."
            )
        data = path.read_bytes()
    except OSError as exc:
        raise BookError(f"Cannot read book {path}: {exc.strerror or exc}") from None
    if not data.strip():
        raise BookError(f"{path} is empty")
    return data
