"""Read EPUB books (``.epub``) into the :mod:`sidekick.books.model`.

An EPUB is a zip archive: ``META-INF/container.xml`` names the package document (OPF), whose
metadata gives the title and author and whose *spine* lists the chapters (XHTML documents)
in reading order. Here:

* each chapter in the spine starts a new page; a long chapter is split into pages of at most
  :data:`~sidekick.books.pages.MAX_WORDS_PER_PAGE` words between sentences, exactly as the
  text format paginates (the same code does it);
* markup is stripped (Python's ``html.parser``); images, scripts, styles, SVG, MathML,
  navigation blocks and ruby annotations are ignored; headings stay as page text;
* auxiliary spine items (``linear="no"``) and the navigation document are skipped, and so are
  chapters without words (a cover image, say);
* a heading that repeats the book's title at the very start is the title, not page text.

Only the standard library reads the file: ``zipfile`` and ``xml.etree`` (through
``defusedxml`` when it is installed, which refuses entity tricks; without it any entity
declaration is refused by hand). Sizes are capped against zip bombs. Every problem is a
one-line :class:`~sidekick.errors.BookError` naming the file and, where it applies, the
chapter.

Bounds, checked before anything is decompressed: the sizes the zip declares for the
chapters (:data:`MAX_CHAPTER_BYTES` each, :data:`MAX_TEXT_BYTES` together); a chapter the
spine lists again is read once. While reading, no entry yields more than its limit whatever
its header claims, and the text of all chapters together is at most
:data:`~sidekick.books.pages.MAX_BYTES` characters, as for a text book.
"""

from __future__ import annotations

import codecs
import io
import posixpath
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote
from xml.etree import ElementTree

from sidekick.errors import BookError
from sidekick.words.sentences import has_words

from .model import Block, Book
from .pages import (
    MAX_BYTES,
    book_from_pages,
    drop_controls,
    paginate,
    read_book_file,
    shorten_long_words,
)

MAX_EPUB_BYTES = 100_000_000  # the .epub file (pictures included)
MAX_ENTRY_BYTES = 10_000_000  # the container or package document, uncompressed
MAX_CHAPTER_BYTES = 4_000_000  # one chapter (XHTML markup and text), uncompressed
MAX_TEXT_BYTES = 8_000_000  # all chapters together, uncompressed
MAX_CHAPTERS = 5_000
CONTAINER = "META-INF/container.xml"
XHTML_TYPES = frozenset({"application/xhtml+xml", "text/html", "application/xml", "text/xml"})
XHTML_SUFFIXES = (".xhtml", ".html", ".htm", ".xml")

try:  # refuses entity expansion and external entities; nltk already depends on it
    from defusedxml import DefusedXmlException as _DefusedError
    from defusedxml.ElementTree import fromstring as _fromstring
except ImportError:  # pragma: no cover - exercised only without defusedxml
    _DefusedError = ValueError

    def _fromstring(data: bytes) -> ElementTree.Element:
        if re.search(rb"<!\s*ENTITY", data):
            raise ValueError("entity declarations are not allowed")
        return ElementTree.fromstring(data)


_SPACE_RE = re.compile(r"\s+")
_XML_ENCODING_RE = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
#: Elements whose content is never page text.
_SKIPPED = frozenset(
    {"head", "script", "style", "svg", "math", "nav", "template", "noscript", "object",
     "audio", "video", "iframe", "canvas", "rt", "rp", "title"}
)  # fmt: skip
#: Elements that end the paragraph before them and start a new one.
_BLOCKS = frozenset(
    {"p", "div", "section", "article", "aside", "main", "header", "footer", "blockquote",
     "li", "ul", "ol", "dl", "dt", "dd", "table", "tr", "td", "th", "caption", "pre", "hr",
     "figure", "figcaption", "body", "html", "address", "center", *_HEADINGS}
)  # fmt: skip
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
     "source", "track", "wbr", "image"}
)  # fmt: skip


@dataclass(frozen=True)
class Chapter:
    """One spine document: its number in reading order (from 1) and its path in the zip."""

    number: int
    href: str

    def describe(self) -> str:
        return f"chapter {self.number} ({self.href})"


# --------------------------------------------------------------------------- XHTML text


class _TextExtractor(HTMLParser):
    """Collects paragraph and heading blocks of an (X)HTML document, markup stripped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self._parts: list[str] = []
        self._heading = 0
        self._skip: list[str] = []  # open skipped elements, innermost last

    def _flush(self) -> None:
        text = _SPACE_RE.sub(" ", "".join(self._parts)).strip()
        self._parts.clear()
        if text:
            self.blocks.append(Block(text, self._heading))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        tag = tag.lower().rpartition(":")[2]  # "svg:svg" -> "svg"
        if self._skip:
            if tag == self._skip[-1] and tag not in _VOID:
                self._skip.append(tag)  # the same element nested: count it
            return
        if tag in _SKIPPED:
            self._skip.append(tag)
        elif tag == "br":
            self._parts.append(" ")
        elif tag in _BLOCKS:
            self._flush()
            self._heading = _HEADINGS.get(tag, 0)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        tag = tag.lower().rpartition(":")[2]
        if not self._skip and tag == "br":
            self._parts.append(" ")
        elif not self._skip and tag in _BLOCKS:
            self._flush()  # "<p/>", "<hr/>": an empty element still separates paragraphs

    def handle_endtag(self, tag: str) -> None:
        tag = tag.lower().rpartition(":")[2]
        if self._skip:
            if tag == self._skip[-1]:
                self._skip.pop()
            return
        if tag in _BLOCKS:
            self._flush()
            self._heading = 0

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._parts.append(data)

    def close(self) -> None:
        if self.rawdata.startswith("<"):
            self.rawdata = ""  # an unfinished tag or comment at the very end is not text
        super().close()
        self._flush()


def _decode(data: bytes) -> str:
    """Text of an XHTML document: BOM, then the XML declaration's encoding, else UTF-8.
    Raises ValueError naming the encoding when the bytes do not decode."""
    encoding = "utf-8"
    for bom, name in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                      (codecs.BOM_UTF16_BE, "utf-16-be")):  # fmt: skip
        if data.startswith(bom):
            data, encoding = data[len(bom) :], name
            break
    else:
        if match := _XML_ENCODING_RE.match(data[:200]):
            encoding = match.group(1).decode("ascii")
            try:
                codecs.lookup(encoding)
            except LookupError:
                raise ValueError(f"unknown text encoding {encoding!r}") from None
            if encoding.lower().replace("_", "-") in ("utf-16", "utf-32"):
                encoding = "utf-8"  # declared, but without a BOM the bytes are ASCII-like
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise ValueError(f"not {encoding.upper()} text") from None


def chapter_blocks(data: bytes) -> list[Block]:
    """Paragraph and heading blocks of one XHTML chapter (ValueError if undecodable); runs
    of letters too long to be words are shortened (:func:`shorten_long_words`)."""
    text = drop_controls(unicodedata.normalize("NFC", _decode(data)))
    parser = _TextExtractor()
    parser.feed(text)
    parser.close()
    for block in parser.blocks:
        block.text, block.long_words = shorten_long_words(block.text)
    return parser.blocks


def xhtml_text(data: bytes) -> str:
    """The readable text of an XHTML document, one paragraph per line (handy for tests)."""
    return "\n".join(b.text for b in chapter_blocks(data))


# --------------------------------------------------------------------------- the package


def _local(tag: Any) -> str:
    """``{namespace}name`` -> ``name`` (comments and processing instructions -> "")."""
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _text(element: ElementTree.Element) -> str:
    return _SPACE_RE.sub(" ", drop_controls("".join(element.itertext()))).strip()


class _Epub:
    """An open EPUB archive; ``name`` is used in every error message."""

    def __init__(self, zf: zipfile.ZipFile, name: str) -> None:
        self.zf = zf
        self.name = name
        self.text_bytes = 0
        self._names = {info.filename: info for info in zf.infolist()}

    def read(self, member: str, label: str, limit: int = MAX_ENTRY_BYTES) -> bytes:
        """The bytes of ``member``, at most ``limit`` of them whatever the zip claims;
        ``label`` names it in errors ("container file ...")."""
        info = self._names.get(member)
        if info is None:
            raise BookError(f"{self.name}: {label} is missing from the file")
        if info.file_size > limit:
            raise BookError(self.too_large(label, info.file_size, limit))
        try:
            with self.zf.open(info) as f:
                data = f.read(limit + 1)
        except Exception as exc:  # zipfile raises many kinds for damaged or odd archives
            raise BookError(f"{self.name}: cannot read {label} ({_reason(exc)})") from None
        if len(data) > limit:
            raise BookError(self.too_large(label, None, limit))
        return data

    def too_large(self, what: str, size: int | None, limit: int) -> str:
        told = f" ({size / 1e6:.1f} MB)" if size is not None else ""
        return f"{self.name}: {what} is too large{told}; the limit is {limit / 1e6:g} MB."

    def check_sizes(self, chapters: list[Chapter]) -> None:
        """Refuse chapters too large, one by one or together, by the sizes the zip declares
        (nothing is decompressed)."""
        total = 0
        for chapter in chapters:
            info = self._names.get(chapter.href)
            if info is None:
                continue  # named when it is read
            if info.file_size > MAX_CHAPTER_BYTES:
                raise BookError(
                    self.too_large(chapter.describe(), info.file_size, MAX_CHAPTER_BYTES)
                )
            total += info.file_size
        if total > MAX_TEXT_BYTES:
            raise BookError(self.too_large("the text of the book", total, MAX_TEXT_BYTES))

    def xml(self, member: str, what: str) -> ElementTree.Element:
        label = f"{what} {member}"
        data = self.read(member, label)
        try:
            return _fromstring(data)
        except (ElementTree.ParseError, _DefusedError, ValueError) as exc:
            raise BookError(
                f"{self.name}: not a valid EPUB file ({label} is not valid XML: {_reason(exc)})"
            ) from None

    def package_path(self) -> str:
        root = self.xml(CONTAINER, "container file")
        for element in root.iter():
            if _local(element.tag) == "rootfile":
                path = (element.get("full-path") or "").strip()
                media = (element.get("media-type") or "").strip()
                if path and media in ("", "application/oebps-package+xml"):
                    return path
        raise BookError(f"{self.name}: not a valid EPUB file (the container names no package)")


def _reason(exc: BaseException) -> str:
    text = _SPACE_RE.sub(" ", str(exc)).strip()
    return (text or type(exc).__name__)[:160]


def _resolve(base: str, href: str) -> str:
    """A manifest ``href`` relative to the package document -> a path inside the zip."""
    href = unquote(href.split("#", 1)[0].strip())
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), href)).lstrip("/")


def _metadata(package: ElementTree.Element) -> tuple[str, str, str, dict[str, str]]:
    """(title, author, level, meta) from the package metadata (Dublin Core and ``meta``)."""
    titles: list[str] = []
    creators: list[str] = []
    level = ""
    meta: dict[str, str] = {}
    for element in package.iter():
        tag = _local(element.tag)
        if tag == "title" and (text := _text(element)):
            titles.append(text)
        elif tag == "creator" and (text := _text(element)):
            creators.append(text)
        elif tag in ("language", "publisher", "date", "identifier") and (text := _text(element)):
            meta.setdefault(tag, text)
        elif tag == "meta":
            key = (element.get("name") or element.get("property") or "").strip().lower()
            value = _SPACE_RE.sub(" ", drop_controls(element.get("content") or _text(element)))
            value = value.strip()
            if key in ("level", "reading-level", "schema:educationallevel") and value:
                level = level or value
    author = ", ".join(dict.fromkeys(creators))
    if titles:
        meta["title"] = titles[0]
    if author:
        meta["author"] = author
    if level:
        meta["level"] = level
    return (titles[0] if titles else ""), author, level, meta


def _chapters(package: ElementTree.Element, opf: str, name: str) -> list[Chapter]:
    """The spine's readable documents, in reading order."""
    manifest: dict[str, tuple[str, str, str]] = {}
    spine: ElementTree.Element | None = None
    for element in package.iter():
        tag = _local(element.tag)
        if tag == "item" and element.get("id") and element.get("href"):
            manifest[element.get("id", "")] = (
                element.get("href", ""),
                (element.get("media-type") or "").strip().lower(),
                (element.get("properties") or "").lower(),
            )
        elif tag == "spine" and spine is None:
            spine = element
    if spine is None:
        raise BookError(f"{name}: not a valid EPUB file (the package has no spine)")
    chapters: list[Chapter] = []
    seen: set[str] = set()  # a document listed again is read once
    for position, ref in enumerate((e for e in spine if _local(e.tag) == "itemref"), 1):
        idref = (ref.get("idref") or "").strip()
        if idref not in manifest:
            raise BookError(
                f"{name}: chapter {position} (spine item {idref[:60]!r}) is not in the manifest"
            )
        href, media, properties = manifest[idref]
        if (ref.get("linear") or "").strip().lower() == "no" or "nav" in properties.split():
            continue
        if media not in XHTML_TYPES and not href.lower().endswith(XHTML_SUFFIXES):
            continue  # a picture or other non-text spine item
        path = _resolve(opf, href)
        if path in seen:
            continue
        seen.add(path)
        chapters.append(Chapter(position, path))
        if len(chapters) > MAX_CHAPTERS:
            raise BookError(f"{name}: too many chapters (more than {MAX_CHAPTERS})")
    return chapters


def _drop_title_heading(blocks: list[Block], title: str) -> None:
    """The book's title as the first heading of the book is not page text."""
    for block in blocks:
        if has_words(block.text):
            if block.heading and title and block.text.casefold() == title.casefold():
                blocks.remove(block)
            return


def parse_epub(data: bytes, *, name: str) -> Book:
    """Parse the bytes of an ``.epub`` file; ``name`` (a file name or path) is used for the
    fallback title and in error messages. Raises a one-line :class:`BookError`."""
    if not data.startswith(b"PK"):
        raise BookError(f"{name}: not a valid EPUB file (not a zip archive)")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except Exception as exc:  # BadZipFile, but damaged archives raise other kinds too
        raise BookError(f"{name}: not a valid EPUB file (damaged zip: {_reason(exc)})") from None
    with zf:
        epub = _Epub(zf, name)
        opf = epub.package_path()
        package = epub.xml(opf, "package file")
        if _local(package.tag) != "package":
            raise BookError(f"{name}: not a valid EPUB file ({opf} is not a package document)")
        title, author, level, meta = _metadata(package)
        chapters = _chapters(package, opf, name)
        if not chapters:
            raise BookError(f"{name}: the EPUB has no chapters to read")
        epub.check_sizes(chapters)
        pages: list[list[Block]] = []
        first = True
        text_chars = long_words = 0
        for chapter in chapters:
            raw = epub.read(chapter.href, chapter.describe(), MAX_CHAPTER_BYTES)
            epub.text_bytes += len(raw)
            if epub.text_bytes > MAX_TEXT_BYTES:
                raise BookError(epub.too_large("the text of the book", None, MAX_TEXT_BYTES))
            try:
                blocks = chapter_blocks(raw)
            except Exception as exc:  # a chapter that cannot be read is named, never a crash
                raise BookError(
                    f"{name}: {chapter.describe()} cannot be read ({_reason(exc)})"
                ) from None
            text_chars += sum(len(b.text) for b in blocks)
            if text_chars > MAX_BYTES:
                raise BookError(epub.too_large("the text of the book", None, MAX_BYTES))
            long_words += sum(b.long_words for b in blocks)
            if not any(has_words(b.text) for b in blocks):
                continue
            if first:
                _drop_title_heading(blocks, title)
                first = False
            pages += paginate(blocks)
    return book_from_pages(
        name, pages, title=title, author=author, level=level, meta=meta, long_words=long_words
    )


def load_epub(path: Path | str) -> Book:
    """Load an ``.epub`` file (checks of existence and type are :func:`load_book`'s)."""
    path = Path(path)
    book = parse_epub(read_book_file(path, MAX_EPUB_BYTES), name=str(path))
    book.path = path
    return book
