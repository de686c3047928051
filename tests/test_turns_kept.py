"""No finished turn is lost: a turn the database cannot take waits in the pending journal
until it can (a real read-only file, a real lock held by another connection), and a damaged
database is salvaged row by row into the fresh one. All on real SQLite files."""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sidekick.books.model import Book
from sidekick.progress import store as store_module
from sidekick.progress.recorder import TurnRecorder
from sidekick.progress.records import (
    RECOVERED_BOOK_ID,
    RECOVERED_BOOK_TITLE,
    MissedWord,
    TurnRecord,
)
from sidekick.progress.reports import report_rows, write_report
from sidekick.progress.store import ProgressStore
from sidekick.turns import events as ev
from tests.helpers.ui import SIZE, pilot_test

REPO = Path(__file__).resolve().parent.parent


def checked(page: int, correct: int = 9) -> ev.ReadingChecked:
    """A child turn's reading check, as the session emits it (10 words)."""
    words = [{"index": i, "word": f"w{i}", "status": "correct" if i < correct else "omitted"}
             for i in range(10)]  # fmt: skip
    summary = {"wcpm": 50.0, "accuracy": correct / 10, "words_correct": correct,
               "errors": 10 - correct, "duration_s": 12.0, "band": "frustration"}  # fmt: skip
    return ev.ReadingChecked(turn=page, page=page, summary=summary, words=words, insertions=[],
                             repetitions=[])  # fmt: skip


BOOK = Book(title="Pip", pages=[], path=None)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    db = tmp_path / "progress.sqlite3"
    with ProgressStore(db) as s:
        s.add_reader("Mia")
    return db


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make the file really read-only: its mode, and for root (whom modes do not stop) the
    immutable attribute."""
    path.chmod(0o444)
    immutable = os.geteuid() == 0
    if immutable:
        done = subprocess.run(["chattr", "+i", str(path)], capture_output=True)
        if done.returncode != 0:
            path.chmod(0o644)
            pytest.skip("running as root where chattr +i is not allowed")
    try:
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        path.chmod(0o644)


def test_a_read_only_database_keeps_the_turn_until_it_can_be_saved(path: Path) -> None:
    notices: list[str] = []
    with read_only(path), ProgressStore(path) as store:
        with pytest.raises(Exception, match="readonly|read-only"):
            store.add_reader("Probe")  # the file really cannot be written
        recorder = TurnRecorder(store, "Mia", BOOK, on_notice=notices.append)
        recorder(checked(1))
        assert recorder.recorded == [] and len(recorder.kept) == 1
        assert store.pending.path.is_file()
        assert len(notices) == 1 and "kept" in notices[0] and "saved when" in notices[0]
        with ProgressStore(path) as again:  # still read-only: it keeps waiting
            assert again.saved_pending == 0 and again.turn_count() == 0
    with ProgressStore(path) as store:  # writable again: the next start saves it
        assert store.saved_pending == 1
        (turn,) = store.turns("Mia")
        assert (turn.page, turn.words_correct, turn.omitted) == (1, 9, 1)
        assert [w.word for w in turn.challenge_words] == ["w9"]
        assert not store.pending.path.exists()
    with ProgressStore(path) as store:  # and only once
        assert store.saved_pending == 0 and store.turn_count() == 1


def test_a_locked_database_keeps_the_turn_until_the_next_save(path: Path) -> None:
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another program holds the write lock
    notices: list[str] = []
    with ProgressStore(path) as store:
        recorder = TurnRecorder(store, "Mia", BOOK, on_notice=notices.append)
        started = time.monotonic()
        recorder(checked(1))
        waited = time.monotonic() - started  # the child waits a moment, not the 10 s a
        assert waited < 3 * store_module.TURN_TIMEOUT_S, waited  # command would wait
        assert len(recorder.kept) == 1 and "busy in another program" in notices[0]
        other.execute("COMMIT")
        other.close()
        recorder(checked(2))  # the next save writes the waiting turn too
        assert len(recorder.recorded) == 1
        assert sorted(t.page for t in store.turns("Mia")) == [1, 2]
        assert not store.pending.path.exists()


def test_a_turn_already_stored_is_not_stored_twice(path: Path) -> None:
    """A journal written again after its turns were saved (a crash between the two)."""
    with ProgressStore(path) as store:
        turn = TurnRecord("Pip", "pip", 3, 10, 8, omitted=2)
        store.keep_turn("Mia", turn)
        journal = store.pending.path.read_text()
        assert store.save_pending() == 1
        store.pending.path.write_text(journal)
        assert store.save_pending() == 0 and store.turn_count() == 1
        assert not store.pending.path.exists()


def test_the_journal_is_written_whole_and_keeps_a_removed_readers_turn(path: Path) -> None:
    with ProgressStore(path) as store:
        store.add_reader("Bo")
        store.keep_turn("Bo", TurnRecord("Pip", "pip", 1, 10, 10))
        cat = MissedWord("cat", "omitted", None, 4)
        store.keep_turn(
            "Mia", TurnRecord("Pip", "pip", 2, 10, 7, omitted=3, challenge_words=(cat,))
        )
        lines = [json.loads(line) for line in store.pending.path.read_text().splitlines()]
        assert [e["reader"] for e in lines] == ["Bo", "Mia"]
        assert list(path.parent.glob(".progress-pending*")) == []  # no temporary file left
        store.remove_reader("Bo")
        assert store.save_pending() == 1  # Mia's; Bo's waits (and does not hold hers up)
        assert [e.reader for e in store.pending.pending()] == ["Bo"]
        (turn,) = store.turns("Mia")
        assert turn.challenge_words == (cat,)


# --------------------------------------------------------------------------- damaged files


def build(path: Path, turns: int = 200, seed: int = 7) -> dict[int, tuple]:
    """A database of 3 readers and ``turns`` turns with 3 challenge words each; the turns
    by id as stored."""
    with ProgressStore(path) as s:
        for name in ("Ann", "Bo", "Cy"):
            s.add_reader(name, grade=2)
    return build_more(path, turns, seed)


def build_more(path: Path, turns: int = 200, seed: int = 7) -> dict[int, tuple]:
    """``turns`` more turns of the readers Ann, Bo and Cy (see :func:`build`)."""
    rng = random.Random(seed)
    with ProgressStore(path) as s:
        for name in {"Ann", "Bo", "Cy"} - {r.name for r in s.list_readers()}:
            s.add_reader(name, grade=2)
        for i in range(turns):
            words = tuple(MissedWord(f"word{i}x{k}", "omitted", None, k) for k in range(3))
            s.record_turn(rng.choice(["Ann", "Bo", "Cy"]), TurnRecord(
                f"Book {i % 7}", f"book-{i % 7}", i % 30 + 1, 40, 37, omitted=3, wcpm=55.5,
                accuracy=37 / 40, duration_s=40.0, challenge_words=words,
                started_at=f"2025-03-01T10:{i // 60 % 60:02d}:{i % 60:02d}+00:00"))  # fmt: skip
    with sqlite3.connect(path) as conn:
        return {r[0]: r for r in conn.execute("SELECT * FROM turns")}


def pages(path: Path, table: str, kind: str = "leaf") -> dict[int, int]:
    """The table's pages of a kind (leaf, internal) and how many cells each holds (dbstat)."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT pageno, ncell FROM dbstat WHERE name = ? AND pagetype = ?",
                            (table, kind)).fetchall()  # fmt: skip
    return dict(rows)


def damage(path: Path, numbers: list[int]) -> None:
    """Overwrite whole pages with random bytes."""
    size = 4096
    with open(path, "r+b") as f:
        for page in numbers:
            f.seek((page - 1) * size)
            f.write(random.Random(page).randbytes(size))


@pytest.mark.parametrize("how", ["two leaf pages", "the root page", "cut short"])
def test_a_damaged_database_is_salvaged_row_by_row(tmp_path: Path, how: str) -> None:
    path = tmp_path / "progress.sqlite3"
    original = build(path)
    shutil.copyfile(path, tmp_path / "copy.sqlite3")  # where the rows were, for dbstat
    leaves = pages(path, "turns")
    if how == "two leaf pages":
        hit = sorted(leaves)[1:3]
        damage(path, hit)
    elif how == "the root page":  # no look-up by id gets past it
        hit = list(pages(path, "turns", "internal"))
        damage(path, hit)
    else:  # the file's last third is gone
        data = path.read_bytes()
        keep = len(data) // 4096 * 2 // 3
        path.write_bytes(data[: keep * 4096])
        hit = list(range(keep + 1, len(data) // 4096 + 1))
    readable = len(original) - sum(leaves.get(p, 0) for p in hit)  # rows on pages left whole
    words = pages(tmp_path / "copy.sqlite3", "turn_words")
    readable_words = sum(n for p, n in words.items() if p not in hit)
    bad = path.read_bytes()
    with ProgressStore(path) as s:
        assert s.recovered is not None and s.recovered.backup.read_bytes() == bad
        every = s.turns()
        carried = {t.id: t for t in every if t.book_id != RECOVERED_BOOK_ID}
        stand_ins = {t.id: t for t in every if t.book_id == RECOVERED_BOOK_ID}
        assert len(carried) >= 0.99 * readable, (len(carried), readable)
        for tid, t in carried.items():  # each carried as it was
            assert original[tid][2] == t.started_at and t.words_correct == 37
            assert t.accuracy == 37 / 40
            assert all(w.word.startswith(f"word{tid - 1}x") for w in t.challenge_words)
        # Every readable word row is carried, those of turns that were lost with a stand-in
        # turn: never scored, at the time of the turn before it.
        carried_words = sum(len(t.challenge_words) for t in every)
        assert carried_words >= 0.99 * readable_words, (carried_words, readable_words)
        for tid, t in stand_ins.items():
            assert tid not in carried and t.challenge_words
            assert all(w.word.startswith(f"word{tid - 1}x") for w in t.challenge_words)
            assert (t.words_total, t.book_title) == (0, RECOVERED_BOOK_TITLE)
            before = [c.started_at for c in carried.values() if c.id < tid]
            assert t.started_at == (
                max(before) if before else min(c.started_at for c in carried.values())
            )
        if how == "two leaf pages":
            assert stand_ins  # the words of the turns on the damaged pages were whole
        assert sorted(r.name for r in s.list_readers()) == ["Ann", "Bo", "Cy"]
        msg = str(s.recovered)
        assert f"{len(carried)} of the " in msg and "carried over" in msg and "\n" not in msg
        for name in ("Ann", "Bo", "Cy"):  # the progress screen's figures: scored turns only
            summary = s.progress_summary(name)
            scored = [t for t in carried.values() if t.reader == name]
            assert summary.turns == len(scored) and summary.words_correct == 37 * len(scored)
            assert RECOVERED_BOOK_ID not in {b.book_id for b in summary.books}
            assert summary.band_counts["frustration"] == 0  # all were 92.5 %: instructional
    with ProgressStore(path) as s:
        assert s.recovered is None and s.turn_count() == len(every)


def test_a_report_lists_a_stand_in_turn_without_scoring_it(tmp_path: Path) -> None:
    path = tmp_path / "progress.sqlite3"
    build(path, turns=60)
    damage(path, sorted(pages(path, "turns"))[1:2])
    with ProgressStore(path) as s:
        rows = report_rows(s)
        out = io.StringIO()
        write_report(s, "html", out)
    lost = [r for r in rows if r["book"] == RECOVERED_BOOK_TITLE]
    assert lost and all(r["missed_words"].startswith("word") for r in lost)
    assert all((r["wcpm"], r["accuracy"], r["band"]) == (None, None, "not scored") for r in lost)
    assert all(r["band"] == "instructional" for r in rows if r not in lost)
    html = out.getvalue()
    assert "None" not in html and "frustration</span>" not in html
    assert "accuracy 92.5 %" in html  # the summary is over the scored turns


def test_turns_outlive_their_readers_damaged_page(tmp_path: Path) -> None:
    path = tmp_path / "progress.sqlite3"
    original = build(path, turns=50)
    (readers_page,) = pages(path, "readers")
    damage(path, [readers_page])
    with ProgressStore(path) as s:
        assert s.turn_count() == len(original)
        names = sorted(r.name for r in s.list_readers())
        assert names and all(n.endswith("(recovered)") for n in names)


def test_every_command_says_so_once_even_read_with_a_reader(tmp_path: Path) -> None:
    """``read --reader X`` as the first command after damage: the note is shown, once."""
    home = tmp_path / "home"
    home.mkdir()
    build(home / "progress.sqlite3", turns=20)
    damage(home / "progress.sqlite3", [min(pages(home / "progress.sqlite3", "turns"))])
    env = {**os.environ, "SIDEKICK_HOME": str(home), "PYTHONPATH": str(REPO)}
    missing = tmp_path / "missing.wav"  # the session stops at once, after the reader check
    run = subprocess.run(
        [sys.executable, "-m", "sidekick", "read", "sam-and-the-red-hat", "--child-audio",
         str(missing), "--speaker-out", str(tmp_path / "out"), "--reader", "Ann"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.stderr.count("was damaged") == 1, run.stderr
    again = subprocess.run([sys.executable, "-m", "sidekick", "readers"], env=env,
                           capture_output=True, text=True, timeout=120)  # fmt: skip
    assert "damaged" not in again.stderr and "Ann" in again.stdout


@pilot_test
async def test_the_app_shows_what_the_reader_check_found(tmp_path: Path) -> None:
    """``sidekick app --reader X`` after damage: the check before the app recovered the
    file, and the app shows its note."""
    from sidekick.settings import Settings
    from sidekick.ui.app import SidekickApp

    note = "The progress file was damaged; 3 of the 3 turns were carried over."
    app = SidekickApp(Settings(), list_books=lambda: ([], []), notices=[note])
    async with app.run_test(size=SIZE):
        assert [n.message for n in app._notifications] == [note]


@pytest.mark.parametrize("version", [3, 2])
def test_salvage_keeps_words_as_the_book_writes_them(tmp_path: Path, version: int) -> None:
    """The shown form ("Sam") is carried over; a file from before it was stored (schema 2,
    no such column) is salvaged too, its words in lower case. A word the check was not
    sure of stays one."""
    path = tmp_path / "progress.sqlite3"
    with ProgressStore(path) as s:
        s.add_reader("Ann")
        s.record_turn("Ann", TurnRecord(
            "Sam and the Hat", "sam", 1, 10, 8, omitted=1, assisted=1, wcpm=40.0, accuracy=0.8,
            duration_s=15.0, challenge_words=(MissedWord("Sam", "assisted", None, 0),),
            unclear_words=(MissedWord("Hat", "unclear", None, 3),),
        ))  # fmt: skip
    build_more(path)
    if version == 2:
        with sqlite3.connect(path) as conn:
            conn.execute("ALTER TABLE turn_words DROP COLUMN shown")
    damage(path, sorted(pages(path, "turns"))[1:3])
    with ProgressStore(path) as s:
        assert s.recovered is not None
        words = {w.word for w in s.challenge_words("Ann")}
        not_sure = s.progress_summary("Ann").not_sure
    assert ("Sam" if version == 3 else "sam") in words
    assert not_sure == 1 and not words & {"Hat", "hat"}  # carried over, still no challenge
