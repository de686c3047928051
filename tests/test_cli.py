"""The command line: clear one-line errors (no tracebacks) for everything a user can get wrong."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sidekick.cli import main


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    import os

    return subprocess.run(
        [sys.executable, "-m", "sidekick", *args], capture_output=True, text=True, timeout=120,
        env={**os.environ, **(env or {})},
    )  # fmt: skip


def assert_one_line_error(proc: subprocess.CompletedProcess, *fragments: str) -> None:
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    for f in fragments:
        assert f.lower() in lines[0].lower(), lines[0]


@pytest.fixture
def child_wav(tmp_path: Path, speak_to_wav) -> Path:
    return speak_to_wav("The cat sat.", tmp_path / "kid.wav")


def test_help_teaches():
    out = run_cli("--help")
    assert out.returncode == 0
    for word in ("read", "say", "models", "setup", "examples", "never written to disk"):
        assert word in out.stdout


def test_assess_help_explains_every_option(capsys):
    """Every option of ``assess`` says what it does, and the bands read as percentages."""
    import argparse

    from sidekick.cli import build_parser

    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assess = commands.choices["assess"]
    assert all(a.help for a in assess._actions), [a.dest for a in assess._actions if not a.help]
    with pytest.raises(SystemExit) as done:
        main(["assess", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "95%, instructional 90-94%" in " ".join(out.split()) and "%%" not in out


def test_missing_book(tmp_path):
    proc = run_cli(
        "read", str(tmp_path / "nope.md"), "--child-audio", "x.wav", "--speaker-out", str(tmp_path)
    )
    assert_one_line_error(proc, "nope")


def test_binary_book(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(bytes(range(256)) * 4)
    assert_one_line_error(run_cli("app", str(bad)), "bad.txt")


def test_empty_book(tmp_path):
    empty = tmp_path / "empty.md"
    empty.write_text("")
    assert_one_line_error(run_cli("app", str(empty)), "empty.md")


def test_unknown_bundled_book():
    assert_one_line_error(run_cli("app", "no-such-story"), "no-such-story")


def test_no_microphone_in_headless_mode(tmp_path):
    # These machines have no audio devices: asking for the microphone is a clear error.
    proc = run_cli(
        "read", "sam-and-the-red-hat", "--child-audio", "mic", "--speaker-out", str(tmp_path)
    )
    assert_one_line_error(proc, "microphone")


def test_no_english_vosk_model(tmp_path, child_wav):
    proc = run_cli(
        "read",
        str(_a_book(tmp_path)),
        "--child-audio",
        str(child_wav),
        "--speaker-out",
        str(tmp_path / "out"),
        "--engine",
        "vosk",
    )
    assert_one_line_error(proc, "vosk", "models install")


def test_broken_vosk_model_dir(tmp_path, child_wav):
    broken = tmp_path / "vosk-model-broken"
    (broken / "am").mkdir(parents=True)
    (broken / "am" / "final.mdl").write_bytes(b"not a model")
    proc = run_cli(
        "read",
        str(_a_book(tmp_path)),
        "--child-audio",
        str(child_wav),
        "--speaker-out",
        str(tmp_path / "out"),
        "--vosk-model",
        str(broken),
    )
    assert_one_line_error(proc, str(broken.name))


def test_say_writes_a_wav(tmp_path):
    import soundfile as sf

    out = tmp_path / "hi.wav"
    assert main(["say", "Hello there, reader!", "-o", str(out)]) == 0
    info = sf.info(out)
    assert info.samplerate == 22050 and info.duration > 0.5


def test_say_to_an_unwritable_place(tmp_path, capsys):
    assert main(["say", "Hello.", "-o", str(tmp_path / "no" / "such" / "dir.wav")]) == 2
    assert "the folder" in (err := capsys.readouterr().err) and "does not exist" in err


def test_bad_rate(tmp_path, capsys):
    assert (
        main(
            [
                "read",
                str(_a_book(tmp_path)),
                "--child-audio",
                "x",
                "--speaker-out",
                "y",
                "--rate",
                "3",
            ]
        )
        == 2
    )
    assert "--rate" in capsys.readouterr().err


def _a_book(tmp_path: Path) -> Path:
    book = tmp_path / "cat.md"
    book.write_text("# The Cat\n\nThe cat sat.\n")
    return book
