"""Readers and history in the real SQLite file."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from sidekick.errors import SidekickError
from sidekick.progress import (
    CorruptDatabaseError,
    MissedWord,
    ProgressStore,
    TurnRecord,
)
from sidekick.progress.schema import COLUMNS, MIGRATIONS, SCHEMA_VERSION
from sidekick.reading.result import Assessment, WordResult

REPO = Path(__file__).resolve().parent.parent
T0 = datetime(2025, 3, 3, 15, 0, tzinfo=timezone.utc)
MINUTE = timedelta(minutes=1)


@pytest.fixture
def store(tmp_path: Path):
    with ProgressStore(tmp_path / "progress.sqlite3") as s:
        yield s


def turn(
    page: int = 1, *, correct: int = 48, total: int = 50, at: datetime = T0, **kw
) -> TurnRecord:
    base = dict(
        book_title="Pip and the Puddle", book_id="pip-and-the-puddle", page=page,
        words_total=total, words_correct=correct, omitted=total - correct,
        wcpm=60.0, accuracy=correct / total, duration_s=48.0, started_at=at.isoformat(),
    )  # fmt: skip
    base.update(kw)
    return TurnRecord(**base)


# --------------------------------------------------------------------------- opening


def test_default_file_in_data_dir_with_wal_full_sync_and_foreign_keys(_isolated_home: Path):
    with ProgressStore() as s:
        assert s.path == _isolated_home / "progress.sqlite3"
        assert s.recovered is None
        conn = s._conn
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert s.schema_version == SCHEMA_VERSION == len(MIGRATIONS) == 4
    assert (_isolated_home / "progress.sqlite3").is_file()


def test_migrates_an_empty_file(tmp_path: Path):
    path = tmp_path / "progress.sqlite3"
    path.write_bytes(b"")
    with ProgressStore(path) as s:
        assert s.recovered is None
        assert s.schema_version == SCHEMA_VERSION
        s.add_reader("Ann")
        assert [r.name for r in s.list_readers()] == ["Ann"]


def test_migrates_from_version_1_keeping_data(tmp_path: Path):
    path = tmp_path / "progress.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in MIGRATIONS[0]:
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    conn.execute(
        "INSERT INTO readers (name, name_key, grade, share, stall_s, created_at)"
        " VALUES ('Ann', 'ann', 1, 'take-turns', 3.0, '2025-01-01T00:00:00+00:00')"
    )
    conn.execute(
        "INSERT INTO turns (reader_id, started_at, book_title, book_id, page, words_total,"
        " words_correct, wcpm, accuracy, duration_s)"
        " VALUES (1, '2025-01-01T10:00:00+00:00', 'B', 'b', 1, 10, 9, 40, 0.9, 13.5)"
    )
    conn.execute(
        "INSERT INTO turn_words (turn_id, reader_id, word, kind) VALUES (1, 1, 'dog', 'assisted')"
    )
    conn.close()

    with ProgressStore(path) as s:
        assert s.schema_version == SCHEMA_VERSION
        (t,) = s.turns("ann")
        assert (t.reader, t.words_correct, t.challenge_words[0].word) == ("Ann", 9, "dog")
        s.record_practice("Ann", "dog", correct=True)  # the table version 2 added
        (cw,) = s.challenge_words("Ann")
        assert (cw.word, cw.assisted, cw.practiced, cw.practiced_correct) == ("dog", 1, 1, 1)
        names = {r[0] for r in s._conn.execute("SELECT name FROM sqlite_master")}
        assert {"practice", "turn_words_by_reader_word"} <= names


def test_the_listed_columns_are_the_tables_the_migrations_build(store: ProgressStore):
    """Storing, reading back and salvaging turns go by COLUMNS: it must follow the schema."""
    for table, columns in COLUMNS.items():
        found = tuple(r[1] for r in store._conn.execute(f"PRAGMA table_info({table})"))
        assert found == columns, table
    tables = store._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    assert {name for (name,) in tables} == set(COLUMNS)


def test_refuses_a_file_from_a_newer_sidekick_without_touching_it(tmp_path: Path):
    path = tmp_path / "progress.sqlite3"
    with ProgressStore(path) as s:
        s.add_reader("Ann")
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(SidekickError, match="newer Sidekick"):
        ProgressStore(path)
    assert list(tmp_path.glob("*.corrupt-*")) == []


# --------------------------------------------------------------------------- damaged files


def _check_recovered(path: Path, bad: bytes, s: ProgressStore, readers: tuple = ()) -> None:
    err = s.recovered
    assert isinstance(err, CorruptDatabaseError) and isinstance(err, SidekickError)
    msg = str(err)
    assert "\n" not in msg and "damaged" in msg and "fresh" in msg
    (backup,) = path.parent.glob("progress.sqlite3.corrupt-*")
    assert err.backup == backup and backup.name in msg
    assert backup.read_bytes() == bad  # kept byte for byte
    assert backup.name[len("progress.sqlite3.corrupt-") :].replace("-", "").isdigit()
    # The fresh database holds what could be read of the damaged one, and works.
    assert tuple(r.name for r in s.list_readers()) == readers
    s.add_reader("Ann")
    assert s.get_reader("ann").name == "Ann"
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_random_bytes_are_moved_aside_and_a_fresh_database_started(tmp_path: Path):
    path = tmp_path / "progress.sqlite3"
    bad = os.urandom(20_000)
    path.write_bytes(bad)
    with ProgressStore(path) as s:
        _check_recovered(path, bad, s)
    with ProgressStore(path) as s:  # and the next open is clean
        assert s.recovered is None and [r.name for r in s.list_readers()] == ["Ann"]


@pytest.mark.parametrize("keep", [0.5, 0.02])
def test_truncated_database_is_detected(tmp_path: Path, keep: float):
    path = tmp_path / "progress.sqlite3"
    with ProgressStore(path) as s:
        s.add_reader("Bo")
        s.record_turns("Bo", [turn(p, challenge_words=(MissedWord("x" * p, "omitted"),))
                              for p in range(1, 400)])  # fmt: skip
    data = path.read_bytes()
    assert not Path(f"{path}-wal").exists()  # checkpointed on close
    bad = data[: int(len(data) * keep)]
    path.write_bytes(bad)
    with ProgressStore(path) as s:
        # Half the file: its first pages (Bo and many of his turns) are carried over.
        _check_recovered(path, bad, s, ("Bo",) if keep > 0.1 else ())
        assert (s.turn_count() > 100) == (keep > 0.1)


def test_a_stale_wal_goes_with_the_backup(tmp_path: Path):
    path = tmp_path / "progress.sqlite3"
    path.write_bytes(b"not a database at all, just text" * 10)
    Path(f"{path}-wal").write_bytes(b"old log")
    with ProgressStore(path) as s:
        assert s.recovered is not None
        assert Path(f"{s.recovered.backup}-wal").read_bytes() == b"old log"


def test_the_log_of_a_damaged_database_is_kept(tmp_path: Path):
    """A crash leaves recent turns in the -wal file; if the main file is then found damaged,
    the log is kept next to the backup (SQLite would delete it on close)."""
    live = tmp_path / "live"
    live.mkdir()
    with ProgressStore(live / "progress.sqlite3") as s:
        s.add_reader("Ann")
        s.record_turns("Ann", [turn(p) for p in range(1, 300)])
        s._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        s.record_turn("Ann", turn(999))  # only in the log
        data = (live / "progress.sqlite3").read_bytes()
        log = (live / "progress.sqlite3-wal").read_bytes()  # as a crash would leave it
    assert log
    path = tmp_path / "progress.sqlite3"
    path.write_bytes(data[: len(data) // 2])
    Path(f"{path}-wal").write_bytes(log)
    with ProgressStore(path) as s:
        assert s.recovered is not None
        assert Path(f"{s.recovered.backup}-wal").read_bytes() == log
        assert not Path(f"{path}-wal.kept").exists()


# --------------------------------------------------------------------------- readers


def test_readers_round_trip(store: ProgressStore):
    ann = store.add_reader("  Ann  ", grade=1, share="a-lot", stall_s=4)
    assert (ann.name, ann.grade, ann.share, ann.stall_s) == ("Ann", 1, "a-lot", 4.0)
    store.add_reader("bo", grade="K")
    assert store.get_reader("BO").grade_label == "K"
    assert [r.name for r in store.list_readers()] == ["Ann", "bo"]
    assert store.find_reader("nobody") is None


def test_names_are_unique_ignoring_case(store: ProgressStore):
    store.add_reader("Élodie")
    for name in ("élodie", "ÉLODIE", " Élodie "):
        with pytest.raises(SidekickError, match="already a reader named 'Élodie'"):
            store.add_reader(name)
    assert store.get_reader("éLODIE").name == "Élodie"
    store.add_reader("Sam")
    with pytest.raises(SidekickError, match="already a reader named 'Sam'"):
        store.update_reader("élodie", new_name="SAM")
    store.update_reader("élodie", new_name="ELODIE")  # a change of case is fine
    assert [r.name for r in store.list_readers()] == ["ELODIE", "Sam"]


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda s: s.get_reader("Zed"), "No reader named 'Zed'"),
        (lambda s: s.remove_reader("Zed"), "No reader named 'Zed'"),
        (lambda s: s.record_turn("Zed", turn()), "No reader named 'Zed'"),
        (lambda s: s.add_reader("   "), "needs a name"),
        (lambda s: s.add_reader("x" * 41), "at most 40"),
        (lambda s: s.add_reader("a\x07b"), "control characters"),
        (lambda s: s.add_reader("Kim", grade=13), "Grade must be K or 1-12"),
        (lambda s: s.add_reader("Kim", share="lots"), "Unknown reading share"),
        (lambda s: s.add_reader("Kim", stall_s=0), "Stall time"),
    ],
)
def test_clear_one_line_errors(store: ProgressStore, call, match):
    with pytest.raises(SidekickError, match=match) as info:
        call(store)
    assert "\n" not in str(info.value)


def test_update_reader(store: ProgressStore):
    store.add_reader("Ann", grade=2)
    r = store.update_reader("ann", share="a-little", stall_s=5.5)
    assert (r.grade, r.share, r.stall_s) == (2, "a-little", 5.5)
    assert store.update_reader("Ann", grade=None).grade is None


def test_remove_reader_removes_history(store: ProgressStore):
    store.add_reader("Ann")
    store.add_reader("Bo")
    words = (MissedWord("dog", "omitted"),)
    store.record_turns("Ann", [turn(1, challenge_words=words), turn(2)])
    store.record_turn("Bo", turn(1, challenge_words=words))
    store.record_practice("Ann", "dog", False)
    assert store.remove_reader("ANN") == 2
    assert [r.name for r in store.list_readers()] == ["Bo"]
    counts = [store._conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
              for t in ("turns", "turn_words", "practice")]  # fmt: skip
    assert counts == [1, 1, 0]


# --------------------------------------------------------------------------- history


def test_turn_round_trip(store: ProgressStore):
    store.add_reader("Ann")
    rec = TurnRecord(
        book_title='The "Big" <Book>', book_id="/books/big.epub", page=7, words_total=40,
        words_correct=35, substituted=2, omitted=1, assisted=2, self_corrections=1,
        insertions=3, wcpm=52.5, accuracy=0.875, duration_s=40.0,
        challenge_words=(MissedWord("Puddle,", "substituted", heard="paddle", index=4),
                         MissedWord("“splash”", "assisted", index=9)),
        started_at="2025-03-03T16:00:00+01:00",
    )  # fmt: skip
    stored = store.record_turn("ann", rec)
    (back,) = store.turns("Ann")
    assert back == stored
    assert back.id is not None and back.reader == "Ann"
    assert back.started_at == "2025-03-03T15:00:00+00:00"  # stored in UTC
    assert back.errors == 5 and back.band == "frustration"
    assert [(w.word, w.kind, w.heard, w.index) for w in back.challenge_words] == [
        ("puddle", "substituted", "paddle", 4),
        ("splash", "assisted", None, 9),
    ]
    assert store.turn_count() == store.turn_count("ANN") == 1


def test_turn_from_assessment(store: ProgressStore):
    a = Assessment(
        words=[
            WordResult(0, "Pip", "correct", start=0.0, end=0.4),
            WordResult(1, "jumped", "self_corrected", heard="jump", start=0.5, end=0.9),
            WordResult(2, "in", "omitted"),
            WordResult(3, "the", "correct", start=1.5, end=1.7),
            WordResult(4, "puddle", "assisted", start=5.0, end=5.5),
            WordResult(5, "splash", "substituted", heard="splat", start=5.6, end=6.0),
        ],
        insertions=[{"word": "um", "start": 1.0, "end": 1.2, "before_index": 3}],
    )
    rec = TurnRecord.from_assessment(a, book_title="Pip", book_id="pip", page=2)
    assert (rec.words_total, rec.words_correct, rec.errors) == (6, 3, 3)
    assert (rec.substituted, rec.omitted, rec.assisted) == (1, 1, 1)
    assert (rec.self_corrections, rec.insertions, rec.duration_s) == (1, 1, 6.0)
    assert rec.wcpm == 30.0 and rec.accuracy == 0.5
    store.add_reader("Pat")
    store.record_turn("Pat", rec)
    assert {w.word for w in store.turns("Pat")[0].challenge_words} == {"in", "puddle", "splash"}


def test_bad_turns_are_refused(store: ProgressStore):
    store.add_reader("Ann")
    with pytest.raises(ValueError, match="fraction"):
        store.record_turn("Ann", turn(accuracy=96.0))
    with pytest.raises(ValueError, match="exceed"):
        store.record_turn("Ann", turn(correct=51, omitted=0, accuracy=1.0))
    with pytest.raises(ValueError, match="kind"):
        store.record_turn("Ann", turn(challenge_words=(MissedWord("dog", "misread"),)))
    with pytest.raises(ValueError, match="belongs to"):
        store.record_turn("Ann", turn(reader="Bo"))
    assert store.turn_count() == 0


def test_a_write_is_all_or_nothing(store: ProgressStore):
    store.add_reader("Ann")
    good = turn(1, challenge_words=(MissedWord("dog", "omitted"),))
    broken = turn(2, book_title=None)  # NOT NULL fails inside the transaction
    with pytest.raises(SidekickError, match="Could not save"):
        store.record_turns("Ann", [good, broken])
    assert store.turn_count() == 0
    assert store._conn.execute("SELECT COUNT(*) FROM turn_words").fetchone()[0] == 0
    store.record_turn("Ann", good)  # the store is still usable
    assert store.turn_count() == 1


def test_turns_since_and_limit(store: ProgressStore):
    store.add_reader("Ann")
    store.add_reader("Bo")
    for i in range(6):
        store.record_turn("Ann", turn(i + 1, at=T0 + timedelta(days=i)))
    store.record_turn("Bo", turn(1, at=T0))
    assert len(store.turns()) == 7
    assert [t.page for t in store.turns("Ann", since=T0 + timedelta(days=4))] == [5, 6]
    assert [t.page for t in store.turns("Ann", since="2025-03-07T15:00:00Z")] == [5, 6]
    assert [t.page for t in store.turns("Ann", limit=3)] == [4, 5, 6]  # latest, oldest first
    assert store.turns("Ann", limit=2, with_words=False)[0].challenge_words == ()


def test_challenge_words_ranking(store: ProgressStore):
    store.add_reader("Ann")
    store.add_reader("Bo")
    om, sub, ast = "omitted", "substituted", "assisted"
    script = [
        [("through", sub), ("enormous", ast), ("the", om)],
        [("Through", sub), ("enormous", ast)],
        [("through.", ast), ("puddle", om)],
        [("enormous", om), ("giraffe", sub)],
        [("giraffe", sub)],
        [("puddle", om)],
    ]
    for day, words in enumerate(script):
        cw = tuple(MissedWord(w, k) for w, k in words)
        store.record_turn("Ann", turn(day + 1, at=T0 + timedelta(days=day), challenge_words=cw))
    store.record_turn("Bo", turn(1, challenge_words=(MissedWord("the", om),) * 9))
    ranked = store.challenge_words("ann", limit=4)
    assert [(c.word, c.missed, c.assisted, c.count) for c in ranked] == [
        ("enormous", 1, 2, 3),  # 3, latest miss on day 3
        ("through", 2, 1, 3),  # 3, latest on day 2
        ("puddle", 2, 0, 2),  # ties by most recent first
        ("giraffe", 2, 0, 2),
    ]
    assert ranked[0].last_seen == (T0 + timedelta(days=3)).isoformat()
    # A word missed on one turn only ("the", nine times on Bo's one page) is no challenge
    # word yet: it may be the recognizer not knowing the reader's voice.
    assert len(store.challenge_words("Ann")) == 4
    assert store.challenge_words("Bo") == []
    store.record_turn("Bo", turn(2, challenge_words=(MissedWord("The", om),)))
    assert [(c.word, c.count) for c in store.challenge_words("Bo")] == [("the", 10)]


def test_challenge_words_are_shown_as_the_book_writes_them(store: ProgressStore):
    store.add_reader("Ann")
    om, sub = "omitted", "substituted"
    cw = (MissedWord("Sam,", sub), MissedWord("“Sam", om), MissedWord("The", om),
          MissedWord("the", om), MissedWord("ZOOM!", sub))  # fmt: skip
    store.record_turns("Ann", [turn(1, challenge_words=cw), turn(2, challenge_words=cw)])
    store.record_practice("Ann", "Sam", correct=True)
    ranked = store.challenge_words("Ann")
    # A name keeps its capital; a word the book also writes in lower case is shown so.
    assert [(c.word, c.count, c.practiced) for c in ranked] == [
        ("Sam", 4, 1),
        ("the", 4, 0),
        ("ZOOM", 2, 0),
    ]
    # Grouping and the turn's own record stay case-blind.
    assert [w.word for w in store.turns("Ann")[0].challenge_words] == [
        "sam", "sam", "the", "the", "zoom"
    ]  # fmt: skip


def test_progress_summary(store: ProgressStore):
    store.add_reader("Ann", grade=2)
    day2 = T0 + timedelta(days=1)
    store.record_turn("Ann", turn(1, correct=49, wcpm=40, duration_s=60, at=T0))
    # One minute apart: the same local day in every time zone.
    store.record_turn("Ann", turn(2, correct=46, wcpm=80, duration_s=30, at=T0 + MINUTE))
    store.record_turn("Ann", turn(2, correct=40, wcpm=70, duration_s=40, at=day2))
    store.record_turn("Ann", turn(1, book_title="Moon", book_id="moon", correct=50,
                                  at=day2 + MINUTE))  # fmt: skip
    s = store.progress_summary("ann")
    assert s.reader.name == "Ann" and s.turns == 4 and s.words_read == 200
    assert s.words_correct == 185 and s.reading_s == 178.0
    assert s.pages_read == 3  # pip 1, pip 2, moon 1
    assert [(b.book_id, b.title, b.pages_read, b.turns) for b in s.books] == [
        ("moon", "Moon", 1, 1),
        ("pip-and-the-puddle", "Pip and the Puddle", 2, 3),
    ]
    local = [t.astimezone().date().isoformat() for t in (T0, day2)]
    # Pooled over reading time: (40*60 + 80*30) / 90 = 53.3 and (70*40 + 60*48) / 88 = 64.5.
    assert [(d.date, d.wcpm, d.accuracy, d.turns) for d in s.days] == [
        (local[0], 53.3, 0.95, 2),
        (local[1], 64.5, 0.9, 2),
    ]
    assert s.wcpm_trend[0] == (local[0], 53.3)
    assert s.band_trend == [(local[0], "independent"), (local[1], "instructional")]
    assert s.band_counts == {"independent": 2, "instructional": 1, "frustration": 1}
    empty = store.add_reader("New")
    assert store.progress_summary(empty.name).days == []


# --------------------------------------------------------------------------- concurrency


def test_threads_and_a_second_connection(store: ProgressStore):
    store.add_reader("Ann")

    def writer(k: int) -> None:
        for i in range(10):
            store.record_turn("Ann", turn(k * 100 + i))

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    with ProgressStore(store.path) as other:  # e.g. `sidekick report` while the app runs
        other.turns("Ann")
    for t in threads:
        t.join()
    with ProgressStore(store.path) as other:
        assert other.turn_count("Ann") == 40


CHILD = textwrap.dedent(
    """
    import sys
    from sidekick.progress.records import MissedWord, TurnRecord
    from sidekick.progress.store import ProgressStore
    store = ProgressStore(sys.argv[1])
    assert store.recovered is None, store.recovered
    if store.find_reader("Kid") is None:
        store.add_reader("Kid")
    start = int(sys.argv[2])
    print("ready", flush=True)
    i = start
    while True:
        words = tuple(MissedWord(f"w{i}-{k}", "omitted") for k in range(5))
        store.record_turn("Kid", TurnRecord("Book", "book", i, 40, 35, omitted=5, wcpm=50.0,
                                            accuracy=0.875, duration_s=42.0,
                                            challenge_words=words))
        print(i, flush=True)  # only after the commit returned
        i += 1
    """
)


def test_sigkill_loses_no_finished_turn(tmp_path: Path):
    path = tmp_path / "progress.sqlite3"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    committed: list[int] = []
    for round_, kill_after in enumerate((25, 60, 7)):
        start = 1000 * (round_ + 1)
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(path), str(start)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
        assert child.stdout.readline().strip() == "ready", child.stderr.read()
        for _ in range(kill_after):
            committed.append(int(child.stdout.readline()))
        os.kill(child.pid, signal.SIGKILL)  # mid-loop: quite possibly mid-transaction
        rest = child.stdout.read()  # anything printed before it died was committed too
        committed += [int(x) for x in rest.split()]
        child.wait(timeout=10)
        assert child.returncode == -signal.SIGKILL

        with ProgressStore(path) as s:
            assert s.recovered is None
            assert s._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            stored = {t.page: t for t in s.turns("Kid")}
            assert set(committed) <= set(stored)
            assert len(stored) - len(committed) <= round_ + 1  # at most the turn in flight
            for t in stored.values():  # no half-written turn
                assert len(t.challenge_words) == 5
