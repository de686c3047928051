"""Parsed books kept between starts, so the library lists unchanged books without parsing
them again (parsing imports nltk's sentence splitter, which takes seconds on a slow
machine).

One JSON file (``books-cache.json``) in the data directory. An entry is used only when the
book file's path, modification time and size, and the parser's own source files, are
unchanged; anything else (or a damaged cache) means the book is parsed again. Written
atomically; a read-only or full disk only costs a later parse.
"""

from __future__ import annotations

import contextlib
import json
import threading
from pathlib import Path
from typing import Any

from sidekick.atomic_file import write_atomically

from .model import Book, Page, Sentence, Word
from .parse import load_book

CACHE_FILE = "books-cache.json"
#: The parser's source files, relative to the ``sidekick`` package.
_PARSER_FILES = (
    "books/parse.py", "books/epub.py", "books/pages.py", "books/model.py",
    "words/sentences.py", "words/normalize.py",
)  # fmt: skip
_lock = threading.Lock()


def _cache_path() -> Path:
    from sidekick.paths import data_dir

    return data_dir() / CACHE_FILE


def _stamp(path: Path) -> str | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return f"{info.st_mtime_ns}:{info.st_size}"


def parser_version() -> str:
    """Changes whenever the parser's source changes (so a new parser re-reads every book)."""
    package = Path(__file__).parent.parent
    return "|".join(_stamp(package / name) or "-" for name in _PARSER_FILES)


def _to_json(book: Book) -> dict[str, Any]:
    return {
        "title": book.title, "author": book.author, "level": book.level, "meta": book.meta,
        "pages": [
            [page.number, page.text, [
                [s.text, s.start, s.end, [[w.text, w.norm, w.start, w.end, w.index]
                                          for w in s.words]]
                for s in page.sentences
            ]]
            for page in book.pages
        ],
    }  # fmt: skip


def _from_json(data: dict[str, Any], path: Path) -> Book:
    pages = [
        Page(number, text, tuple(
            Sentence(st, ss, se, tuple(Word(*w) for w in words))
            for st, ss, se, words in sentences
        ))
        for number, text, sentences in data["pages"]
    ]  # fmt: skip
    return Book(data["title"], pages, author=data["author"], level=data["level"], path=path,
                meta=dict(data["meta"]))  # fmt: skip


def _load() -> dict[str, Any]:
    try:
        data = json.loads(_cache_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("parser") != parser_version():
        return {}
    books = data.get("books")
    return books if isinstance(books, dict) else {}


def _save(books: dict[str, Any]) -> None:
    path = _cache_path()
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, lambda f: json.dump({"parser": parser_version(), "books": books}, f))


def load_books_cached(paths: list[Path]) -> list[Book | Exception]:
    """Each book of ``paths`` (from the cache when unchanged), or the exception that
    parsing it raised; the cache is rewritten when anything changed (entries of other
    files are kept while those files exist)."""
    with _lock:
        cache = _load()
        updated = dict(cache)
        out: list[Book | Exception] = []
        for path in paths:
            key, stamp = str(path), _stamp(path)
            entry = cache.get(key)
            if stamp and isinstance(entry, dict) and entry.get("stamp") == stamp:
                try:
                    out.append(_from_json(entry["book"], path))
                    continue
                except (KeyError, TypeError, ValueError):
                    pass  # a damaged entry: parse the book again
            updated.pop(key, None)
            try:
                book = load_book(path)
            except Exception as exc:  # the caller reports it; nothing is cached
                out.append(exc)
                continue
            out.append(book)
            if stamp:
                updated[key] = {"stamp": stamp, "book": _to_json(book)}
        updated = {k: v for k, v in updated.items() if Path(k).exists()}
        if updated != cache:
            _save(updated)
    return out
