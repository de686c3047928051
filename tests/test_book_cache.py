"""The parsed-book cache: the library lists unchanged books without parsing them again."""

from __future__ import annotations

import os
from pathlib import Path

from sidekick.books import cache
from sidekick.books.library import list_books
from sidekick.books.parse import load_book
from sidekick.errors import BookError
from sidekick.paths import BUNDLED_BOOKS, data_dir, user_books_dir


def test_cached_books_equal_freshly_parsed_ones() -> None:
    files = sorted(BUNDLED_BOOKS.glob("*.md"))
    first = cache.load_books_cached(files)
    assert (data_dir() / cache.CACHE_FILE).is_file()
    again = cache.load_books_cached(files)  # from the cache now
    assert again == first == [load_book(f) for f in files]


def test_a_changed_book_is_read_again(tmp_path: Path, monkeypatch) -> None:
    book = tmp_path / "pip.md"
    book.write_text("# Pip\n\nPip sat.", encoding="utf-8")
    calls: list[Path] = []
    real = cache.load_book

    def counting(path: Path):
        calls.append(path)
        return real(path)

    monkeypatch.setattr(cache, "load_book", counting)
    (one,) = cache.load_books_cached([book])
    (same,) = cache.load_books_cached([book])
    assert same == one and calls == [book]  # the second came from the cache
    book.write_text("# Pip\n\nPip ran home.", encoding="utf-8")
    os.utime(book, ns=(1, 1))  # a different modification time, whatever the clock does
    (changed,) = cache.load_books_cached([book])
    assert [w.text for w in changed.pages[0].words] == ["Pip", "ran", "home"]
    assert len(calls) == 2


def test_damaged_cache_and_bad_files(tmp_path: Path) -> None:
    (data_dir()).mkdir(parents=True, exist_ok=True)
    (data_dir() / cache.CACHE_FILE).write_text("{oops", encoding="utf-8")
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    (result,) = cache.load_books_cached([empty])
    assert isinstance(result, BookError)


def test_bundled_and_own_books_share_the_cache() -> None:
    user_books_dir().mkdir(parents=True, exist_ok=True)
    (user_books_dir() / "mine.txt").write_text("My own book. It is short.", encoding="utf-8")
    books, problems = list_books()
    again, _ = list_books()
    assert [b.title for b in again] == [b.title for b in books] and not problems
    assert [b.bundled for b in again] == [b.bundled for b in books]
    cached = cache._load()
    assert str(user_books_dir() / "mine.txt") in cached
    assert any(k.startswith(str(BUNDLED_BOOKS)) for k in cached)
