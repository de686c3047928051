"""A perfect reading of each bundled book's first page by each espeak-ng English accent.

    .venv/bin/python -m tests.benchmarks.reading_eval.accents [--engine pocketsphinx|vosk]
        [--accents en-gb,en-029,...] [--json OUT.json]

Every word is read exactly as written, so every word the check does not accept is a false
rejection. Each page is checked as a new reader's first page (``Assessor.assess_wav``); the
practice words are the app's own: each accent's three turns go into a fresh progress store
as one reader's, and the store lists that reader's challenge words (what the Practice
screen would offer, with how often each was missed). The target: accuracy >= 95% on every
page and no practice words.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import soundfile as sf

from tests.benchmarks.reading_eval.families import VOICES

#: espeak-ng's English accents (the MBROLA voices are in the evaluation's families).
ACCENTS = ("en-gb", "en-gb-scotland", "en-gb-x-rp", "en-gb-x-gbclan", "en-gb-x-gbcwmd",
           "en-029", "en-us-nyc", "en-us")  # fmt: skip
MIN_ACCURACY = 0.95


def first_pages() -> list[tuple[str, str]]:
    """(title, first page text) of every bundled book."""
    from sidekick.books.library import list_books

    books, _ = list_books()
    return [(b.title, b.pages[0].text) for b in books if b.bundled and b.pages]


def read_aloud(accent: str, text: str, wav: Path) -> None:
    """``text`` said by espeak-ng's ``accent`` at a reading pace, into ``wav``."""
    from tests.benchmarks.reading_eval.voices import espeak_say

    audio, sr = espeak_say(VOICES[accent].id, text)
    sf.write(wav, audio, sr, subtype="PCM_16")


def practice_words(results: Sequence[tuple[str, dict]]) -> list[tuple[str, int]]:
    """The words the app would offer for practice after these turns by one reader, with
    how many times each was missed or helped."""
    from sidekick.progress.store import ProgressStore, TurnRecord

    with tempfile.TemporaryDirectory() as tmp:
        store = ProgressStore(Path(tmp) / "progress.sqlite3")
        try:
            store.add_reader("Reader")
            for page, (title, result) in enumerate(results, 1):
                turn = TurnRecord.from_result(result, book_title=title, book_id=title, page=page)
                store.record_turn("Reader", turn)
            return [(w.word, w.missed + w.assisted) for w in store.challenge_words("Reader")]
        finally:
            store.close()


def run(engine: str, accents: Sequence[str]) -> dict:
    from sidekick.reading.assessor import Assessor

    assessor = Assessor(engine=engine)
    pages = first_pages()
    out: dict = {"engine": assessor.engine_name, "accents": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for accent in accents:
            results, rows = [], []
            for title, text in pages:
                wav = Path(tmp) / f"{accent}.wav"
                read_aloud(accent, text, wav)
                result = assessor.assess_wav(text, wav)
                results.append((title, result))
                missed = [(w["word"], w["status"], w.get("heard")) for w in result["words"]
                          if w["status"] not in ("correct", "self_corrected")]  # fmt: skip
                rows.append({"book": title, "accuracy": result["summary"]["accuracy"],
                             "words": len(result["words"]), "not_accepted": missed})  # fmt: skip
            practice = practice_words(results)
            worst = min(r["accuracy"] for r in rows)
            out["accents"][accent] = {"pages": rows, "practice": practice,
                                      "ok": worst >= MIN_ACCURACY and not practice}  # fmt: skip
    return out


def table(result: dict) -> str:
    titles = [p["book"] for p in next(iter(result["accents"].values()))["pages"]]
    head = ("accent", *[t[:28] for t in titles], "practice words", "target")
    rows = [head]
    for accent, a in result["accents"].items():
        practice = ", ".join(f"{w} {n}" for w, n in a["practice"]) or "none"
        rows.append((accent, *[f"{100 * p['accuracy']:.0f}%" for p in a["pages"]], practice,
                     "ok" if a["ok"] else "MISS"))  # fmt: skip
    widths = [max(len(r[k]) for r in rows) for k in range(len(head))]
    lines = [f"engine: {result['engine']}; target: every page >= 95% accuracy, no practice words"]
    for k, r in enumerate(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--engine", choices=("pocketsphinx", "vosk"), default="pocketsphinx")
    ap.add_argument("--accents", default=",".join(ACCENTS), help="comma-separated")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    accents = args.accents.split(",")
    unknown = [a for a in accents if a not in VOICES or VOICES[a].engine != "espeak"]
    if unknown:
        ap.error(f"not espeak-ng voices of families.py: {unknown}")
    t0 = time.time()
    try:
        result = run(args.engine, accents)
    except RuntimeError as e:  # e.g. espeak-ng missing
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(table(result))
    print(f"{len(accents)} accents in {time.time() - t0:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
