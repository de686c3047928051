"""Book test helpers: a check that every word and sentence points at its own text, and EPUBs
built in memory."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from sidekick.books import Book


def check_offsets(book: Book) -> None:
    """Every word and sentence points at its own characters in the page text."""
    for number, page in enumerate(book.pages, start=1):
        assert page.number == number
        assert page.sentences
        for i, word in enumerate(page.words):
            assert page.text[word.start : word.end] == word.text
            assert word.index == i
            assert word.norm
            assert all(c.isalnum() or c == "'" for c in word.norm)
        for sentence in page.sentences:
            assert page.text[sentence.start : sentence.end] == sentence.text
            assert sentence.words
            for word in sentence.words:
                assert sentence.start <= word.start < word.end <= sentence.end


CONTAINER = """<?xml version="1.0" encoding="UTF-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles>
    <rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>
  </rootfiles>
</container>"""


def xhtml(body: str, title: str = "Chapter") -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n'
        '<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops">'
        f"<head><title>{title}</title><style>p {{ color: red; }}</style></head>"
        f"<body>{body}</body></html>"
    )


def opf(
    chapters: list[str],
    *,
    title: str | None = "The Lost Mitten",
    author: str | None = "Ada Writer",
    extra_items: str = "",
    extra_spine: str = "",
    extra_meta: str = "",
) -> str:
    items = "".join(
        f'<item id="c{i}" href="text/ch{i}.xhtml" media-type="application/xhtml+xml"/>'
        for i in range(1, len(chapters) + 1)
    )
    spine = "".join(f'<itemref idref="c{i}"/>' for i in range(1, len(chapters) + 1))
    meta = (f"<dc:title>{title}</dc:title>" if title is not None else "") + (
        f"<dc:creator>{author}</dc:creator>" if author is not None else ""
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id">'
        '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f'<dc:identifier id="id">urn:test</dc:identifier><dc:language>en</dc:language>{meta}'
        f"{extra_meta}</metadata>"
        f'<manifest><item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" '
        f'properties="nav"/><item id="pic" href="img/cover.png" media-type="image/png"/>'
        f"{items}{extra_items}</manifest>"
        f'<spine><itemref idref="nav"/>{extra_spine}{spine}</spine></package>'
    )


NAV = xhtml('<nav epub:type="toc"><ol><li><a href="text/ch1.xhtml">Contents</a></li></ol></nav>')


def raw_bytes(data: str | bytes) -> bytes:
    """Text as UTF-8 (lone surrogates kept, to test bad encodings); bytes as they are."""
    return data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")


def epub_bytes(
    chapters: list[str | bytes],
    *,
    files: dict[str, str | bytes] | None = None,
    package: str | None = None,
    container: str | None = CONTAINER,
    mimetype: bool = True,
    **opf_kw,
) -> bytes:
    """An EPUB in memory: chapters are XHTML bodies (bytes: whole documents, as they are)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        if mimetype:
            zf.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        if container is not None:
            zf.writestr("META-INF/container.xml", raw_bytes(container))
        package = package if package is not None else opf([""] * len(chapters), **opf_kw)
        zf.writestr("OEBPS/content.opf", raw_bytes(package))
        zf.writestr("OEBPS/nav.xhtml", NAV)
        zf.writestr("OEBPS/img/cover.png", b"\x89PNG\r\n\x1a\n not really")
        for i, body in enumerate(chapters, 1):
            doc = body if isinstance(body, bytes) else xhtml(body, f"Chapter {i}")
            zf.writestr(f"OEBPS/text/ch{i}.xhtml", raw_bytes(doc))
        for name, data in (files or {}).items():
            zf.writestr(name, raw_bytes(data))
    return buf.getvalue()


def write_epub(path: Path, chapters: list[str], **kw) -> Path:
    path.write_bytes(epub_bytes(chapters, **kw))
    return path
