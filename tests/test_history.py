"""Readers and history through the real CLI: a headless turn is stored (scores, never audio)
and comes back in reports."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest

from sidekick.books.library import find_book
from sidekick.progress.store import ProgressStore

pytestmark = pytest.mark.slow


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sidekick", *args], capture_output=True,
                          text=True, timeout=300)  # fmt: skip


def test_reader_turns_are_stored_and_reported(tmp_path, speak_to_wav):
    book = find_book("sam-and-the-red-hat")
    wav = speak_to_wav(book.pages[0].text, tmp_path / "p1.wav")
    assert cli("readers", "add", "Mia", "--grade", "1").returncode == 0
    dup = cli("readers", "add", "mia")
    assert dup.returncode == 2 and "already" in dup.stderr
    run = cli(
        "read",
        "sam-and-the-red-hat",
        "--child-audio",
        str(wav),
        "--speaker-out",
        str(tmp_path / "out"),
        "--reader",
        "Mia",
        "--engine",
        "pocketsphinx",
        "--json",
    )
    assert run.returncode == 0, run.stderr
    checked = [json.loads(x) for x in run.stdout.splitlines() if '"reading_checked"' in x]
    assert len(checked) == 1

    with ProgressStore() as store:
        (turn,) = store.turns("Mia")
    assert turn.page == 1 and turn.words_total == len(book.pages[0].words)
    assert turn.words_correct == checked[0]["summary"]["words_correct"]
    assert turn.accuracy >= 0.9

    out = cli("report", "--reader", "Mia", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out.stdout.lstrip("\ufeff"))))
    assert len(rows) == 1 and rows[0]["reader"] == "Mia" and rows[0]["book"] == book.title
    assert cli("readers", "list").stdout.startswith("Mia")

    unknown = cli(
        "read",
        "sam-and-the-red-hat",
        "--child-audio",
        str(wav),
        "--speaker-out",
        str(tmp_path / "out"),
        "--reader",
        "Ben",
    )
    assert unknown.returncode == 2 and "readers add" in unknown.stderr

    removed = cli("readers", "remove", "Mia", "--yes")
    assert removed.returncode == 0 and "1 turns" in removed.stdout
    # No audio anywhere in the data directory: only the database (and caches).
    from sidekick.paths import data_dir

    assert not [p for p in data_dir().rglob("*") if p.suffix.lower() in (".wav", ".raw", ".pcm")]
