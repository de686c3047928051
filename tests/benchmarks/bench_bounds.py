"""Bad inputs, bounded: each gives a plain message (or works) within 10 s and 500 MB.

    .venv/bin/python -m tests.benchmarks.bench_bounds [--only NAME] [--json F]

Builds each bad input of issue 24 in a temporary folder, then runs the real ``sidekick``
command on it in a fresh process and prints its wall time, its peak memory (max RSS of the
process, from ``wait4``), its exit status and the first line it printed:

* a book with a 100,000-character "word" (``assess`` on its page, and ``read`` with Sidekick
  reading the page aloud);
* a 4.9 MB text without sentence breaks (refused), and the same text in the user's library
  (``sidekick books``);
* a 0.99 MB text without sentence breaks (under the limit: read in full, in the library of
  another user);
* an EPUB of five 9.9 MB chapters (97 KB zipped), and one listing a chapter 4,000 times;
* a WAV header claiming 1 Hz, a 0.1 s clip, ten minutes of silence (``assess``, and a child
  turn in ``read``).

The child's reading (where one is needed) is made by Sidekick's standard voice first
(``sidekick say``); that step is not timed. Each run is killed after 120 s.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import wave
import zipfile
from pathlib import Path

import numpy as np

TIME_TARGET_S = 10.0
MEMORY_TARGET_MB = 500.0
KILL_AFTER_S = 120.0
PASSAGE = "Sam saw a big red fox. The fox ran home."
WORDS = "the cat dog ran sat big red sun hat pig box fox hen mud".split()


def _run(args: list[str], home: Path) -> dict:
    """Run ``python -m sidekick ARGS`` in a fresh process; wall time, peak RSS, output."""
    env = {**os.environ, "SIDEKICK_HOME": str(home), "PYTHONPATH": os.getcwd()}
    with tempfile.TemporaryFile() as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "sidekick", *args], stdout=out, stderr=subprocess.STDOUT,
            env=env,
        )  # fmt: skip
        killed = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - t0 > KILL_AFTER_S:
                proc.kill()
                killed = True
            time.sleep(0.02)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        lines = [ln.strip() for ln in out.read().decode("utf-8", "replace").splitlines()]
    shown = next(
        (ln for tag in ("sidekick:", "problem:", "note:") for ln in lines if ln.startswith(tag)),
        lines[-1] if lines else "",
    )
    return {
        "exit": "killed" if killed else proc.returncode,
        "wall_s": round(wall, 2),
        "peak_mb": round(usage.ru_maxrss / 1024, 1),
        "said": shown[:110],
    }


def _epub(chapters: list[tuple[str, bytes]], spine: list[str]) -> bytes:
    """An EPUB with ``chapters`` (name, XHTML bytes) and the spine listing ``spine`` ids."""
    manifest = "".join(
        f'<item id="{name}" href="{name}.xhtml" media-type="application/xhtml+xml"/>'
        for name, _ in chapters
    )
    refs = "".join(f'<itemref idref="{name}"/>' for name in spine)
    opf = (
        '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0">'
        '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Bomb</dc:title>'
        f"</metadata><manifest>{manifest}</manifest><spine>{refs}</spine></package>"
    )
    container = (
        '<?xml version="1.0"?><container version="1.0" '
        'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
        '<rootfile full-path="content.opf" media-type="application/oebps-package+xml"/>'
        "</rootfiles></container>"
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        z.writestr("META-INF/container.xml", container)
        z.writestr("content.opf", opf)
        for name, data in chapters:
            z.writestr(f"{name}.xhtml", data)
    return buf.getvalue()


def _no_breaks(size: int, seed: int = 1) -> str:
    rng = random.Random(seed)
    text = " ".join(rng.choice(WORDS) for _ in range(size // 3))
    return text[:size]


def _wav(path: Path, audio: np.ndarray, rate: int) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def build_inputs(folder: Path, home: Path) -> dict[str, list[str]]:
    """The bad inputs in ``folder``; name -> sidekick arguments (``--home DIR`` first: run
    with that user data folder instead of ``home``)."""
    reading = folder / "reading.wav"
    made = _run(["say", PASSAGE, "-o", str(reading), "--voice", "standard"], home)
    if made["exit"] != 0:
        raise SystemExit(f"could not make the reading: {made['said']}")
    import soundfile as sf

    speech, rate = sf.read(reading, dtype="float32")
    word = folder / "long-word.txt"
    word.write_text(f"Sam saw a {'a' * 100_000} and ran home.\n", encoding="utf-8")
    big = folder / "no-breaks-4.9mb.txt"
    big.write_text(_no_breaks(4_900_000), encoding="utf-8")
    other = folder.parent / "other-home"
    (other / "books").mkdir(parents=True, exist_ok=True)
    (other / "books" / "no-breaks-0.99mb.txt").write_text(_no_breaks(990_000), encoding="utf-8")
    library = home / "books"
    library.mkdir(parents=True, exist_ok=True)
    (library / big.name).write_bytes(big.read_bytes())
    chapter = b"<html><body><p>" + b"a " * 4_950_000 + b"</p></body></html>"
    bomb = folder / "five-9.9mb-chapters.epub"
    bomb.write_bytes(_epub([(f"c{i}", chapter) for i in range(5)], [f"c{i}" for i in range(5)]))
    story = "<html><body>" + "<p>" + " ".join(PASSAGE.split() * 200) + "</p></body></html>"
    repeated = folder / "one-chapter-4000-times.epub"
    repeated.write_bytes(_epub([("c0", story.encode())], ["c0"] * 4000))
    one_hz = _wav(folder / "header-1hz.wav", speech[:rate], 1)
    short = _wav(folder / "clip-0.1s.wav", speech[int(0.5 * rate) : int(0.6 * rate)], rate)
    silence = _wav(folder / "silence-10min.wav", np.zeros(600 * 16_000, np.float32), 16_000)
    out = folder / "speech-out"
    assess = ["assess", "--engine", "pocketsphinx", "--audio"]
    return {
        "100,000-char word: assess page": [*assess, str(reading), "--book", str(word)],
        "100,000-char word: Sidekick reads it": [
            "read", str(word), "--child-audio", str(reading), "--speaker-out", str(out),
            "--share", "sidekick", "--voice", "standard",
        ],
        "4.9 MB text without sentence ends": [*assess, str(reading), "--book", str(big)],
        "4.9 MB text in the library (books)": ["books"],
        "0.99 MB text in the library (books)": ["--home", str(other), "books"],
        f"EPUB, five 9.9 MB chapters ({bomb.stat().st_size // 1000} KB)": [
            *assess, str(reading), "--book", str(bomb),
        ],
        "EPUB, one chapter listed 4,000 times": [*assess, str(reading), "--book", str(repeated)],
        "WAV header claiming 1 Hz": [*assess, str(one_hz), "--text", PASSAGE],
        "0.1 s clip": [*assess, str(short), "--text", PASSAGE],
        "10 minutes of silence: assess": [*assess, str(silence), "--text", PASSAGE],
        "10 minutes of silence: a child turn": [
            "read", str(word), "--child-audio", str(silence), "--speaker-out", str(out),
            "--voice", "standard", "--engine", "pocketsphinx",
        ],
    }  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", help="run only the inputs whose name contains this")
    ap.add_argument("--json", metavar="F", help="also write the results as JSON")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="sidekick-bounds-") as tmp:
        folder, home = Path(tmp) / "inputs", Path(tmp) / "home"
        folder.mkdir()
        home.mkdir()
        inputs = build_inputs(folder, home)
        results = {}
        print(f"{'input':42} {'exit':>6} {'wall s':>7} {'peak MB':>8}  ok  message")
        for name, cmd in inputs.items():
            if args.only and args.only.lower() not in name.lower():
                continue
            r = _run(cmd[2:], Path(cmd[1])) if cmd[0] == "--home" else _run(cmd, home)
            r["ok"] = r["wall_s"] <= TIME_TARGET_S and r["peak_mb"] <= MEMORY_TARGET_MB
            results[name] = r
            print(f"{name:42} {r['exit']!s:>6} {r['wall_s']:7.2f} {r['peak_mb']:8.1f}  "
                  f"{'yes' if r['ok'] else 'NO ':3} {r['said']}", flush=True)  # fmt: skip
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
