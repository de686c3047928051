"""Book parsing, loading and the bookshelf."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sidekick import paths
from sidekick.books import (
    MAX_WORDS_PER_PAGE,
    Book,
    find_book,
    list_books,
    load_book,
    parse_book_text,
)
from sidekick.errors import BookError
from sidekick.words import normalize_word
from sidekick.words.sentences import words
from tests.helpers.books import check_offsets


def page_words(book: Book, page: int = 0) -> list[str]:
    return [w.text for w in book.pages[page].words]


# --- words and sentences -------------------------------------------------------------------


def test_words_and_norms() -> None:
    book = parse_book_text("Don’t run, Sam's dog! It is 3.5 m, tip-toe: 1,000 ants.", name="t")
    assert page_words(book) == [
        "Don’t", "run", "Sam's", "dog", "It", "is", "3.5", "m", "tip", "toe", "1,000", "ants",
    ]  # fmt: skip
    assert [w.norm for w in book.pages[0].words][:4] == ["don't", "run", "sam's", "dog"]
    assert book.pages[0].words[-2].norm == "1000"
    check_offsets(book)


def test_normalize_word_and_words() -> None:
    assert normalize_word("Don’t,") == "don't"
    assert normalize_word("ROCK’N’ROLL") == "rock'n'roll"
    assert words("Sam's BIG 3 tip-toe!") == ["sam's", "big", "3", "tip", "toe"]


def test_sentences_with_abbreviations_and_dialogue() -> None:
    text = '"Where are you?" asked Mia. Mr. Fox ran to Dr. Lee. "Hi!" he said. Wow! It is 3.'
    book = parse_book_text(text, name="t")
    assert [s.text for s in book.pages[0].sentences] == [
        '"Where are you?" asked Mia.',
        "Mr. Fox ran to Dr. Lee.",
        '"Hi!" he said.',
        "Wow!",
        "It is 3.",
    ]
    check_offsets(book)


def test_sentences_stay_inside_paragraphs_and_headings() -> None:
    book = parse_book_text("## Chapter One\nThe cat sat\n\nthe dog ran", name="t")
    assert [s.text for s in book.pages[0].sentences] == [
        "Chapter One",
        "The cat sat",
        "the dog ran",
    ]
    assert book.pages[0].text == "Chapter One\n\nThe cat sat\n\nthe dog ran"


def test_lines_of_a_paragraph_are_joined() -> None:
    book = parse_book_text("The hat is\nred.   It is  big.\n", name="t")
    assert book.pages[0].text == "The hat is red. It is big."


# --- metadata and titles -------------------------------------------------------------------


def test_front_matter() -> None:
    text = '---\ntitle: "The Hat"\nauthor: Ms. Rivera\nLevel: early reader\nSeries: Hats\n---\nHi.'
    book = parse_book_text(text, name="hat.md")
    assert (book.title, book.author, book.level) == ("The Hat", "Ms. Rivera", "early reader")
    assert book.meta["series"] == "Hats"
    assert page_words(book) == ["Hi"]


def test_title_from_heading_is_not_page_text() -> None:
    book = parse_book_text("\n# The Big *Red* Hat\n\nSam has a hat.", name="x.md")
    assert book.title == "The Big Red Hat"
    assert book.pages[0].text == "Sam has a hat."


def test_metadata_title_wins_and_heading_still_removed() -> None:
    book = parse_book_text("---\ntitle: Meta\n---\n# Heading\nSam has a hat.", name="x.md")
    assert book.title == "Meta"
    assert book.pages[0].text == "Sam has a hat."


def test_title_from_file_name() -> None:
    assert parse_book_text("Sam sat.", name="/a/my-first_book.txt").title == "My first book"
    assert parse_book_text("Sam sat.", name="").title == "Untitled"


def test_not_front_matter_when_lines_are_not_key_value() -> None:
    book = parse_book_text("---\nSam sat on a mat. It was red.\n---\nThe end.", name="t.txt")
    assert book.meta == {}
    assert [p.text for p in book.pages] == ["Sam sat on a mat. It was red.", "The end."]


# --- pages ---------------------------------------------------------------------------------


def test_explicit_page_breaks() -> None:
    text = "One page.\n---\nTwo page.\n\n-----\n\n---\nThree page.\fFour page.\n"
    book = parse_book_text(text, name="t.md")
    assert [p.text for p in book.pages] == ["One page.", "Two page.", "Three page.", "Four page."]
    assert [p.number for p in book.pages] == [1, 2, 3, 4]
    check_offsets(book)


def test_automatic_pagination_breaks_between_sentences() -> None:
    sentences = [f"Sam saw {n} red ducks in the big green pond." for n in range(60)]
    text = "\n\n".join(" ".join(sentences[i : i + 5]) for i in range(0, 60, 5))
    book = parse_book_text(text, name="t.txt")
    counts = [len(p.words) for p in book.pages]
    assert len(book.pages) > 5
    assert all(n <= MAX_WORDS_PER_PAGE for n in counts)
    assert all(n >= MAX_WORDS_PER_PAGE - 10 for n in counts[:-1])
    assert sum(counts) == 60 * 10
    for page in book.pages:
        assert page.text.endswith(".")
        assert [s.text for s in page.sentences] == [
            s for s in sentences if s in page.text
        ]  # whole sentences only
    check_offsets(book)


def test_long_sentence_gets_its_own_page() -> None:
    long = "So " + " ".join(["long"] * (MAX_WORDS_PER_PAGE + 19)) + "."
    book = parse_book_text(f"Hi there. {long} Bye now.", name="t")
    assert [len(p.words) for p in book.pages] == [2, MAX_WORDS_PER_PAGE + 20, 2]


def test_heading_moves_with_its_text() -> None:
    first = " ".join(["Sam sat on the mat."] * 15)  # 75 words
    book = parse_book_text(f"{first}\n\n## Chapter Two\n\nThe dog ran far away.", name="t")
    assert book.pages[1].text == "Chapter Two\n\nThe dog ran far away."


def test_empty_pages_are_skipped() -> None:
    book = parse_book_text("---\n---\nOne.\n\n---\n![pic](a.png)\n---\n***\n---\nTwo.", name="t")
    assert [p.text for p in book.pages] == ["One.", "Two."]


# --- markdown ------------------------------------------------------------------------------


def test_markdown_is_stripped() -> None:
    text = (
        "Sam had a **red** hat and _big_ `boots`. See [the pond](http://x.org/pond).\n"
        "![a duck](duck.png) The ~~cat~~ dog <b>ran</b>. <!-- a note -->\n\n"
        "- one\n* two\n> Said the \\*star\\*.\n\n"
        "snake_case stays. [ref]: http://x.org\n"
        "[ref]: http://example.org\n"
    )
    book = parse_book_text(text, name="t.md")
    assert book.pages[0].text == (
        "Sam had a red hat and big boots. See the pond. The cat dog ran.\n\n"
        "one\n\ntwo\n\nSaid the *star*.\n\nsnake_case stays. [ref]: http://x.org"
    )
    check_offsets(book)


def test_plain_text_file_reads_the_same() -> None:
    book = parse_book_text("Sam ran.\n\nMia ran too.", name="story.txt")
    assert book.pages[0].text == "Sam ran.\n\nMia ran too."


# --- errors --------------------------------------------------------------------------------


def test_no_words_is_an_error() -> None:
    with pytest.raises(BookError, match="blank.md has no readable words"):
        parse_book_text("---\ntitle: x\n---\n\n*** ... !!!\n", name="blank.md")


def _one_line(exc: pytest.ExceptionInfo[BookError]) -> str:
    message = str(exc.value)
    assert "\n" not in message
    return message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(BookError) as exc:
        load_book(tmp_path / "nope.md")
    assert _one_line(exc) == f"Book file not found: {tmp_path / 'nope.md'}"


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(BookError) as exc:
        load_book(tmp_path)
    assert "is a directory" in _one_line(exc) and str(tmp_path) in str(exc.value)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"Sam\x00\x01\x02 ran", "looks like a binary file"),
        (b"\xff\xfe\x89PNG bad bytes \xc3\x28", "is not UTF-8 text"),
        (b"", "is empty"),
        (b"  \n\n\t ", "is empty"),
        (b"... *** !!!", "has no readable words"),
    ],
)
def test_bad_contents(tmp_path: Path, data: bytes, expected: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(data)
    with pytest.raises(BookError) as exc:
        load_book(path)
    message = _one_line(exc)
    assert expected in message and "bad.txt" in message


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("story.epub", "not a valid EPUB file (not a zip archive)"),
        ("story.pdf", "'.pdf' files are not supported"),
        ("story", "files without an extension are not supported"),
    ],
)
def test_unsupported_extension(tmp_path: Path, name: str, expected: str) -> None:
    path = tmp_path / name
    path.write_text("Sam ran.")
    with pytest.raises(BookError) as exc:
        load_book(path)
    message = _one_line(exc)
    assert expected in message and name in message


def test_load_book_utf8_bom_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "bom.TXT"
    path.write_bytes("\ufeff---\r\ntitle: Bom\r\n---\r\nCafé ran.\r\n---\r\nThe end.".encode())
    book = load_book(path)
    assert book.title == "Bom" and book.path == path and not book.bundled
    assert [p.text for p in book.pages] == ["Café ran.", "The end."]


# --- library -------------------------------------------------------------------------------


def test_bundled_books_load() -> None:
    books, problems = list_books()
    assert problems == []
    bundled = [b for b in books if b.bundled]
    assert len(bundled) >= 3
    levels = {b.level for b in bundled}
    assert "early reader" in levels
    for book in bundled:
        assert len(book.pages) >= 4
        assert book.title and book.author and book.level
        assert book.path is not None and book.path.parent == paths.BUNDLED_BOOKS
        assert book.path.name.lower() != "readme.md"
        check_offsets(book)
        text = " ".join(p.text for p in book.pages)
        assert "*" not in text and "---" not in text


def test_early_reader_is_short_and_plain() -> None:
    book = next(b for b in list_books()[0] if b.level == "early reader")
    assert 4 <= len(book.pages) <= 6
    assert all(15 <= len(p.words) <= 35 for p in book.pages)


def test_user_books_and_problems(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    user = paths.user_books_dir()
    assert not user.exists()
    assert list_books()[1] == []  # a missing user folder is fine
    user.mkdir(parents=True)
    (user / "mine.md").write_text("# My Book\n\nSam ran home.")
    (user / "broken.txt").write_bytes(b"\x00\x01")
    (user / "later.epub").write_bytes(b"PK")
    (user / ".hidden.md").write_text("Secret.")
    books, problems = list_books()
    mine = [b for b in books if not b.bundled]
    assert [b.title for b in mine] == ["My Book"]
    assert len(problems) == 2
    assert any("broken.txt" in p and "binary" in p for p in problems)
    assert any("later.epub" in p and "EPUB" in p for p in problems)
    assert find_book("my book").title == "My Book"


def test_find_book() -> None:
    bundled = [b for b in list_books()[0] if b.bundled]
    for book in bundled:
        assert book.path is not None
        assert find_book(book.path.stem).title == book.title
        assert find_book(book.title.upper()).path == book.path
        assert find_book(str(book.path)).title == book.title
        assert find_book(book.path.stem.replace("-", " ")).bundled


def test_find_book_unknown_lists_names() -> None:
    with pytest.raises(BookError) as exc:
        find_book("the missing unicorn")
    message = _one_line(exc)
    assert "the missing unicorn" in message
    for book in list_books()[0]:
        assert book.path is not None and book.path.stem in message


def test_find_book_by_path_errors(tmp_path: Path) -> None:
    with pytest.raises(BookError, match="not found"):
        find_book(str(tmp_path / "gone.md"))


# --- fuzz ----------------------------------------------------------------------------------

_pieces = st.sampled_from(
    [
        "---", "\n", "\n\n", "\f", "# ", "## ", "*", "**", "_", "`", "> ", "- ", "[", "]", "(",
        ")", "!", "?", ".", "...", ",", "'", "’", "\"", "“", "-", "Mr.", "Dr.", "3", "3.5",
        "1,000", "tip-toe", "don't", "Sam", "the", "cat", " ", "\t", "\r\n", "<b>", "<!--",
        "-->", "\\", "title: x", ":", "é", "e\u0301", "\u00ad", "\u200b", "\x00", "İ", "ß",
        "\u2028", "\x85", "ǅ", "²", "٣", "\ud800",
    ]
)  # fmt: skip
_texts = st.one_of(
    st.text(),
    st.lists(st.one_of(_pieces, st.text(max_size=5)), max_size=40).map("".join),
)


@settings(max_examples=1000, deadline=None)
@given(_texts)
@example("Sam ʼ hat")  # a modifier-letter apostrophe alone is not a word
def test_fuzz_parse_book_text(text: str) -> None:
    try:
        book = parse_book_text(text, name="fuzz.md")
    except BookError as exc:
        assert "\n" not in str(exc)
        return
    assert book.title
    check_offsets(book)
