"""Curation's first pass: each utterance's words aligned to its audio, its pauses and pitch.

The transcript is force-aligned with pocketsphinx (:mod:`train.curation.word_alignment`);
the gaps between aligned words, joined with the silent stretches found by level, are the
pauses the later passes shorten. Results are cached per utterance in ``OUT/.work/analysis``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import numpy as np

from train.config import SAMPLE_RATE, CurationConfig
from train.data import corpus

PUNCT = set(",.;:!?—–")
_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)*")


def transcript_tokens(text: str) -> list[tuple[str, bool]]:
    """Words as the aligner sees them, each with "punctuation follows" (before the next word)."""
    text = unicodedata.normalize("NFKD", text).replace("’", "'").lower()
    matches = list(_TOKEN.finditer(text))
    out = []
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        out.append((m.group(), any(c in PUNCT for c in text[m.end() : end])))
    return out


_aligner = None  # one per worker process, made by init_analyse


def init_analyse() -> None:
    global _aligner
    from train.curation.word_alignment import Aligner

    _aligner = Aligner()


def speech_bounds(audio: np.ndarray, sr: int, below_db: float = 40.0) -> tuple[float, float]:
    """First and last moment the level is within ``below_db`` of the loudest frame."""
    from train.prosody import frame_db

    db = frame_db(audio, sr)
    loud = np.flatnonzero(db > max(float(db.max()) - below_db, -70.0))
    if len(loud) == 0:
        return 0.0, len(audio) / sr
    return loud[0] * 0.01, min(len(audio) / sr, loud[-1] * 0.01 + 0.025)


def analyse(job: tuple[str, str, str, str, str]) -> dict:
    """Alignment and pitch of one utterance (cached in ``.work/analysis``)."""
    from train.prosody import inner_pauses, pitch_stats

    uid, text, style, src, work = job
    cache = Path(work) / "analysis" / f"{uid}.json"
    if cache.is_file():
        return json.loads(cache.read_text(encoding="utf-8"))
    assert _aligner is not None
    audio, _ = corpus.load_audio(corpus.wav_path(Path(src), uid))
    tokens = transcript_tokens(text)
    words = _aligner.align(audio, SAMPLE_RATE, text)
    record: dict = {
        "id": uid,
        "style": style,
        "seconds": round(len(audio) / SAMPLE_RATE, 4),
        "text_words": len(tokens),
        "words": None,
    }
    if words:
        punct, j = [], 0
        for w in words:
            while j < len(tokens) and tokens[j][0] != w.word:
                j += 1
            punct.append(tokens[j][1] if j < len(tokens) else False)
            j += 1
        record["words"] = [[w.word, round(w.start, 3), round(w.end, 3)] for w in words]
        record["punct"] = punct
        record["speech"] = [round(x, 3) for x in speech_bounds(audio, SAMPLE_RATE)]
    record["silences"] = [
        [round(a, 3), round(b, 3)] for a, b in inner_pauses(audio, SAMPLE_RATE, min_pause_s=0.2)
    ]
    record["pitch"] = pitch_stats(audio, SAMPLE_RATE)
    corpus.write_json(cache, record)
    return record


def is_aligned(record: dict, cfg: CurationConfig) -> bool:
    words = record.get("words")
    if not words:
        return False
    if len(words) < cfg.min_word_ratio * max(1, record["text_words"]):
        return False
    return sum(e - s for _, s, e in words) >= cfg.min_speech_s


def gaps(record: dict) -> list[tuple[float, float, bool]]:
    """(start, end, at_punctuation) between consecutive aligned words."""
    words, punct = record["words"], record["punct"]
    return [(words[i][2], words[i + 1][1], bool(punct[i])) for i in range(len(words) - 1)]


def pauses(record: dict, min_silence_s: float) -> list[tuple[float, float, bool]]:
    """Gaps between words, joined with long silences found by energy inside the words.

    Forced alignment sometimes stretches a word over a long silence next to it; a silent
    stretch (by level) longer than ``min_silence_s`` between the first and the last word
    counts as a pause too, with the punctuation of the nearest word boundary.
    """
    found = [list(g) for g in gaps(record)]
    words = record["words"]
    bounds = [(words[i][2], bool(record["punct"][i])) for i in range(len(words) - 1)]
    for a, b in record.get("silences", []):
        if b - a < min_silence_s or a < words[0][1] or b > words[-1][2] or not bounds:
            continue
        mid = (a + b) / 2
        punct = min(bounds, key=lambda t: abs(t[0] - mid))[1]
        found.append([a, b, punct])
    found.sort()
    merged: list[list] = []
    for s, e, p in found:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
            merged[-1][2] = merged[-1][2] or p
        else:
            merged.append([s, e, p])
    return [(s, e, bool(p)) for s, e, p in merged]
