"""Choose training sentences for coverage, and report that coverage.

Each candidate sentence is described by the units it contains: phones and diphones (espeak-ng
IPA, the symbols the voices are trained on, via :func:`train.data.text.phone_units`), words among
the 20,000 commonest of the natural corpus (reported by frequency band: top 1,000,
1,000-5,000, 5,000-20,000, rarer), sentence length bands (up to 41+ words) and sentence
kinds (question, exclamation, dialogue, numbers, many commas). Selection is greedy (lazily
re-scored, which is exact because the gain of a sentence only shrinks as others are
chosen): each step takes the sentence that brings the most still-missing units per unit of
length, until every unit has its target count; the rest of the budget is filled at random,
evenly across length bands. Template-grammar sentences (:mod:`train.data.text`) are candidates
too, but only for what they add to coverage: they are never used to fill.
"""

from __future__ import annotations

import heapq
import json
import random
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from train.config import SelectionConfig
from train.data.text import ENGLISH_PHONEMES, phone_units

LENGTH_BANDS = ((1, 5), (6, 10), (11, 15), (16, 20), (21, 30), (31, 40), (41, 10_000))
FREQUENCY_BANDS = ((1, 1_000), (1_001, 5_000), (5_001, 20_000), (20_001, 10**9))
# how often each unit should occur in the selection before it stops counting
TARGETS = {"phone": 500, "diphone": 20, "word": 3, "length": 1_500, "kind": 1_500}
WEIGHTS = {"phone": 1.0, "diphone": 1.0, "word": 0.5, "length": 2.0, "kind": 2.0}
WORD_RANK_LIMIT = 20_000
_WORD = re.compile(r"[a-z0-9']+")


@dataclass
class Candidate:
    text: str
    source: str
    units: Counter[str] = field(default_factory=Counter)
    phones: int = 1


def length_band(n_words: int) -> str:
    for lo, hi in LENGTH_BANDS:
        if lo <= n_words <= hi:
            return f"{lo}+" if hi >= 10_000 else f"{lo}-{hi}"
    return "0"


def frequency_band(rank: int) -> str:
    for lo, hi in FREQUENCY_BANDS:
        if lo <= rank <= hi:
            return f"{lo}+" if hi >= 10**9 else f"{lo}-{hi}"
    return "?"


def kinds(text: str) -> list[str]:
    out = []
    if text.rstrip("\"' ").endswith("?"):
        out.append("question")
    if text.rstrip("\"' ").endswith("!"):
        out.append("exclamation")
    if '"' in text or text.startswith("'"):
        out.append("dialogue")
    if re.search(r"\d", text):
        out.append("number")
    if text.count(",") >= 3:
        out.append("many_commas")
    return out


def word_ranks(texts: Iterable[str]) -> dict[str, int]:
    """Rank (1 = most frequent) of every word in ``texts``."""
    counts = Counter(w for t in texts for w in _WORD.findall(t.lower()))
    return {w: i + 1 for i, (w, _) in enumerate(counts.most_common())}


def describe(text: str, source: str, symbols: list[str], ranks: dict[str, int]) -> Candidate:
    """The coverage units of one sentence."""
    phones, diphones = phone_units(symbols)
    words = _WORD.findall(text.lower())
    units: Counter[str] = Counter()
    units.update(f"phone:{p}" for p in phones)
    units.update(f"diphone:{d}" for d in diphones)
    # a word counts as coverage while it is among the 20,000 commonest of the natural corpus:
    # the rarer ones are mostly archaic or technical (whaling, heraldry) and would pull the
    # selection towards the books that have most of them
    units.update(f"word:{w}" for w in words if ranks.get(w, WORD_RANK_LIMIT + 1) <= WORD_RANK_LIMIT)
    units[f"length:{length_band(len(words))}"] += 1
    units.update(f"kind:{k}" for k in kinds(text))
    return Candidate(text, source, units, max(1, len(phones)))


def _gain(c: Candidate, have: Counter[str]) -> float:
    total = 0.0
    for unit, n in c.units.items():
        kind = unit.split(":", 1)[0]
        missing = TARGETS[kind] - have[unit]
        if missing > 0:
            total += WEIGHTS[kind] * min(n, missing)
    return total / c.phones**0.5


def select(
    candidates: list[Candidate], n: int, seed: int = 1, source_share: float = 1.0
) -> list[Candidate]:
    """``n`` candidates: greedy coverage first, then random natural sentences by length band;
    no source gives more than ``source_share`` of ``n`` (one long novel would otherwise
    dominate, its long sentences carrying the most units)."""
    have: Counter[str] = Counter()
    chosen: list[Candidate] = []
    taken: set[int] = set()
    per_source: Counter[str] = Counter()
    cap = max(1, int(source_share * n))
    heap = [(-_gain(c, have), i) for i, c in enumerate(candidates)]
    heapq.heapify(heap)
    while heap and len(chosen) < n:
        neg, i = heapq.heappop(heap)
        if per_source[candidates[i].source] >= cap:
            continue
        gain = _gain(candidates[i], have)
        if gain <= 0:
            continue
        if heap and gain < -heap[0][0] - 1e-12:  # stale: re-score and put back
            heapq.heappush(heap, (-gain, i))
            continue
        chosen.append(candidates[i])
        taken.add(i)
        per_source[candidates[i].source] += 1
        have.update(candidates[i].units)
    rng = random.Random(seed)
    by_band: dict[str, list[int]] = {}
    for i, c in enumerate(candidates):
        if i not in taken and c.source != "template":
            band = next(u for u in c.units if u.startswith("length:"))
            by_band.setdefault(band, []).append(i)
    for pool in by_band.values():
        rng.shuffle(pool)
    bands = sorted(by_band)
    while len(chosen) < n and any(by_band.values()):
        for band in bands:
            while by_band[band] and per_source[candidates[by_band[band][-1]].source] >= cap:
                by_band[band].pop()
            if by_band[band] and len(chosen) < n:
                pick = candidates[by_band[band].pop()]
                per_source[pick.source] += 1
                chosen.append(pick)
    return chosen


def coverage_report(chosen: list[Candidate], pool: list[Candidate]) -> dict:
    """What the selection covers, against everything the candidate pool could cover."""
    have: Counter[str] = Counter()
    for c in chosen:
        have.update(c.units)
    possible: Counter[str] = Counter()
    for c in pool:
        possible.update(c.units)

    def of(kind: str, counts: Counter[str]) -> dict[str, int]:
        return {u.split(":", 1)[1]: n for u, n in counts.items() if u.startswith(kind + ":")}

    phones = {p: have.get(f"phone:{p}", 0) for p in ENGLISH_PHONEMES}
    english = set(ENGLISH_PHONEMES)

    def is_english(d: str) -> bool:
        return d[0] in english and d[1:] in english

    diphones = {d: n for d, n in of("diphone", have).items() if is_english(d)}
    pool_diphones = [d for d in of("diphone", possible) if is_english(d)]
    words = {w for c in chosen for w in _WORD.findall(c.text.lower())}
    ranks = word_ranks(c.text for c in pool)
    band_words: Counter[str] = Counter(frequency_band(ranks.get(w, 10**9)) for w in words)
    band_pool: Counter[str] = Counter(frequency_band(r) for r in ranks.values())
    lengths = Counter(length_band(len(_WORD.findall(c.text.lower()))) for c in chosen)
    return {
        "sentences": len(chosen),
        "by_source": dict(Counter(c.source for c in chosen).most_common()),
        "words_total": sum(len(_WORD.findall(c.text.lower())) for c in chosen),
        "phonemes": phones,
        "min_phoneme": min(phones, key=phones.get),
        "min_phoneme_count": min(phones.values()),
        "diphones_in_pool": len(pool_diphones),
        "diphones_covered": len(diphones),
        "diphones_at_least_20": sum(1 for n in diphones.values() if n >= 20),
        "distinct_words": len(words),
        "distinct_words_in_pool": len(ranks),
        "word_frequency_bands": {
            b: {"covered": band_words.get(b, 0), "in_pool": band_pool.get(b, 0)}
            for b in sorted(band_pool, key=lambda s: int(s.split("-")[0].rstrip("+")))
        },
        "length_bands_words": {
            b: lengths.get(b, 0) for b in (length_band(lo) for lo, _ in LENGTH_BANDS)
        },
        "longest_sentence_words": max(len(_WORD.findall(c.text.lower())) for c in chosen),
        "kinds": of("kind", have),
    }


def build_selection(natural: Path, cfg: SelectionConfig) -> dict:
    """Select ``cfg.sentences`` training sentences from ``natural/sentences.jsonl`` (train
    split only) plus ``cfg.templates`` template-grammar candidates; writes
    ``natural/selected.jsonl`` and ``natural/coverage.json`` (with the settings) and returns
    the coverage report."""
    from sidekick.words.letter_to_sound import phonemize
    from train.data.natural_text import read_sentences
    from train.data.text import generate_sentences

    rows = read_sentences(natural, "train")
    texts = [(r["text"], r["source"]) for r in rows]
    held = {r["text"] for r in read_sentences(natural, "held_out")}
    candidates = generate_sentences(cfg.templates, cfg.seed)
    texts += [(t, "template") for _, t in candidates if t not in held]
    ranks = word_ranks(t for t, s in texts if s != "template")
    pool = [describe(t, s, phonemize(t), ranks) for t, s in texts]
    chosen = select(pool, cfg.sentences, cfg.seed, cfg.source_share)
    report = coverage_report(chosen, pool)
    report["settings"] = cfg.to_dict()
    with open(Path(natural) / "selected.jsonl", "w", encoding="utf-8") as f:
        for c in chosen:
            f.write(json.dumps({"text": c.text, "source": c.source}, ensure_ascii=False) + "\n")
    (Path(natural) / "coverage.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    return report
