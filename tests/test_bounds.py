"""Bad inputs get one plain message (or work), fast and in bounded memory: long "words",
text without sentence ends, huge files and EPUB bombs, odd audio headers, degenerate
recordings, out-of-range numbers and odd output paths, and formulas hidden in CSV cells.
Timings and memory of the full commands: tests/benchmarks/bench_bounds.py."""

from __future__ import annotations

import csv
import io
import json
import os
import time
import tracemalloc
import wave
import zipfile
from pathlib import Path

import numpy as np
import pytest

from sidekick.audio.sources import WavFileSource, child_audio_files
from sidekick.books import load_book, parse_book_text
from sidekick.books.epub import parse_epub
from sidekick.books.pages import MAX_BYTES, MAX_PAGE_WORDS, MAX_WORDS_PER_PAGE
from sidekick.cli import main
from sidekick.errors import AudioDeviceError, BookError, SidekickError
from sidekick.reading.degenerate import NO_READING, why_no_reading
from sidekick.reading.stuck_word import MAX_UNANSWERED_HELPS
from sidekick.reading.tracker import ReadingTracker
from sidekick.speaking.base import MAX_UTTERANCE_CHARS, utterances
from sidekick.words import MAX_WORD_CHARS
from sidekick.words.pronounce import _one_letter_edits, likely_miscues
from sidekick.words.sentences import MAX_SENTENCE_WORDS
from tests.helpers.books import epub_bytes, opf


class Bounded:
    """Time and the peak of Python-tracked memory (numpy included) inside a ``with``. The
    time limits are generous (a busy machine, tracing): they catch work growing with the
    square of an input; tests/benchmarks/bench_bounds.py measures the real figures."""

    def __enter__(self) -> Bounded:
        tracemalloc.start()
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.t0
        self.peak_mb = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()


def wav_bytes(rate: int, samples: np.ndarray, channels: int = 1) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return buf.getvalue()


# --- books ----------------------------------------------------------------------------------


def test_a_100000_letter_word_is_shown_shortened_and_never_read_or_checked() -> None:
    likely_miscues(["cat"])  # the pronouncing dictionary and nltk, loaded once for all
    parse_book_text("Hi.", name="t.txt")
    with Bounded() as b:
        book = parse_book_text(f"Sam saw a {'a' * 100_000} and ran home.", name="t.txt")
        page = book.pages[0]
        miscues = likely_miscues([w.norm for w in page.words])
    assert b.seconds < 30 and b.peak_mb < 50
    assert [w.text for w in page.words] == ["Sam", "saw", "a", "and", "ran", "home"]
    assert "a" * 60 + "\u2026" in page.text and len(page.text) < 200
    assert set(miscues) == {"sam", "saw", "a", "and", "ran", "home"}
    assert book.notes and "longer than 50 letters" in book.notes[0]


def test_likely_misreadings_of_a_long_run_are_not_built() -> None:
    with Bounded() as b:
        edits = _one_letter_edits("b" * 4000)
    assert edits == set() and b.peak_mb < 5
    assert "cat" in _one_letter_edits("hat") and len(_one_letter_edits("x" * MAX_WORD_CHARS)) > 0


def test_text_without_sentence_ends_is_cut_into_pages() -> None:
    words = ["cat", "dog", "ran", "sat", "big"] * 6_000  # 30,000 words, no full stop
    parse_book_text("Hi.", name="t.txt")  # nltk, loaded once for all
    with Bounded() as b:
        book = parse_book_text(" ".join(words), name="t.txt")
    assert b.seconds < 30
    counts = [len(p.words) for p in book.pages]
    assert sum(counts) == 30_000 and max(counts) <= max(MAX_WORDS_PER_PAGE, MAX_SENTENCE_WORDS)
    assert all(len(s.words) <= MAX_SENTENCE_WORDS for p in book.pages for s in p.sentences)


def test_a_huge_page_between_breaks_is_paginated() -> None:
    huge = " ".join(["The cat sat on the mat."] * 400)  # 2,400 words on one page
    book = parse_book_text(f"Hi there.\n\n---\n\n{huge}\n\n---\n\nBye now.", name="t.txt")
    counts = [len(p.words) for p in book.pages]
    assert counts[0] == 2 and counts[-1] == 2 and sum(counts) == 2_404
    assert max(counts) <= MAX_WORDS_PER_PAGE < MAX_PAGE_WORDS
    short = parse_book_text("One two.\n\n---\n\n" + "Go on. " * 60, name="t.txt")
    assert [len(p.words) for p in short.pages] == [2, 120]  # an author's page stays whole


def test_a_book_file_over_the_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    with open(big, "wb") as f:
        f.truncate(4_900_000)  # sparse: nothing to read, only its size
    with Bounded() as b, pytest.raises(BookError) as exc:
        load_book(big)
    assert b.seconds < 5 and b.peak_mb < 1
    assert str(exc.value) == (
        f"The book file {big} is too large (4.9 MB); the limit is {MAX_BYTES / 1e6:g} MB."
    )


def _chapter_bomb(size: int, count: int) -> bytes:
    body = b"<html><body><p>" + b"a " * (size // 2) + b"</p></body></html>"
    return epub_bytes([body] * count)


def test_epub_chapters_too_large_are_refused_from_the_zip_sizes() -> None:
    data = _chapter_bomb(9_900_000, 5)
    assert len(data) < 200_000
    with Bounded() as b, pytest.raises(BookError) as exc:
        parse_epub(data, name="bomb.epub")
    assert b.seconds < 5 and b.peak_mb < 5  # nothing was decompressed
    assert "bomb.epub: chapter 2 (OEBPS/text/ch1.xhtml) is too large (9.9 MB)" in str(exc.value)
    data = _chapter_bomb(3_000_000, 5)
    with Bounded() as b, pytest.raises(BookError) as exc:
        parse_epub(data, name="bomb.epub")
    assert b.peak_mb < 5
    assert "the text of the book is too large (15.0 MB); the limit is 8 MB" in str(exc.value)


def test_epub_listing_one_chapter_4000_times_reads_it_once() -> None:
    story = "<p>" + "Sam ran to the big red hen. " * 50 + "</p>"
    package = opf([story]).replace('<itemref idref="c1"/>', '<itemref idref="c1"/>' * 4000)
    with Bounded() as b:
        book = parse_epub(epub_bytes([story], package=package), name="rep.epub")
    assert b.seconds < 30 and b.peak_mb < 50
    assert book.word_count == 350


def test_epub_title_goes_through_the_control_filter() -> None:
    title = "The\x7f Red\u200b\u202e Hen\u0085!"  # DEL, zero-width, right-to-left, NEL
    book = parse_epub(epub_bytes(["<p>Hi there.</p>"], title=title), name="t.epub")
    assert book.title == "The Red Hen !"


# --- audio ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "channels", "seconds", "expected"),
    [
        (1, 1, 1, "says its sample rate is 1 Hz; a recording of speech has 8,000 to 384,000"),
        (4_000, 1, 1, "sample rate is 4,000 Hz"),
        (16_000, 1, 601, "is too long (10.0 minutes); the limit for the reading of one page"),
    ],
)
def test_audio_headers_are_checked_before_decoding(
    tmp_path: Path, rate: int, channels: int, seconds: float, expected: str
) -> None:
    path = tmp_path / "x.wav"
    path.write_bytes(wav_bytes(rate, np.zeros(int(rate * seconds), np.float32), channels))
    with Bounded() as b, pytest.raises(AudioDeviceError) as exc:
        WavFileSource(path, realtime=False)
    assert b.seconds < 5 and b.peak_mb < 5
    assert expected in str(exc.value)


def test_degenerate_recordings_hold_no_reading(speak_to_wav, tmp_path: Path) -> None:
    import soundfile as sf

    from sidekick.audio.resample import float_to_pcm, resample

    audio, rate = sf.read(
        speak_to_wav("Sam saw a big red fox.", tmp_path / "r.wav"), dtype="float32"
    )
    reading = float_to_pcm(resample(audio, rate, 16_000))
    rng = np.random.default_rng(0)
    assert why_no_reading(reading) is None
    with Bounded() as b:
        assert "only 0.1 seconds" in why_no_reading(reading[:3200])
        assert "silent" in why_no_reading(bytes(600 * 16_000 * 2))
    assert b.seconds < 10 and b.peak_mb < 60  # ten minutes: 19 MB of PCM, read a minute at a time
    hiss = float_to_pcm(rng.normal(0, 0.05, 16_000 * 5).astype(np.float32))
    assert "steady noise" in why_no_reading(hiss)
    quiet_room = float_to_pcm(rng.normal(0, 0.0005, 16_000 * 5).astype(np.float32))
    assert "silent" in why_no_reading(quiet_room)
    # Reading in that hiss is still reading.
    noisy = np.frombuffer(reading, "<i2").astype(np.float32) / 32768
    noisy = noisy + rng.normal(0, 0.02, len(noisy)).astype(np.float32)
    assert why_no_reading(float_to_pcm(noisy)) is None


def test_a_silent_turn_does_not_have_every_word_said() -> None:
    from sidekick.listening.base import Hypothesis

    tracker = ReadingTracker([f"w{i}" for i in range(40)], stall_s=3.0)
    stuck = [
        p.stuck
        for t in np.arange(0, 600, 0.1)
        if (p := tracker.update(Hypothesis(()), t)).stuck is not None
    ]
    assert stuck == list(range(MAX_UNANSWERED_HELPS))
    assert tracker.help_current(601.0) == MAX_UNANSWERED_HELPS  # asking still works


# --- the command line -----------------------------------------------------------------------


def _err(capsys) -> str:
    return capsys.readouterr().err


@pytest.mark.parametrize("rate", ["nan", "0", "-1", "inf", "1.6"])
def test_say_refuses_a_rate_out_of_range(tmp_path: Path, capsys, rate: str) -> None:
    out = tmp_path / "x.wav"
    assert main(["say", "Hello.", "-o", str(out), "--rate", rate]) == 2
    assert f"--rate must be a number from 0.5 to 1.5 (not {float(rate)})" in _err(capsys)
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["assess", "--text", "Hi.", "--audio", "x.wav", "--stall", "-1"], "--stall must be"),
        (["assess", "--text", "Hi.", "--audio", "x.wav", "--page", "0"], "--page must be"),
        (["read", "b.md", "--child-audio", "x", "--speaker-out", "y", "--stall", "nan"],
         "--stall must be a number from 0.5 to 30"),
        (["read", "b.md", "--child-audio", "x", "--speaker-out", "y", "--start-page", "-3"],
         "--start-page must be"),
        (["listen-test", "--trials", "0"], "--trials must be"),
        (["readers", "add", "Mia", "--stall", "inf"], "--stall must be"),
    ],
)  # fmt: skip
def test_numbers_out_of_range_are_refused(capsys, args: list[str], expected: str) -> None:
    assert main(args) == 2
    assert expected in _err(capsys)


def test_say_output_paths(tmp_path: Path, capsys) -> None:
    assert main(["say", "Hello.", "-o", str(tmp_path / "noext")]) == 2
    assert "the file name must end in .wav (for example noext.wav)" in _err(capsys)
    assert main(["say", "Hello.", "-o", str(tmp_path / "none" / "x.wav")]) == 2
    assert f"the folder {tmp_path / 'none'} does not exist" in _err(capsys)
    (tmp_path / "d.wav").mkdir()
    assert main(["say", "Hello.", "-o", str(tmp_path / "d.wav")]) == 2
    assert "it is a folder" in _err(capsys)
    assert main(["say", "x" * 20_001, "-o", str(tmp_path / "long.wav")]) == 2
    assert "too long to say (20,001 characters); the limit is 20,000" in _err(capsys)


def test_report_never_replaces_a_device_pipe_or_folder(tmp_path: Path, capsys) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "dangling.csv"
    link.symlink_to(tmp_path / "nowhere" / "x.csv")
    for target, why in ((fifo, "not a regular file"), (tmp_path, "it is a folder"),
                        (link, "a link to nothing")):  # fmt: skip
        assert main(["report", "-o", str(target)]) == 2
        assert why in _err(capsys)
    assert fifo.is_fifo() and link.is_symlink() and not (tmp_path / "nowhere").exists()
    assert main(["report", "-o", "/dev/null"]) == 2
    assert "not a regular file" in _err(capsys)
    assert main(["report", "-o", str(tmp_path / "ok.csv")]) == 0


def test_child_audio_folder_takes_only_regular_visible_wav_files(tmp_path: Path) -> None:
    (tmp_path / "01.wav").write_bytes(wav_bytes(16_000, np.zeros(1600)))
    (tmp_path / "02.WAV").write_bytes(wav_bytes(16_000, np.zeros(1600)))
    (tmp_path / ".08-x.wav").write_bytes(wav_bytes(16_000, np.zeros(1600)))
    (tmp_path / "03.wav").mkdir()
    os.mkfifo(tmp_path / "04.wav")
    (tmp_path / "05.wav").symlink_to(tmp_path / "gone.wav")
    (tmp_path / "06.wav").symlink_to(tmp_path / "01.wav")
    (tmp_path / "07.txt").write_text("no")
    names = [p.name for p in child_audio_files(str(tmp_path))]
    assert names == ["01.wav", "02.WAV", "06.wav"]
    with pytest.raises(SidekickError, match="is not a regular file"):
        child_audio_files(str(tmp_path / "04.wav"))


# --- speech ---------------------------------------------------------------------------------


def test_text_handed_to_synthesis_is_bounded() -> None:
    # "Words" starts a sentence of 2,000 words (one starting in lower case would go on "A cat").
    parts = utterances(f"Hi there. A {'b' * 100_000} cat. Words " + "word " * 1_999)
    assert parts[:2] == ["Hi there.", "A cat."]
    assert all(len(p) <= MAX_UTTERANCE_CHARS for p in parts)
    assert sum(len(p.split()) for p in parts[2:]) == 2_000


# --- CSV ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "title", [" =1+1", "\u200b=HYPERLINK(1)", "\uff1d1+1", "\u3000\uff0bx", "\ufeff\uff20x",
              "\t@x", "\uff0d2", "\u00a0-3"],
)  # fmt: skip
def test_csv_defuses_formulas_behind_spaces_invisible_and_full_width_marks(
    tmp_path: Path, title: str
) -> None:
    from sidekick.progress import ProgressStore, TurnRecord, write_report

    with ProgressStore(tmp_path / "p.sqlite3") as store:
        store.add_reader("Ann")
        store.record_turn("Ann", TurnRecord(title, "b", 1, 10, 10, wcpm=30.0, accuracy=1.0,
                                            duration_s=20.0))  # fmt: skip
        buf = io.StringIO()
        write_report(store, "csv", buf)
    (row,) = list(csv.DictReader(io.StringIO(buf.getvalue())))
    assert row["book"] == "'" + title


# --- end to end -----------------------------------------------------------------------------


@pytest.mark.slow
def test_assess_says_it_heard_no_reading_and_still_scores_a_real_one(
    speak_to_wav, tmp_path: Path, capsys
) -> None:
    text = "Sam saw a big red fox. The fox ran home."
    real = speak_to_wav(text, tmp_path / "real.wav")
    silence = tmp_path / "silence.wav"
    silence.write_bytes(wav_bytes(16_000, np.zeros(16_000 * 60)))
    short = tmp_path / "short.wav"
    short.write_bytes(wav_bytes(16_000, np.zeros(1600) + 0.3))
    base = ["assess", "--engine", "pocketsphinx", "--text", text, "--json", "--audio"]
    for clip, why in ((silence, "silent"), (short, "only 0.1 seconds")):
        t0 = time.perf_counter()
        assert main([*base, str(clip)]) == 2
        assert time.perf_counter() - t0 < 10
        err = _err(capsys)
        assert NO_READING in err and why in err
    assert main([*base, str(real)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["summary"]["words_correct"] >= 9


@pytest.mark.slow
def test_a_silent_child_turn_is_not_scored_and_ends(tmp_path: Path) -> None:
    import subprocess
    import sys

    book = tmp_path / "b.md"
    book.write_text("# B\n\n" + "Sam saw a big red fox. " * 6 + "\n\n---\n\nThe end.\n")
    silence = tmp_path / "silence.wav"
    silence.write_bytes(wav_bytes(16_000, np.zeros(16_000 * 120)))
    run = subprocess.run(
        [sys.executable, "-m", "sidekick", "read", str(book), "--child-audio", str(silence),
         "--speaker-out", str(tmp_path / "out"), "--engine", "pocketsphinx", "--voice",
         "standard", "--json", "--share", "take-turns"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    events = [json.loads(line) for line in run.stdout.splitlines()]
    kinds = [e["event"] for e in events]
    assert "reading_checked" not in kinds and "praise" not in kinds
    assert sum(k == "stuck_word_helped" for k in kinds) <= MAX_UNANSWERED_HELPS
    notices = [e["text"] for e in events if e["event"] == "notice"]
    assert any(NO_READING in n for n in notices)
    end = next(e for e in events if e["event"] == "turn_end" and e["reader"] == "child")
    assert end["duration_s"] <= 31  # it ended after 30 s of hearing nothing


def test_zip_sizes_in_the_bomb_are_what_the_zip_declares() -> None:
    infos = zipfile.ZipFile(io.BytesIO(_chapter_bomb(9_900_000, 1))).infolist()
    assert max(i.file_size for i in infos) > 9_900_000
