"""Fuzzed books, EPUBs, audio headers and command-line values: each either works or gives one
plain message, within bounded time and memory (not only "no exception").

Memory is the peak of Python-tracked allocations (numpy's included) while the input is
handled. Time is wall time under that tracing (several times slower than without it), held
to :data:`SECONDS`: far above the real figures (tests/benchmarks/bench_bounds.py), it catches
work that grows with the square of an input, not a slow or busy machine.
"""

from __future__ import annotations

import io
import math
import struct
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sidekick.audio.base import MAX_RECORDING_S, SAMPLE_RATE
from sidekick.audio.sources import WavFileSource
from sidekick.books import parse_book_text
from sidekick.books.epub import parse_epub
from sidekick.books.pages import MAX_PAGE_WORDS, MAX_WORDS_PER_PAGE
from sidekick.cli import RANGES, build_parser, check_numbers, main
from sidekick.errors import AudioDeviceError, BookError, SidekickError
from sidekick.paths import check_output_file
from sidekick.words import MAX_WORD_CHARS
from sidekick.words.pronounce import likely_miscues
from sidekick.words.sentences import MAX_SENTENCE_WORDS
from tests.helpers.books import epub_bytes, opf

SECONDS = 30.0
FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def measured(fn, *args, **kw):
    """(result or exception, seconds, peak MB) of ``fn(*args, **kw)``."""
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        result = fn(*args, **kw)
    except Exception as exc:  # the caller checks which kinds are allowed
        result = exc
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return result, seconds, peak


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    """nltk and the pronouncing dictionary load once, outside the measurements."""
    likely_miscues(["cat"])
    parse_book_text("Hi.", name="t.txt")


# --- books ----------------------------------------------------------------------------------

_runs = st.builds(
    lambda c, n: c * n, st.sampled_from(["a", "z", "ab'", "1,", "é", "-", "!", " "]),
    st.integers(1, 20_000),
)  # fmt: skip
_bits = st.sampled_from(
    ["Sam ran. ", "the big dog ", "\n\n", "\n---\n", "\f", "# Title\n", "**bold** ", "Mr. ",
     "\x00", "\u200b", "<!-- ", "[a](b) ", "? ", "“Hi,” said Mo. ", "3.5 ", "don’t "]
)  # fmt: skip
_texts = st.lists(st.one_of(_runs, _bits, st.text(max_size=20)), min_size=1, max_size=8).map(
    "".join
)


def _check_book(text: str) -> None:
    def handle():
        book = parse_book_text(text, name="fuzz.txt")
        for page in book.pages[:3]:
            likely_miscues([w.norm for w in page.words])
        return book

    book, seconds, peak = measured(handle)
    assert seconds < SECONDS and peak < 40 + 250 * len(text) / 1e6, (seconds, peak, len(text))
    if isinstance(book, Exception):
        assert isinstance(book, BookError) and "has no readable words" in str(book)
        return
    limit = max(MAX_WORDS_PER_PAGE, MAX_SENTENCE_WORDS, MAX_PAGE_WORDS)
    for page in book.pages:
        assert len(page.words) <= limit
        assert all(len(w.text) <= MAX_WORD_CHARS for w in page.words)
        assert all(len(s.words) <= MAX_SENTENCE_WORDS for s in page.sentences)


@FUZZ
@given(_texts)
def test_fuzzed_books_are_bounded(text: str) -> None:
    _check_book(text)


@pytest.mark.slow
@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.integers(100_000, 300_000), st.sampled_from(["cat ", "Sam ran. ", "a-b ", "x"]))
def test_fuzzed_large_books_are_bounded(size: int, unit: str) -> None:
    _check_book((unit * (size // len(unit) + 1))[:size])


# --- EPUBs ----------------------------------------------------------------------------------

_chapter = st.one_of(
    st.sampled_from(["<p>Sam ran home.</p>", "<h1>T</h1><p>Hi, Mo. Go!</p>", "<p></p>"]),
    st.builds(lambda n: "<p>" + "a" * n + "</p>", st.integers(1, 200_000)),  # one long "word"
    # markup: small, or over the limit of a chapter (4 MB); large chapters under the limits:
    # test_large_epub_chapters_under_the_limits_are_bounded
    st.builds(lambda n: "<b></b>" * n, st.sampled_from([1, 100, 600_000, 1_400_000])),
)  # fmt: skip


@settings(FUZZ, max_examples=15)
@given(st.lists(_chapter, min_size=1, max_size=5), st.integers(1, 5_000), st.text(max_size=30))
def test_fuzzed_epubs_are_bounded(chapters: list[str], repeats: int, title: str) -> None:
    spine = "".join(f'<itemref idref="c{i}"/>' for i in range(1, len(chapters) + 1))
    package = opf(chapters, title="T").replace(spine, spine * repeats)
    safe_title = "".join(c for c in title if c.isprintable() and c not in "<&")
    package = package.replace("<dc:title>T<", f"<dc:title>{safe_title}<")
    data = epub_bytes(chapters, package=package)
    book, seconds, peak = measured(parse_epub, data, name="fuzz.epub")
    assert seconds < SECONDS and peak < 60, (seconds, peak)
    if isinstance(book, Exception):
        assert isinstance(book, BookError), repr(book)
        assert "\n" not in str(book)
        return
    assert book.title.isprintable()
    assert all(len(w.text) <= MAX_WORD_CHARS for p in book.pages for w in p.words)


@pytest.mark.slow
@pytest.mark.parametrize("chapters", [[570_000], [400_000, 400_000], [400_000] * 3])
def test_large_epub_chapters_under_the_limits_are_bounded(chapters: list[int]) -> None:
    """Chapters of markup just under 4 MB each, and 5.6 MB or 8.4 MB in all: read, or
    refused as too much text for one book; time measured without tracing."""
    data = epub_bytes(["<b></b>" * n for n in chapters])
    t0 = time.perf_counter()
    try:
        parse_epub(data, name="big.epub")
    except BookError as exc:
        assert "too large" in str(exc) or "no readable words" in str(exc)
    assert time.perf_counter() - t0 < SECONDS
    _book, _seconds, peak = measured(parse_epub, data, name="big.epub")
    assert peak < 150


def test_an_epub_whose_zip_lies_about_sizes_is_still_bounded() -> None:
    """A chapter whose zip entry claims 10 bytes but inflates to 30 MB is cut off."""
    data = bytearray(epub_bytes(["<p>" + "a " * 15_000_000 + "</p>"]))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = zf.getinfo("OEBPS/text/ch1.xhtml")
    # Rewrite the declared size (central directory and local header) to 10 bytes.
    central = data.rfind(b"PK\x01\x02", 0, data.rfind(b"OEBPS/text/ch1.xhtml") + 1)
    struct.pack_into("<I", data, central + 24, 10)
    struct.pack_into("<I", data, info.header_offset + 22, 10)
    book, seconds, peak = measured(parse_epub, bytes(data), name="liar.epub")
    assert isinstance(book, BookError) and seconds < SECONDS and peak < 60, (book, seconds, peak)


# --- audio headers --------------------------------------------------------------------------


def _wav_header(rate: int, channels: int, bits: int, data_claim: int, body: bytes) -> bytes:
    block = max(1, channels * bits // 8) & 0xFFFF
    fmt = struct.pack("<HHIIHH", 1, channels, rate, (rate * block) & 0xFFFFFFFF, block, bits)
    riff = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data"
    riff += struct.pack("<I", data_claim) + body
    return b"RIFF" + struct.pack("<I", len(riff) & 0xFFFFFFFF) + riff


@FUZZ
@given(
    st.one_of(st.integers(0, 2**32 - 1), st.sampled_from([1, 7_999, 8_000, 16_000, 384_001])),
    st.one_of(st.integers(0, 0xFFFF), st.integers(1, 3)),
    st.sampled_from([0, 8, 16, 24, 32, 7]),
    st.integers(0, 2**32 - 1),
    st.binary(max_size=8_000),
)
def test_fuzzed_audio_headers_are_bounded(
    tmp_path_factory, rate: int, channels: int, bits: int, claim: int, body: bytes
) -> None:
    path = tmp_path_factory.mktemp("wav") / "x.wav"
    path.write_bytes(_wav_header(rate, channels, bits, claim, body))

    def handle():
        source = WavFileSource(path, realtime=False)
        return sum(len(c) for c in source.chunks())

    got, seconds, peak = measured(handle)
    assert seconds < SECONDS and peak < 50, (seconds, peak)
    if isinstance(got, Exception):
        assert isinstance(got, AudioDeviceError), repr(got)
        assert "\n" not in str(got)
    else:
        assert got <= MAX_RECORDING_S * SAMPLE_RATE * 2 + 3200


# --- command-line values --------------------------------------------------------------------

_numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(["nan", "inf", "-inf", "-0"])
).map(str)


@FUZZ
@given(st.sampled_from(sorted(RANGES)), _numbers)
def test_fuzzed_numbers_are_accepted_only_in_range(name: str, text: str) -> None:
    flag, low, high = RANGES[name]
    value = float(text)
    whole = name in ("start_page", "page", "trials")
    if whole and not (math.isfinite(value) and value == int(value)):
        return  # argparse's int() refuses these itself
    number = str(int(value)) if whole else text
    argv = {
        "rate": ["say", "hi", "-o", "x.wav"],
        "stall": ["assess", "--text", "hi", "--audio", "x.wav"],
        "page": ["assess", "--text", "hi", "--audio", "x.wav"],
        "start_page": ["read", "b", "--child-audio", "x", "--speaker-out", "y"],
        "trials": ["listen-test"],
    }[name] + [f"{flag}={number}"]  # "=": a value such as "-inf" is no option
    args = build_parser().parse_args(argv)
    result, seconds, _peak = measured(check_numbers, args)
    ok = math.isfinite(value) and low <= value <= high
    assert seconds < 1
    if ok:
        assert result is None
    else:
        assert isinstance(result, SidekickError) and str(result).startswith(f"{flag} must be")


@FUZZ
@given(st.text(min_size=1, max_size=40).filter(lambda s: "\x00" not in s))
def test_fuzzed_output_names(tmp_path_factory, name: str) -> None:
    folder = tmp_path_factory.mktemp("out")
    target = folder / name
    try:
        path = check_output_file(target, (".wav",))
    except SidekickError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("Cannot write")
        return
    except OSError:  # a name the file system itself cannot hold (too long, say)
        return
    assert path.suffix.lower() == ".wav" and path.parent.is_dir()
    assert not path.exists() or path.is_file()


@FUZZ
@given(_numbers)
def test_fuzzed_rates_for_say_fail_fast_without_writing(tmp_path_factory, text: str) -> None:
    value = float(text)
    if math.isfinite(value) and 0.5 <= value <= 1.5:
        return  # a good rate: that is the voice's job (tests/test_cli.py)
    out = tmp_path_factory.mktemp("say") / "x.wav"
    code, seconds, _peak = measured(main, ["say", "Hello.", "-o", str(out), f"--rate={text}"])
    assert code == 2 and seconds < 5 and not Path(out).exists()
