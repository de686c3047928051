"""``teacher-corpus``: a two-style corpus spoken by the standard voice, with exact durations.

* ``neutral``: the voice as it is.
* ``storytelling``: slower (every duration scaled by 1/rate, rate 0.75-0.9), longer but
  bounded pauses at punctuation, stressed vowels a little longer and up to two emphasised
  content words per sentence (longer, louder, with a pitch accent) — all through the
  teacher's duration control — then the pitch range widened 1.3-1.6x by PSOLA, which keeps
  the timing, so the saved durations stay exact.

With ``defects`` a known fraction of utterances gets one defect: a *prosodic outlier*
(pitch range x2.5-3 relative to its own style, erratic per-word rate) or *dead air*
(0.8-3 s of near silence inserted between two words; the inserted frames are added to that
space's duration).
Where they are goes to ``defects.json``; curation never reads it.

The run is resumable: the plan is fixed by the settings (``.gen/plan.json``), each
utterance is written atomically with a completion record in ``.gen/``, and a rerun only
makes what is missing.
"""

from __future__ import annotations

import json
import math
import random
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from train.config import HOP, SAMPLE_RATE, TeacherConfig, from_dict
from train.data import corpus
from train.data.teacher import PAD, PAUSE_SYMBOLS, PUNCTUATION, STRESS, VOWELS, Teacher
from train.jobs import parallel_map

SENTENCE_END = set(".!?")
GEN = ".gen"


@dataclass
class Plan:
    id: str
    text: str
    kind: str
    style: str
    defect: str  # "", "prosodic_outlier" or "dead_air"
    seed: int


def read_texts(path: Path, n: int) -> list[tuple[str, str]]:
    """The first ``n`` (kind, text) pairs of a text file, one a line; in a ``.jsonl`` file
    (``corpus select``'s ``selected.jsonl``) each line's ``text``, its ``source`` as kind."""
    if not path.is_file():
        raise corpus.CorpusError(f"{path} is missing: make it with 'sidekick-train corpus'.")
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    if path.suffix == ".jsonl":
        rows = [json.loads(ln) for ln in lines]
        texts = [(r.get("source", "natural"), r["text"]) for r in rows]
    else:
        texts = [("natural", ln.strip()) for ln in lines]
    if len(texts) < n:
        raise corpus.CorpusError(f"{path} has {len(texts)} texts; {n} utterances were asked for.")
    return texts[:n]


def make_plan(cfg: TeacherConfig) -> list[Plan]:
    """Texts, styles and defects for every utterance, fixed by the settings."""
    if cfg.sentences:
        texts = read_texts(Path(cfg.sentences), cfg.utterances)
    else:
        from train.data.text import generate_utterances

        texts = generate_utterances(cfg.utterances, cfg.seed, cfg.two_sentence_share)
    r = random.Random(cfg.seed)
    n = cfg.utterances
    n_story = round(n * cfg.storytelling_share)
    styles = ["storytelling"] * n_story + ["neutral"] * (n - n_story)
    r.shuffle(styles)
    n_defects = round(n * cfg.defects)
    defective = r.sample(range(n), n_defects)
    defects = [""] * n
    for j, i in enumerate(defective):
        defects[i] = "prosodic_outlier" if j % 2 == 0 else "dead_air"
    return [
        Plan(f"tc{i:05d}", text, kind, styles[i], defects[i], cfg.seed * 1_000_003 + i)
        for i, (kind, text) in enumerate(texts)
    ]


# -- per-utterance synthesis ------------------------------------------------------------


def _nuclei(symbols: list[str]) -> list[list[int]]:
    """Id indices of each primary-stressed syllable nucleus: the stress mark, the vowel
    symbols after it (with length marks) and the pads between them."""
    out = []
    for i, s in enumerate(symbols):
        if s != STRESS:
            continue
        nucleus = [i]
        j = i + 1
        while j < len(symbols) and (symbols[j] in VOWELS or symbols[j] in (PAD, "ː")):
            nucleus.append(j)
            j += 1
        while nucleus and symbols[nucleus[-1]] == PAD:
            nucleus.pop()
        if len(nucleus) > 1:
            out.append(nucleus)
    return out


def _sentences(symbols: list[str]) -> list[tuple[int, int]]:
    """Index ranges of the sentences in an id sequence."""
    spans, start = [], 0
    for i, s in enumerate(symbols):
        if s in SENTENCE_END:
            spans.append((start, i + 1))
            start = i + 1
    if start < len(symbols):
        spans.append((start, len(symbols)))
    return spans


def _pause_groups(symbols: list[str]) -> list[list[int]]:
    """Each punctuation mark with the pads and space that follow it."""
    groups = []
    for i, s in enumerate(symbols):
        if s in PUNCTUATION:
            group = [i]
            j = i + 1
            while j < len(symbols) and symbols[j] in (PAD, " "):
                group.append(j)
                j += 1
            groups.append(group)
    return groups


def _words(symbols: list[str]) -> list[list[int]]:
    """Id indices of each word (between spaces and punctuation)."""
    words, current = [], []
    for i, s in enumerate(symbols):
        if s in PAUSE_SYMBOLS:
            if current:
                words.append(current)
            current = []
        elif s != PAD or current:
            current.append(i)
    if current:
        words.append(current)
    return words


def plan_durations(
    symbols: list[str], style: str, outlier: bool, cfg: TeacherConfig, r: random.Random
) -> tuple[np.ndarray, np.ndarray, list[list[int]], float]:
    """Duration scale and cap per id, the emphasised nuclei, and the pitch range factor."""
    n = len(symbols)
    scale = np.ones(n, np.float32)
    cap = np.full(n, 1e4, np.float32)
    focus: list[list[int]] = []
    pitch = 1.0
    s = cfg.story
    if style == "storytelling":
        rate = r.uniform(*s.rate)
        scale /= rate
        pitch = r.uniform(*s.pitch_range)
        max_frames = s.max_pause_s * SAMPLE_RATE / HOP
        for group in _pause_groups(symbols):
            scale[group] *= r.uniform(*s.pause_scale)
            cap[group[0]] = 0.45 * max_frames
            rest = group[1:]
            for j in rest:
                cap[j] = 0.55 * max_frames / len(rest)
        nuclei = _nuclei(symbols)
        for nucleus in nuclei:
            scale[nucleus] *= s.stress_scale
        for start, end in _sentences(symbols):
            inside = [nu for nu in nuclei if start <= nu[0] < end]
            if not inside:
                continue
            chosen = [inside[-1]]  # the nuclear accent: the last stressed word
            others = inside[:-1]
            r.shuffle(others)
            chosen += others[: max(0, s.focus_per_sentence - 1)]
            for nucleus in chosen:
                scale[nucleus] *= s.focus_scale / s.stress_scale  # focus_scale in all
            focus.extend(chosen)
    if outlier:
        lo, hi = cfg.defect.rate_jitter
        for word in _words(symbols):
            scale[word] *= math.exp(r.uniform(math.log(lo), math.log(hi)))
        pitch *= r.uniform(*cfg.defect.pitch_range)  # relative to the utterance's own style
    return scale, cap, focus, pitch


def _span_seconds(durations: np.ndarray, idx: list[int]) -> tuple[float, float]:
    starts = np.concatenate([[0], np.cumsum(durations)])
    return starts[idx[0]] * HOP / SAMPLE_RATE, starts[idx[-1] + 1] * HOP / SAMPLE_RATE


def insert_dead_air(
    audio: np.ndarray,
    durations: np.ndarray,
    symbols: list[str],
    cfg: TeacherConfig,
    r: random.Random,
) -> tuple[np.ndarray, np.ndarray, list[list[float]]]:
    """Insert near-silence in the middle of 1-2 word gaps (not at punctuation)."""
    d = cfg.defect
    spaces = [
        i
        for i, s in enumerate(symbols)
        if s == " "
        and 0 < i < len(symbols) - 1
        and durations[i] > 0
        and not any(symbols[k] in PUNCTUATION for k in range(max(0, i - 2), i))
    ]
    if not spaces:
        spaces = [i for i, s in enumerate(symbols) if s == " "]
    count = min(len(spaces), r.randint(*d.dead_air_count))
    chosen = sorted(r.sample(spaces, count))
    durations = durations.copy()
    starts = np.concatenate([[0], np.cumsum(durations)])
    pieces, intervals, cursor, shift = [], [], 0, 0
    rng = np.random.default_rng(r.randrange(2**32))
    for i in chosen:
        at_frame = int(starts[i] + durations[i] // 2)
        frames = round(r.uniform(*d.dead_air_s) * SAMPLE_RATE / HOP)
        at = at_frame * HOP
        pieces.append(audio[cursor:at])
        pieces.append(
            (rng.standard_normal(frames * HOP) * 10 ** (d.noise_dbfs / 20)).astype(np.float32)
        )
        cursor = at
        start_s = (at + shift) / SAMPLE_RATE
        shift += frames * HOP
        intervals.append([round(start_s, 4), round(start_s + frames * HOP / SAMPLE_RATE, 4)])
        durations[i] += frames
    pieces.append(audio[cursor:])
    return np.concatenate(pieces), durations, intervals


_teacher: Teacher | None = None


def _init_worker() -> None:
    global _teacher
    _teacher = Teacher(threads=1)


@dataclass
class Rendered:
    """One utterance as saved: audio, ids, exact durations, and what was done to it."""

    audio: np.ndarray
    phoneme_ids: list[int]
    durations: np.ndarray
    symbols: list[str]
    pitch_factor: float
    focus: int
    dead_air: list[list[float]]


def render(teacher: Teacher, plan: Plan, cfg: TeacherConfig) -> Rendered:
    """Synthesize one planned utterance in its style, with its defect if it has one."""
    from train.prosody import apply_gain, reshape_pitch

    r = random.Random(plan.seed)
    ids = teacher.phoneme_ids(teacher.phonemize(plan.text))
    symbols = teacher.symbol_list(ids)
    outlier = plan.defect == "prosodic_outlier"
    scale, cap, focus, pitch = plan_durations(symbols, plan.style, outlier, cfg, r)
    syn = teacher.synthesize(ids, scale, cap, cfg.noise_scale, cfg.noise_w)
    audio, durations = syn.audio, syn.durations
    if pitch != 1.0 or focus:
        spans = [_span_seconds(durations, nucleus) for nucleus in focus]
        accents = [(a - 0.02, b + 0.02, cfg.story.focus_semitones) for a, b in spans]
        audio = reshape_pitch(audio, SAMPLE_RATE, pitch, accents)
        audio = apply_gain(audio, SAMPLE_RATE, [(a, b, cfg.story.focus_gain_db) for a, b in spans])
    intervals: list[list[float]] = []
    if plan.defect == "dead_air":
        audio, durations, intervals = insert_dead_air(audio, durations, symbols, cfg, r)
    if int(durations.sum()) * HOP != len(audio):
        raise AssertionError(f"{plan.id}: durations no longer match the audio")
    return Rendered(audio, ids, durations, symbols, pitch, len(focus), intervals)


def make_utterance(job: tuple[Plan, str, dict]) -> dict:
    """Render and write one utterance; returns its completion record."""
    plan, out, cfg_dict = job
    root = Path(out)
    assert _teacher is not None
    done = render(_teacher, plan, from_dict(TeacherConfig, cfg_dict))
    corpus.write_wav(corpus.wav_path(root, plan.id), done.audio)
    corpus.write_durations(root, plan.id, done.phoneme_ids, done.durations, "".join(done.symbols))
    record = {
        "id": plan.id,
        "style": plan.style,
        "seconds": round(len(done.audio) / SAMPLE_RATE, 4),
        "pitch_factor": round(done.pitch_factor, 3),
        "focus": done.focus,
        "defect": plan.defect,
        "dead_air": done.dead_air,
    }
    corpus.write_json(root / GEN / f"{plan.id}.json", record)
    return record


# -- the whole run ----------------------------------------------------------------------


def build(out: Path, cfg: TeacherConfig, progress: bool = True) -> dict:
    """Make (or finish) the corpus in ``out``; returns the summary written to teacher.json."""
    out = Path(out)
    (out / GEN).mkdir(parents=True, exist_ok=True)
    plan_file = out / GEN / "plan.json"
    # "sentences" is left out when unset, so corpora made before it existed still resume
    skip = {"workers"} | ({"sentences"} if not cfg.sentences else set())
    settings = json.loads(json.dumps({k: v for k, v in cfg.to_dict().items() if k not in skip}))
    if plan_file.is_file():
        old = json.loads(plan_file.read_text(encoding="utf-8"))
        if old != settings:
            raise corpus.CorpusError(
                f"{out} already holds a teacher corpus made with other settings; "
                "use another --out folder (or delete this one)."
            )
    else:
        corpus.write_json(plan_file, settings)
    plans = make_plan(cfg)
    todo = [p for p in plans if not (out / GEN / f"{p.id}.json").is_file()]
    started = time.perf_counter()
    for _ in parallel_map(
        make_utterance,
        [(p, str(out), cfg.to_dict()) for p in todo],
        "teacher corpus",
        workers=cfg.workers,
        initializer=_init_worker,
        progress=progress,
    ):
        pass
    elapsed = time.perf_counter() - started
    return finish(out, plans, cfg, elapsed, [p.id for p in todo])


def finish(
    out: Path, plans: list[Plan], cfg: TeacherConfig, elapsed: float, made: list[str]
) -> dict:
    """Write metadata.csv, defects.json, coverage and the summary from the records."""
    from train.data.text import cmudict_diphone_coverage, coverage

    records = {p.id: json.loads((out / GEN / f"{p.id}.json").read_text()) for p in plans}
    corpus.write_metadata(out, [corpus.Utterance(p.id, p.text, p.style) for p in plans])
    defects = {
        "prosodic_outlier": [p.id for p in plans if p.defect == "prosodic_outlier"],
        "dead_air": {p.id: records[p.id]["dead_air"] for p in plans if p.defect == "dead_air"},
    }
    corpus.write_json(out / "defects.json", defects)
    phonemes = []
    for p in plans:
        data = json.loads(corpus.durations_path(out, p.id).read_text(encoding="utf-8"))
        phonemes.append(list(data["phonemes"]))
    cover = coverage(phonemes)
    cover["cmudict"] = cmudict_diphone_coverage(p.text for p in plans)
    corpus.write_json(out / "coverage.json", cover)
    seconds: dict[str, float] = {}
    for p in plans:
        seconds[p.style] = seconds.get(p.style, 0.0) + records[p.id]["seconds"]
    audio_s = sum(seconds.values())
    made_s = sum(records[i]["seconds"] for i in made)
    summary = {
        "settings": cfg.to_dict(),
        "utterances": len(plans),
        "distinct_texts": len({p.text for p in plans}),
        "hours_by_style": {k: round(v / 3600, 4) for k, v in sorted(seconds.items())},
        "hours": round(audio_s / 3600, 4),
        "defects": {
            "prosodic_outlier": len(defects["prosodic_outlier"]),
            "dead_air": len(defects["dead_air"]),
        },
        "coverage": {
            k: cover[k]
            for k in (
                "min_phoneme",
                "min_phoneme_count",
                "all_phonemes_at_least_50",
                "diphones_seen",
            )
        }
        | {
            "cmudict_diphone_type_coverage": cover["cmudict"]["type_coverage"],
            "cmudict_diphone_token_coverage": cover["cmudict"]["token_coverage"],
        },
        "this_run": {
            "made": len(made),
            "seconds": round(elapsed, 1),
            "utterances_per_min": round(len(made) / elapsed * 60, 1) if made else None,
            "audio_hours_per_hour": round(made_s / elapsed, 2) if made and elapsed else None,
        },
    }
    corpus.write_json(out / "teacher.json", summary)
    return summary
