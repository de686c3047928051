"""A blind A/B voice preference test: which voice would you rather hear read a story to a child?

Each trial plays one short passage in both voices, in a random order, labelled only "Voice 1"
and "Voice 2"; the listener prefers the first, the second, or neither. The answers are mapped
back to the voices and summed up with an exact two-sided sign test (binomial, p = 0.5) over
the trials with a preference. Results (never audio) are saved as JSON in the user data
directory.

The statistics and the trial plan are pure functions; :class:`PreferencePlayer` does the
audio (voices through the app's sinks) and is blocking, for a worker thread. No Textual here.
"""

from __future__ import annotations

import json
import random
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from math import comb
from pathlib import Path
from typing import Any, Literal

import numpy as np

from sidekick import paths
from sidekick.errors import SidekickError

QUESTION = "Which voice would you rather hear read a story to a child?"
FIRST, SECOND, NO_PREFERENCE = "first", "second", "none"
ANSWERS = (FIRST, SECOND, NO_PREFERENCE)
Role = Literal["a", "b"]
DEFAULT_TRIALS = 10
MIN_WORDS, MAX_WORDS = 12, 35  # passages made from the books: short, but more than a phrase
SIGNIFICANCE = 0.05
RESULTS_FOLDER = "voice-preference"  # in the user data directory
TARGET_RMS = 0.08  # both versions of a passage are played at the same loudness
PEAK = 0.97
SENTENCE_PAUSE_S = 0.3
GAP_S = 1.0  # silence between the two versions on the speaker


@dataclass(frozen=True)
class Trial:
    """One passage, heard in both voices; ``order`` is the roles in play order."""

    number: int  # from 1
    passage: str
    order: tuple[Role, Role]  # ("a", "b"): voice A plays first

    def preferred(self, answer: str) -> Role | None:
        """The role (voice) an answer about the play order prefers; None for no preference."""
        if answer not in ANSWERS:
            raise ValueError(f"answer must be one of {ANSWERS}, not {answer!r}")
        if answer == NO_PREFERENCE:
            return None
        return self.order[0] if answer == FIRST else self.order[1]


# -- passages -------------------------------------------------------------------------------
def group_sentences(
    sentences: Iterable[str], min_words: int = MIN_WORDS, max_words: int = MAX_WORDS
) -> list[str]:
    """Join consecutive sentences into passages of at least ``min_words`` words (a passage
    is never longer than ``max_words`` unless one sentence is); a short tail is dropped."""
    passages: list[str] = []
    current: list[str] = []
    count = 0
    for sentence in sentences:
        sentence = " ".join(sentence.split())
        n = len(sentence.split())
        if not n:
            continue
        if current and count + n > max_words:
            if count >= min_words:
                passages.append(" ".join(current))
            current, count = [], 0
        current.append(sentence)
        count += n
        if count >= min_words:
            passages.append(" ".join(current))
            current, count = [], 0
    if current and count >= min_words:
        passages.append(" ".join(current))
    return passages


def book_passages() -> list[str]:
    """Short passages from the bundled books (consecutive sentences of a page)."""
    from sidekick.books.library import list_books

    books, _problems = list_books()
    pool: list[str] = []
    for book in books:
        if book.bundled:
            for page in book.pages:
                pool += group_sentences(s.text for s in page.sentences)
    return list(dict.fromkeys(pool))


def read_passages(path: str | Path) -> list[str]:
    """One passage per non-blank line of a UTF-8 text file."""
    path = Path(path).expanduser()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise SidekickError(f"Cannot read passages from {path}: {exc}") from exc
    passages = list(dict.fromkeys(" ".join(line.split()) for line in lines if line.strip()))
    if not passages:
        raise SidekickError(f"{path} has no passages (one per line).")
    return passages


def choose_passages(pool: Sequence[str], n: int, rng: random.Random) -> list[str]:
    """``n`` different passages of ``pool``, in a random order."""
    if n < 1:
        raise SidekickError("A listening test needs at least 1 trial.")
    if n > len(pool):
        raise SidekickError(
            f"Only {len(pool)} passages are available for {n} trials: use fewer --trials "
            "or more lines in --sentences."
        )
    return rng.sample(list(pool), n)


def plan_trials(passages: Sequence[str], rng: random.Random) -> list[Trial]:
    """One trial per passage. Which voice plays first is random per trial and balanced:
    A comes first in half the trials (one more or less when the count is odd)."""
    n = len(passages)
    firsts: list[Role] = ["a"] * (n // 2) + ["b"] * (n // 2)
    if n % 2:
        firsts.append(rng.choice(["a", "b"]))
    rng.shuffle(firsts)
    return [
        Trial(i + 1, passage, ("a", "b") if first == "a" else ("b", "a"))
        for i, (passage, first) in enumerate(zip(passages, firsts, strict=True))
    ]


# -- statistics -----------------------------------------------------------------------------
def sign_test_p(k: int, n: int) -> float:
    """Exact two-sided binomial (sign) test p-value for ``k`` of ``n`` with p = 0.5."""
    if n < 0 or not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    tail = min(k, n - k)
    if 2 * tail == n:
        return 1.0
    return min(1.0, 2 * sum(comb(n, i) for i in range(tail + 1)) / 2**n)


def format_p(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"{p:.3f}".rstrip("0").rstrip(".")


def _pct(k: int, n: int) -> str:
    return f"{round(100 * k / n)}%" if n else "-"


class TestStopped(Exception):
    """The player was stopped (the listener left the test) while making a version."""


@dataclass(frozen=True)
class PreferenceResult:
    """Counts of a (possibly stopped) test; ``p_value`` is the sign test over preferences."""

    voice_a: str
    voice_b: str
    trials: int  # answered
    planned: int
    a: int
    b: int
    no_preference: int
    p_value: float
    path: Path | None = None  # the saved JSON file

    @property
    def preferences(self) -> int:
        return self.a + self.b

    @property
    def share_a(self) -> float | None:
        """Voice A's share of the trials with a preference (what the sign test tests)."""
        return self.a / self.preferences if self.preferences else None

    @property
    def complete(self) -> bool:
        return self.trials == self.planned

    def headline(self) -> str:
        n, name = self.trials, self.voice_a[:1].upper() + self.voice_a[1:]
        return (
            f"{name} preferred in {self.a} of {n} ({_pct(self.a, n)}), "
            f"{self.voice_b} in {self.b} ({_pct(self.b, n)}), "
            f"no preference {self.no_preference}"
        )

    def statistics(self) -> str:
        """The sign test, for those who want the number (the CLI prints it last)."""
        return f"Exact two-sided sign test over the preferences: p = {format_p(self.p_value)}"

    def reading(self) -> str:
        """One line in plain language."""
        if not self.preferences:
            return "No preferences yet: nothing to tell."
        leader = self.voice_a if self.a > self.b else self.voice_b
        if self.p_value < SIGNIFICANCE:
            return f"Listeners clearly preferred {leader}: a split like this is unlikely by chance."
        if self.a == self.b:
            return "An even split: no sign that either voice is preferred."
        if sign_test_p(self.preferences, self.preferences) >= SIGNIFICANCE:
            n = self.preferences
            return (
                f"Not enough trials to tell: {leader} leads, but with only {n} "
                f"preference{'' if n == 1 else 's'} even a clean sweep could be chance."
            )
        return f"Not enough trials to tell: {leader} leads, but a split like this could be chance."


def summarize(
    voice_a: str, voice_b: str, trials: Sequence[Trial], answers: dict[int, str]
) -> PreferenceResult:
    """Count the answers (trial number -> answer) by voice and test them."""
    roles = [t.preferred(answers[t.number]) for t in trials if t.number in answers]
    a, b = roles.count("a"), roles.count("b")
    return PreferenceResult(
        voice_a, voice_b, trials=len(roles), planned=len(trials), a=a, b=b,
        no_preference=roles.count(None), p_value=sign_test_p(a, a + b),
    )  # fmt: skip


# -- the test -------------------------------------------------------------------------------
def bundle_path(spec: str) -> Path | None:
    """The bundle folder a voice ``spec`` names (a path), None for a voice name."""
    path = Path(spec).expanduser()
    looks_like_path = "/" in spec or "\\" in spec or spec.startswith((".", "~"))
    return path if looks_like_path or (path / "voice.json").is_file() else None


def voice_label(spec: str) -> str:
    """The name shown for a voice given by name or by bundle folder."""
    path = bundle_path(spec)
    return spec if path is None else path.resolve().name


def check_voice(spec: str, installed: Sequence[str]) -> None:
    """A one-line :class:`SidekickError` unless ``spec`` is an installed voice's name or a
    bundle folder."""
    path = bundle_path(spec)
    if path is not None and not (path / "voice.json").is_file():
        raise SidekickError(f"{path} is not a voice bundle (it has no voice.json).")
    if path is None and spec not in installed:
        raise SidekickError(
            f"Unknown voice '{spec}'. Installed: {', '.join(installed)} (or give a bundle folder)."
        )


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass
class PreferenceTest:
    """A planned test and its answers so far. ``voice_a``/``voice_b``: names or bundle paths."""

    voice_a: str
    voice_b: str
    trials: list[Trial]
    seed: int
    answers: dict[int, str] = field(default_factory=dict)
    started_at: str = field(default_factory=_now)

    def name(self, role: Role) -> str:
        return voice_label(self.voice_a if role == "a" else self.voice_b)

    def answer(self, number: int, answer: str) -> str | None:
        """Record the answer to trial ``number``; returns the preferred voice's name."""
        role = self.trials[number - 1].preferred(answer)
        self.answers[number] = answer
        return None if role is None else self.name(role)

    def result(self, path: Path | None = None) -> PreferenceResult:
        r = summarize(self.name("a"), self.name("b"), self.trials, self.answers)
        return r if path is None else _with_path(r, path)

    def to_json(self) -> dict[str, Any]:
        r = self.result()
        return {
            "format": "sidekick-voice-preference", "version": 1, "question": QUESTION,
            "started_at": self.started_at, "finished_at": _now(), "seed": self.seed,
            "complete": r.complete,
            "voices": {"a": self.name("a"), "b": self.name("b")},
            "sources": {"a": self.voice_a, "b": self.voice_b},
            "trials_planned": r.planned, "trials_answered": r.trials,
            "counts": {"a": r.a, "b": r.b, "no_preference": r.no_preference},
            "share_a_of_preferences": r.share_a, "p_value": r.p_value,
            "test": "exact two-sided binomial sign test, p = 0.5, trials with a preference",
            "summary": r.headline(), "reading": r.reading(),
            "trials": [
                {"trial": t.number, "passage": t.passage,
                 "first": self.name(t.order[0]), "second": self.name(t.order[1]),
                 "first_role": t.order[0], "answer": self.answers.get(t.number),
                 "preferred": None if t.number not in self.answers
                 or (role := t.preferred(self.answers[t.number])) is None else self.name(role)}
                for t in self.trials
            ],
        }  # fmt: skip

    def save(self, folder: Path | None = None) -> PreferenceResult:
        """Write the results as JSON (in ``folder``, default the user data directory's
        ``voice-preference/``); returns the result with its ``path``."""
        folder = folder or paths.data_dir() / RESULTS_FOLDER
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        slug = re.sub(r"[^\w.-]+", "_", f"{self.name('a')}-vs-{self.name('b')}")
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{stamp}-{slug}.json"
            k = 1
            while path.exists():
                k += 1
                path = folder / f"{stamp}-{slug}-{k}.json"
            path.write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            raise SidekickError(f"Could not save the results in {folder}: {exc}") from exc
        return self.result(path)


def _with_path(r: PreferenceResult, path: Path) -> PreferenceResult:
    from dataclasses import replace

    return replace(r, path=path)


def plan_test(
    voice_a: str,
    voice_b: str,
    *,
    trials: int = DEFAULT_TRIALS,
    seed: int | None = None,
    passages: Sequence[str] | None = None,
) -> PreferenceTest:
    """Choose ``trials`` passages (default: from the bundled books) and their play orders
    with ``random.Random(seed)``; a seed is drawn (and saved) when none is given."""
    if seed is None:
        seed = random.SystemRandom().randrange(2**31)
    rng = random.Random(seed)
    pool = book_passages() if passages is None else list(passages)
    chosen = choose_passages(pool, trials, rng)
    return PreferenceTest(voice_a, voice_b, plan_trials(chosen, rng), seed)


# -- audio ----------------------------------------------------------------------------------
def match_loudness(
    versions: Sequence[np.ndarray], target_rms: float = TARGET_RMS, peak: float = PEAK
) -> list[np.ndarray]:
    """Scale each version to the same RMS over its sounding samples (louder is not better),
    then all by one factor so that none peaks above ``peak``."""
    gains = []
    for audio in versions:
        sounding = audio[np.abs(audio) > 1e-3]
        rms = float(np.sqrt(np.mean(np.square(sounding, dtype=np.float64)))) if sounding.size else 0
        gains.append(target_rms / rms if rms > 0 else 1.0)
    peaks = [
        float(np.abs(a).max()) * g if a.size else 0.0 for a, g in zip(versions, gains, strict=True)
    ]
    scale = min([1.0] + [peak / p for p in peaks if p > 0])
    return [(a * (g * scale)).astype(np.float32) for a, g in zip(versions, gains, strict=True)]


def load_test_voice(spec: str) -> Any:
    """A voice by name (:func:`load_voice`) or by the path of a bundle folder."""
    from sidekick.speaking.registry import load_voice

    path = bundle_path(spec)
    if path is None:
        return load_voice(spec)
    from sidekick.speaking.bundle_voice import BundleVoice

    return BundleVoice(path, name=voice_label(spec))


def check_output(speech_out: str, device: int | str | None = None) -> None:
    """A plain SidekickError when the versions have nowhere to go: the speaker is asked for
    (``speech_out == "speaker"``) and the output ``device`` (None: the system's default)
    does not work."""
    from sidekick.audio import devices

    if speech_out == "speaker" and (reason := devices.probe_output(device)):
        raise SidekickError(f"{reason}. To judge the voices without a speaker, have each "
                            "version written as a WAV file: add --speech-out FOLDER.")  # fmt: skip


class PreferencePlayer:
    """Speaks a trial's passage in both voices and plays the two versions (blocking; call
    from a worker thread). Output: the speaker, or WAV files in ``speech_out`` when given
    (:attr:`folder` says where); the speaker is the output ``device`` (None: the system's
    default). With no speaker and no ``speech_out`` it cannot start (see
    :func:`check_output`): nothing is written where the user did not ask.
    A bundle voice reads with its ``narration_style``."""

    def __init__(
        self,
        test: PreferenceTest,
        speech_out: str = "speaker",
        on_notice: Callable[[str], None] | None = None,
        *,
        voices: dict[str, Any] | None = None,
        sink: Any = None,
        device: int | str | None = None,
    ) -> None:
        self.test = test
        self.speech_out = speech_out
        self.device = device
        self.on_notice = on_notice or (lambda _text: None)
        self.voices: dict[str, Any] = dict(voices or {})
        self.sink = sink
        self.folder: Path | None = None  # where WAV files go, when they do
        self.ready = False
        self._audio: dict[int, tuple[tuple[np.ndarray, int], tuple[np.ndarray, int]]] = {}
        self._paths: dict[int, list[Path]] = {}
        self._stop = threading.Event()

    def prepare(self) -> None:
        """Load both voices and the output; a one-line :class:`SidekickError` otherwise."""
        from sidekick.audio import sinks

        for role, spec in (("a", self.test.voice_a), ("b", self.test.voice_b)):
            if role not in self.voices:
                self.voices[role] = load_test_voice(spec)
        if self.sink is None:
            if self.speech_out != "speaker":
                self.sink = sinks.WavDirSink(Path(self.speech_out).expanduser())
            else:
                check_output(self.speech_out, self.device)
                self.sink = sinks.SpeakerSink(self.device)
        if hasattr(self.sink, "folder"):
            self.folder = Path(self.sink.folder)
        self.ready = True

    def _speak(self, role: Role, text: str) -> tuple[np.ndarray, int]:
        voice = self.voices[role]
        sr = int(voice.sample_rate)
        pause = np.zeros(int(SENTENCE_PAUSE_S * sr), dtype=np.float32)
        parts: list[np.ndarray] = []
        sentence_ended = False
        # A bundle voice reads with its narration style; a streaming voice yields pieces.
        for spoken in voice.speak(text, style=voice.narration_style, rate=1.0):
            if self._stop.is_set():  # the test was left: no more synthesis on the CPU
                raise TestStopped
            if sentence_ended:
                parts.append(pause)
            parts.append(spoken.audio)
            sentence_ended = getattr(spoken, "final", True)
        if not parts:
            raise SidekickError(f"Voice '{voice.name}' said nothing for: {text}")
        return np.concatenate(parts).astype(np.float32), sr

    def render(self, trial: Trial) -> None:
        """Synthesize both versions of ``trial`` (kept in memory for replays)."""
        if trial.number in self._audio:
            return
        if self._stop.is_set():
            raise TestStopped
        first, second = (self._speak(role, trial.passage) for role in trial.order)
        loud = match_loudness([first[0], second[0]])
        self._audio[trial.number] = ((loud[0], first[1]), (loud[1], second[1]))

    def play(self, trial: Trial, on_version: Callable[[int], None] | None = None) -> list[Path]:
        """Play version 1 then version 2 (``on_version(k)`` before each). With WAV output
        each version is written once (a replay does not write again). Returns the files."""
        self.render(trial)
        files = self.folder is not None
        if files and trial.number in self._paths:
            return self._paths[trial.number]
        written: list[Path] = []
        for k, (audio, sr) in enumerate(self._audio[trial.number], start=1):
            if self._stop.is_set():
                break
            if k == 2 and not files:
                self._stop.wait(GAP_S)
            if on_version is not None:
                on_version(k)
            self.sink.play(audio, sr)
            if files and (path := getattr(self.sink, "last_path", None)):
                written.append(Path(path))
        if files and len(written) == 2:
            self._paths[trial.number] = written
        return written

    def forget(self, trial: Trial) -> None:
        """Drop a trial's audio from memory (after it is answered)."""
        self._audio.pop(trial.number, None)

    def stop(self) -> None:
        """Stop playing for good: the test is over (from any thread)."""
        self._stop.set()
        if self.sink is not None:
            self.sink.stop()
