"""End to end through the real CLI: the standard voice reads page 1 as "the child", headless
mode follows it with pocketsphinx, and Sidekick's next turn is checked by Whisper."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from sidekick.books.library import list_books
from tests.conftest import word_error_rate

pytestmark = pytest.mark.slow


def sidekick(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sidekick", *args], capture_output=True, text=True, timeout=300
    )


def early_reader():
    books, _ = list_books()
    bundled = [b for b in books if b.bundled]
    return next((b for b in bundled if "early" in b.level.lower()), bundled[0])


def test_child_turn_then_sidekick_turn(tmp_path, transcribe):
    book = early_reader()
    page1, page2 = book.pages[0], book.pages[1]
    child = tmp_path / "child"
    child.mkdir()
    said = sidekick("say", page1.text, "--voice", "standard", "-o", str(child / "001.wav"))
    assert said.returncode == 0, said.stderr

    out = tmp_path / "speech"
    run = sidekick(
        "read", str(book.path), "--child-audio", str(child), "--speaker-out", str(out),
        "--share", "take-turns", "--engine", "pocketsphinx", "--json",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    events = [json.loads(line) for line in run.stdout.splitlines() if line.strip()]
    start = next(e for e in events if e["event"] == "session_start")
    from sidekick.speaking.registry import default_voice

    assert start["engine"] == "pocketsphinx" and start["voice"] == default_voice()
    assert start["plan"][:2] == ["child", "sidekick"]

    starts = [e for e in events if e["event"] == "turn_start"]
    assert [(e["reader"], e["page"]) for e in starts] == [("child", 1), ("sidekick", 2)]

    read = {e["index"] for e in events if e["event"] == "word_read" and e["page"] == 1}
    assert len(read) >= 0.95 * len(page1.words), (len(read), len(page1.words))
    times = [e["t"] for e in events if e["event"] == "word_read"]
    assert times == sorted(times)
    praise = [e["text"] for e in events if e["event"] == "praise"]
    assert len(praise) == 1 and praise[0]

    written = [e["path"] for e in events if e["event"] == "speech_written"]
    assert len(written) == 1  # Sidekick's turn (page 2) as one WAV; then child audio ran out
    wer = word_error_rate(page2.text, transcribe(written[0]))
    assert wer <= 0.15, wer
