"""Sidekick through real sound devices: a private PulseAudio server's virtual microphone and
speaker (tests/virtual_sound.py; Debian: pulseaudio, pulseaudio-utils, libasound2-plugins).

    .venv/bin/python -m tests.benchmarks.bench_devices [--books N] [--soak-s 600] [--json F]
    .venv/bin/python -m tests.benchmarks.bench_devices --only soak --soak-s 600 > soak.log

Measures, on this machine:
  1. highlight delay: page 1 of each book, read by the standard voice, is played into the
     virtual microphone in real time; for each word, the wall-clock time its ``word_read``
     event arrives minus the time the end of that word was played (word ends from the
     voice's own phoneme durations). Targets: median <= 0.25 s, 90th percentile <= 0.8 s;
  2. time to first audio of a Sidekick turn: ``turn_start`` until Sidekick's voice is heard
     on the speaker's monitor, for turns that follow another turn (target: median <= 0.35 s),
     and for a session's very first turn (nothing could be made ahead of it);
  3. soak: the child and Sidekick take turns through the first book again and again (child
     pages played into the microphone, Sidekick's pages played on the speaker, the standard
     voice); the first pass through the book is warm-up (each page's words are looked up
     once), then it goes on for ``--soak-s`` seconds. Counts the blocks PortAudio reported
     as overflowed (microphone) or underflowed (speaker) over the whole run, and the growth
     of the process's memory (RSS) from the end of the warm-up to the end. Targets: zero
     overruns/underruns, < 10% memory growth over 10 minutes.
"""

from __future__ import annotations

import argparse
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

from tests.benchmarks.run import highlight_figures, show_results, speak_with_word_ends
from tests.virtual_sound import SPEAKER, VirtualSound

SILENCE_DB = -50.0  # dBFS: quieter than this on the speaker's monitor is silence


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _pcm16(path: Path) -> tuple[bytes, int]:
    audio, rate = sf.read(path, dtype="int16")
    return audio.tobytes(), rate


class _Player:
    """Plays PCM into the virtual microphone on a thread; notes when it began."""

    def __init__(self, sound: VirtualSound, rate: int) -> None:
        self.proc = sound.mic_player(rate)
        self.rate = rate
        self.started: float | None = None
        self.done = threading.Event()

    def play(self, pcm: bytes) -> None:
        self.done.clear()

        def feed() -> None:
            assert self.proc.stdin is not None
            self.started = time.monotonic() + 0.02  # pacat's buffer (--latency-msec=20)
            self.proc.stdin.write(pcm)
            self.proc.stdin.flush()
            time.sleep(0.1)
            # write() returns when pacat has taken the last bytes: wait until they are played
            time.sleep(max(0.0, self.started + len(pcm) / (2 * self.rate) - time.monotonic()))
            self.done.set()

        threading.Thread(target=feed, daemon=True).start()

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.terminate()
        self.proc.wait(timeout=5)


class _SpeakerMonitor:
    """Listens to the speaker (parec on its monitor) and notes when sound is first heard
    after :meth:`arm`."""

    RATE = 16_000
    BLOCK = 160  # 10 ms

    def __init__(self, sound: VirtualSound) -> None:
        self.proc = subprocess.Popen(
            ["parec", "-d", f"{SPEAKER}.monitor", f"--rate={self.RATE}", "--channels=1",
             "--format=s16le", "--raw", "--latency-msec=10"],
            env=sound.env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.heard: float | None = None
        self._armed = False
        threading.Thread(target=self._read, daemon=True).start()

    def arm(self) -> None:
        self.heard, self._armed = None, True

    def _read(self) -> None:
        assert self.proc.stdout is not None
        floor = 32768 * 10 ** (SILENCE_DB / 20)
        while block := self.proc.stdout.read(2 * self.BLOCK):
            if self._armed and np.abs(np.frombuffer(block, np.int16)).max() > floor:
                # the block's first sample was played about one block before it arrived
                self.heard, self._armed = time.monotonic() - self.BLOCK / self.RATE, False

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=5)


def _session(book, settings, on_event, **kw):
    from sidekick.turns.session import ReadingSession

    return ReadingSession(book, settings, on_event, **kw)


def bench_highlight(sound: VirtualSound, books: list, engine: str | None) -> dict:
    from sidekick.settings import Settings, Share
    from sidekick.turns import events as ev

    delays: list[float] = []
    coverage: list[float] = []
    engine_name = ""
    for book in books:
        with tempfile.TemporaryDirectory() as tmp:
            wav = Path(tmp) / "child.wav"
            ends = speak_with_word_ends(book.pages[0].text, wav)
            pcm, rate = _pcm16(wav)
            player = _Player(sound, rate)
            lit: dict[int, float] = {}
            holder: list = []

            def on_event(e: ev.Event, lit=lit, holder=holder, player=player, pcm=pcm) -> None:
                if isinstance(e, ev.TurnStart):
                    player.play(pcm)
                elif isinstance(e, ev.WordRead):
                    lit[e.index] = time.monotonic()
                elif isinstance(e, ev.TurnEnd):
                    holder[0].stop()

            settings = Settings(share=Share.TAKE_TURNS, engine=engine, speech_out=tmp)
            session = _session(book, settings, on_event)
            holder.append(session)
            thread = threading.Thread(target=session.run)
            thread.start()
            while thread.is_alive() and not player.done.wait(0.1):
                pass
            if thread.is_alive():  # the last words were not heard: end the turn
                time.sleep(2.0)
                session.end_turn()
            thread.join()
            player.close()
            engine_name = session.engine_name
            assert player.started is not None
            delays += [lit[i] - (player.started + end) for i, end in enumerate(ends)
                       if end is not None and i in lit]  # fmt: skip
            coverage.append(len(lit) / len(ends))
    return highlight_figures(engine_name, delays, coverage)


def bench_first_audio(sound: VirtualSound, books: list, voice_name: str | None) -> dict:
    """Sidekick reads pages 1-4 of each book; each turn is ended PLAY_S after its voice was
    first heard (as if the child pressed "next"). The session's first turn is reported
    apart: only later turns can have their first sentence made during the turn before."""
    from sidekick.audio.sinks import SpeakerSink
    from sidekick.settings import Settings, Share
    from sidekick.speaking.registry import load_voice
    from sidekick.turns import events as ev

    play_s = 3.0
    voice = load_voice(voice_name or Settings().voice)
    monitor = _SpeakerMonitor(sound)
    time.sleep(0.5)
    firsts, later, handed = [], [], []
    for book in books:
        sink = SpeakerSink()
        start: list[float] = []

        def on_event(e: ev.Event, start=start) -> None:
            if isinstance(e, ev.TurnStart):
                monitor.arm()
                start.append(time.monotonic())

        session = _session(book, Settings(share=Share.SIDEKICK), on_event, voice=voice,
                           sink=sink)  # fmt: skip
        thread = threading.Thread(target=session.run)
        thread.start()
        for turn in range(4):
            deadline = time.monotonic() + 15
            while (len(start) <= turn or monitor.heard is None) and time.monotonic() < deadline:
                time.sleep(0.005)
            if monitor.heard is None:
                raise SystemExit("Sidekick's voice never reached the speaker")
            (firsts if turn == 0 else later).append(monitor.heard - start[turn])
            handed.append((sink.first_audio or monitor.heard) - start[turn])
            time.sleep(play_s)
            session.end_turn() if turn < 3 else session.stop()
        thread.join()
    monitor.close()
    return {"voice": voice.name,
            "sidekick_first_audio_heard_median_s": round(statistics.median(later), 3),
            "sidekick_first_audio_heard_max_s": round(max(later), 3),
            "sidekick_first_audio_to_device_median_s": round(statistics.median(handed), 3),
            "session_first_turn_first_audio_heard_median_s":
                round(statistics.median(firsts), 3)}  # fmt: skip


def bench_soak(sound: VirtualSound, books: list, seconds: float, engine: str | None) -> dict:
    """Turns through both devices for ``seconds``; overruns, underruns and memory growth."""
    from sidekick.audio import sources
    from sidekick.audio.sinks import SpeakerSink
    from sidekick.books.parse import parse_book_text
    from sidekick.settings import Settings, Share
    from sidekick.turns import events as ev

    pages = [p.text for p in books[0].pages]
    text = "\n\n---\n\n".join(pages * 40)  # the book again and again: more than the soak reads
    book = parse_book_text(text, name="soak")
    mics: list[sources.MicrophoneSource] = []
    real_mic = sources.MicrophoneSource

    class CountedMic(real_mic):  # type: ignore[misc, valid-type]
        def __init__(self, *a, **kw) -> None:
            super().__init__(*a, **kw)
            mics.append(self)

    sources.MicrophoneSource = CountedMic  # the session makes one per child turn
    with tempfile.TemporaryDirectory() as tmp:
        audio: dict[str, tuple[bytes, int]] = {}
        for i, page_text in enumerate(pages):
            wav = Path(tmp) / f"{i}.wav"
            speak_with_word_ends(page_text, wav)
            audio[page_text] = _pcm16(wav)
        rate = next(iter(audio.values()))[1]
        player = _Player(sound, rate)
        sink = SpeakerSink()
        t0 = time.monotonic()
        warm: list[float] = []  # when the second pass through the book began
        rss: list[tuple[float, float]] = []
        counts = {"child_turns": 0, "sidekick_turns": 0, "words_lit": 0, "helped": 0}
        current: list = [None]

        def on_event(e: ev.Event) -> None:
            if isinstance(e, ev.TurnStart):
                if e.page == len(pages) + 1:
                    warm.append(time.monotonic())
                counts[f"{e.reader}_turns"] += 1
                if e.reader == "child":
                    player.play(audio[book.pages[e.page - 1].text][0])
                current[0] = e
            elif isinstance(e, ev.WordRead):
                counts["words_lit"] += 1
            elif isinstance(e, ev.StuckWordHelped):
                counts["helped"] += 1

        settings = Settings(share=Share.TAKE_TURNS, engine=engine, voice="standard")
        session = _session(book, settings, on_event, sink=sink)
        thread = threading.Thread(target=session.run)
        thread.start()
        next_sample = t0
        while thread.is_alive():
            now = time.monotonic()
            if now >= next_sample:
                rss.append((now - t0, _rss_mb()))
                print(f"{now - t0:7.1f} s  rss {rss[-1][1]:.1f} MB  {counts}  "
                      f"overruns {sum(m.overruns for m in mics)}  underruns {sink.underruns}",
                      flush=True)  # fmt: skip
                next_sample += 10
            turn = current[0]
            if turn is not None and turn.reader == "child" and player.done.is_set():
                time.sleep(3.0)  # the tracker may not have heard the last word: end the turn
                if current[0] is turn:
                    session.end_turn()
            if warm and now - warm[0] >= seconds:
                session.stop()
            time.sleep(0.1)
        thread.join()
        player.close()
    sources.MicrophoneSource = real_mic
    base = next(r for t, r in rss if t >= warm[0] - t0)
    return {"soak_s": round(time.monotonic() - warm[0], 1),
            "warm_up_s": round(warm[0] - t0, 1), **counts,
            "mic_overruns": sum(m.overruns for m in mics), "speaker_underruns": sink.underruns,
            "rss_after_warm_up_mb": round(base, 1), "rss_end_mb": round(rss[-1][1], 1),
            "rss_growth_pct": round(100 * (rss[-1][1] - base) / base, 2)}  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--engine", choices=["vosk", "pocketsphinx"])
    p.add_argument("--books", type=int, default=3, help="how many bundled books to use")
    p.add_argument("--voice", help="Sidekick's voice for the first-audio figure (default: "
                   "the app's default)")  # fmt: skip
    p.add_argument("--soak-s", type=float, default=600.0, help="soak length (default 600 s)")
    p.add_argument("--only", choices=["highlight", "first-audio", "soak"], action="append",
                   help="run only these (repeatable); default: all")  # fmt: skip
    p.add_argument("--json", type=Path, help="also write the figures here")
    args = p.parse_args()

    from sidekick.audio.devices import refresh_devices
    from sidekick.books.library import list_books

    books = [b for b in list_books()[0] if b.bundled][: args.books]
    sound = VirtualSound().start()
    os.environ.update(sound.exports)
    refresh_devices()
    results: dict[str, object] = {"machine": f"{os.cpu_count()} cores"}
    try:
        for label, fn in [
            ("highlight", lambda: bench_highlight(sound, books, args.engine)),
            ("first-audio", lambda: bench_first_audio(sound, books, args.voice)),
            ("soak", lambda: bench_soak(sound, books, args.soak_s, args.engine)),
        ]:
            if args.only and label not in args.only:
                continue
            print(f"running {label} ...", file=sys.stderr, flush=True)
            results.update(fn())
    finally:
        sound.stop()
    show_results(results, args.json)


if __name__ == "__main__":
    main()
