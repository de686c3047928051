"""Read hand-written book files (.txt and .md) into the :mod:`sidekick.books.model`.

(``.epub`` files are read by :mod:`sidekick.books.epub`; :func:`load_book` dispatches. Pages
are assembled by :mod:`sidekick.books.pages`, the same for both.)

The format is described for parents and teachers in ``books/README.md``. In short:

* optional front matter: ``---`` on the first line, ``key: value`` lines, ``---``;
* a level-1 heading (``# Title``) before any story text is the title, not page text;
* a line of three or more dashes (``---``) or a form feed starts a new page;
* without any page break, pages are made automatically of at most
  :data:`~sidekick.books.pages.MAX_WORDS_PER_PAGE` words, breaking only between sentences;
  so is a page between breaks that has more than
  :data:`~sidekick.books.pages.MAX_PAGE_WORDS` words;
* a file over :data:`~sidekick.books.pages.MAX_BYTES` is refused before it is read; a run
  of letters too long to be a word is shown shortened and skipped
  (:func:`~sidekick.books.pages.shorten_long_words`);
* Markdown markup is removed from the text children read; ``.txt`` and ``.md`` files are
  read by the same rules.
"""

from __future__ import annotations

import re
import stat
import unicodedata
from pathlib import Path

from sidekick.errors import BookError
from sidekick.words.sentences import has_words, word_spans

from .model import Block, Book
from .pages import (
    MAX_BYTES,
    MAX_PAGE_WORDS,
    book_from_pages,
    drop_controls,
    paginate,
    read_book_file,
    shorten_long_words,
)

TEXT_SUFFIXES = (".txt", ".md", ".markdown")
SUPPORTED_SUFFIXES = (*TEXT_SUFFIXES, ".epub")

_PAGE_BREAK_RE = re.compile(r"^\s*-{3,}\s*$")
_RULE_RE = re.compile(r"^\s*([-*_])(?:\s*\1){2,}\s*$")  # "***", "* * *", "- - -"
_HEADING_RE = re.compile(r"^\s{0,3}(#{1,6})(?:\s+(.*?))?(?:\s+#+)?\s*$")
_REF_DEF_RE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*\S")
_QUOTE_RE = re.compile(r"^\s*(?:>\s?)+")
_BULLET_RE = re.compile(r"^\s*[-*+]\s+")
_META_RE = re.compile(r"^\s*([A-Za-z][\w \-]*?)\s*:\s*(.*?)\s*$")
_COMMENT_RE = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
_IMAGE_RE = re.compile(r"!\[[^\]]*\](?:\([^)]*\)|\[[^\]]*\])")
_LINK_RE = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\[[^\]]*\])")
_TAG_RE = re.compile(r"<(?:/?[A-Za-z][^<>]*|(?:https?|mailto|ftp):[^<>]*)>")
# A backslash escape keeps its character; emphasis, strike-through and code marks go.
_INLINE_RE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>~|])|\*+|~~|`+|(?<!\w)_+|_+(?!\w)")
_SPACE_RE = re.compile(r"\s+")


def _clean_inline(line: str) -> str:
    line = _IMAGE_RE.sub("", line)
    line = _LINK_RE.sub(r"\1", line)
    line = _TAG_RE.sub("", line)
    line = _INLINE_RE.sub(lambda m: m.group(1) or "", line)
    return _SPACE_RE.sub(" ", line).strip()


def _front_matter(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    """Split ``key: value`` front matter between ``---`` lines off the top, if present."""
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None or lines[first].strip() != "---":
        return {}, lines
    meta: dict[str, str] = {}
    for i in range(first + 1, len(lines)):
        line = lines[i]
        if line.strip() == "---":
            return meta, lines[i + 1 :]
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = _META_RE.match(line)
        if not m:
            break
        value = m.group(2)
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1].strip()
        meta[m.group(1).strip().lower().replace(" ", "_").replace("-", "_")] = value
    return {}, lines


def _blocks_by_page(lines: list[str]) -> list[list[Block]]:
    """Group body lines into pages (at explicit breaks) of paragraph and heading blocks."""
    pages: list[list[Block]] = [[]]
    para: list[str] = []
    in_quote = False

    def flush() -> None:
        if para:
            pages[-1].append(Block(" ".join(para)))
            para.clear()

    for raw in lines:
        if raw == "\f" or _PAGE_BREAK_RE.match(raw):
            flush()
            pages.append([])
            continue
        if _RULE_RE.match(raw) or _REF_DEF_RE.match(raw):
            flush()
            continue
        heading = _HEADING_RE.match(raw)
        if heading:
            flush()
            text = _clean_inline(heading.group(2) or "")
            if text:
                pages[-1].append(Block(text, len(heading.group(1))))
            continue
        quote = _QUOTE_RE.match(raw)
        if bool(quote) != in_quote:  # a block quote is a paragraph of its own
            flush()
            in_quote = bool(quote)
        if quote:
            raw = raw[quote.end() :]
        bullet = _BULLET_RE.match(raw)
        if bullet:  # so is each list item
            flush()
            raw = raw[bullet.end() :]
        line = _clean_inline(raw)
        if line:
            para.append(line)
        else:
            flush()
    flush()
    return pages


def _word_count(blocks: list[Block]) -> int:
    return sum(len(word_spans(b.text)) for b in blocks)


def parse_book_text(text: str, *, name: str) -> Book:
    """Parse the text of a book file; ``name`` (a file name or path) is used for the
    fallback title and in error messages. Raises :class:`BookError` if it has no words."""
    text = unicodedata.normalize("NFC", text).lstrip("\ufeff")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text, long_words = shorten_long_words(_COMMENT_RE.sub("", drop_controls(text)))
    meta, body = _front_matter(text.split("\n"))
    body = "\n".join(body).replace("\f", "\n\f\n").split("\n")
    pages = _blocks_by_page(body)

    title = meta.get("title", "")
    # A level-1 heading before any story text is the title line, not page text.
    for blocks in pages:
        worded = [b for b in blocks if has_words(b.text)]
        if worded:
            if worded[0].heading == 1:
                title = title or worded[0].text
                blocks.remove(worded[0])
            break

    if sum(1 for blocks in pages if any(has_words(b.text) for b in blocks)) <= 1:
        pages = paginate([b for blocks in pages for b in blocks])
    else:
        pages = [
            part
            for blocks in pages
            for part in (paginate(blocks) if _word_count(blocks) > MAX_PAGE_WORDS else [blocks])
        ]
    return book_from_pages(
        name, pages, title=title, author=meta.get("author", ""), level=meta.get("level", ""),
        meta=meta, long_words=long_words,
    )  # fmt: skip


def load_book(path: Path | str) -> Book:
    """Load a ``.txt``, ``.md`` or ``.epub`` book file; any problem is a one-line
    :class:`BookError`."""
    path = Path(path).expanduser()
    try:
        info = path.stat()
    except FileNotFoundError:
        raise BookError(f"Book file not found: {path}") from None
    except OSError as exc:
        raise BookError(f"Cannot open book {path}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(info.st_mode):
        raise BookError(f"{path} is a directory, not a book file (.txt, .md or .epub)")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        kind = f"'{suffix}' files" if suffix else "files without an extension"
        raise BookError(f"{path}: {kind} are not supported (use a .txt, .md or .epub file)")
    if not stat.S_ISREG(info.st_mode):
        raise BookError(f"{path} is not a regular file")
    if suffix == ".epub":
        from .epub import load_epub

        return load_epub(path)
    data = read_book_file(path, MAX_BYTES)
    if b"\x00" in data:
        raise BookError(f"{path} looks like a binary file, not text (use a .txt or .md file)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BookError(f"{path} is not UTF-8 text (save it as UTF-8 .txt or .md)") from None
    book = parse_book_text(text, name=str(path))
    book.path = path
    return book
