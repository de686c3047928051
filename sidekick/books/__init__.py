"""Books: hand-written .txt/.md files parsed into pages -> sentences -> words."""

from .library import find_book, list_books
from .model import Book, Page, Sentence, Word
from .pages import MAX_WORDS_PER_PAGE
from .parse import SUPPORTED_SUFFIXES, load_book, parse_book_text

__all__ = [
    "MAX_WORDS_PER_PAGE",
    "SUPPORTED_SUFFIXES",
    "Book",
    "Page",
    "Sentence",
    "Word",
    "find_book",
    "list_books",
    "load_book",
    "parse_book_text",
]
