"""The bookshelf: bundled books from the repository's ``books/`` plus the user's own books."""

from __future__ import annotations

import re
from pathlib import Path

from sidekick import paths
from sidekick.errors import BookError

from .model import Book
from .parse import SUPPORTED_SUFFIXES, load_book


def _book_files(folder: Path, *, only_supported: bool) -> list[Path]:
    """Visible files in ``folder`` (not recursive), README files skipped, sorted by name."""
    if not folder.is_dir():
        return []
    files = []
    for path in sorted(folder.iterdir(), key=lambda p: p.name.lower()):
        if path.name.startswith(".") or path.stem.lower() == "readme" or path.is_dir():
            continue
        if only_supported and path.suffix.lower() not in SUPPORTED_SUFFIXES:
            continue
        files.append(path)
    return files


def _load_all(files: list[Path], *, bundled: bool) -> tuple[list[Book], list[str]]:
    from .cache import load_books_cached

    books: list[Book] = []
    problems: list[str] = []
    for path, book in zip(files, load_books_cached(files), strict=True):
        if isinstance(book, BookError):
            problems.append(str(book))
        elif isinstance(book, Exception):  # a bad file must never break the bookshelf
            problems.append(f"{path}: could not be read ({type(book).__name__}: {book})")
        else:
            book.bundled = bundled
            books.append(book)
    return books, problems


def list_books() -> tuple[list[Book], list[str]]:
    """Bundled books (``bundled=True``) then the user's books, plus one line per bad file.

    The user's folder (:func:`sidekick.paths.user_books_dir`) may be missing; every visible
    file in it is tried, so a teacher who drops a ``.pdf`` there learns why it is not listed.
    """
    bundled, problems = _load_all(
        _book_files(paths.BUNDLED_BOOKS, only_supported=True), bundled=True
    )
    user, user_problems = _load_all(
        _book_files(paths.user_books_dir(), only_supported=False), bundled=False
    )
    return bundled + user, problems + user_problems


def _key(text: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", text.casefold()))


def find_book(name_or_path: str) -> Book:
    """A book by path, or by the file stem or title of a bundled (or user) book.

    Names match case-insensitively, ignoring punctuation: ``"pip and the puddle"`` finds
    ``pip-and-the-puddle.md``. Raises :class:`BookError` naming the bundled books otherwise.
    """
    path = Path(name_or_path).expanduser()
    looks_like_path = (
        "/" in name_or_path
        or "\\" in name_or_path
        or path.suffix.lower() in (*SUPPORTED_SUFFIXES, ".epub")
    )
    if looks_like_path:
        return load_book(path)
    wanted = _key(name_or_path)
    books, _problems = list_books()
    for book in books:
        stem = book.path.stem if book.path else ""
        if wanted and wanted in (_key(stem), _key(book.title)):
            return book
    if path.exists():
        return load_book(path)
    names = [b.path.stem for b in books if b.bundled and b.path]
    available = ", ".join(names) if names else "none"
    raise BookError(
        f"No book named '{name_or_path}'. Bundled books: {available} "
        "(or give the path of a .txt, .md or .epub file)"
    )
