"""Curation's second and third passes: each style's natural pauses, then the dead air cut.

What no transcribed word covers goes: silence before the first and after the last word,
and every inner gap longer than its cap, shortened to the style's natural pause for that
place. Cuts snap to 256-sample frames, and saved durations lose exactly the frames cut, so
audio and durations still add up. The trimmed audio is then embedded with Resemblyzer for
the outlier pass. Results are cached per utterance in ``OUT/.work/trim``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from train.config import HOP, SAMPLE_RATE, CurationConfig, from_dict
from train.curation.analyse import gaps, is_aligned, pauses
from train.data import corpus

_embedder = None  # one per worker process, made by init_trim


def init_trim() -> None:
    global _embedder
    from train.curation.embed import Embedder

    _embedder = Embedder(threads=1)


def pause_norms(records: list[dict], cfg: CurationConfig) -> dict[str, dict[str, float]]:
    """Per style, what a gap beyond its cap is shortened to: the median ordinary pause
    (30 ms up to the cap) at punctuation, and the median junction between words
    (mostly none; at least ``min_word_pause_s``)."""
    out: dict[str, dict[str, float]] = {}
    for style in sorted({r["style"] for r in records}):
        at_p, at_w = [], []
        for r in records:
            if r["style"] != style or not is_aligned(r, cfg):
                continue
            for s, e, p in gaps(r):
                if p and 0.03 < e - s <= cfg.punct_cap_s:
                    at_p.append(e - s)
                elif not p and e - s <= cfg.gap_cap_s:
                    at_w.append(max(0.0, e - s))
        punct = float(np.median(at_p)) if len(at_p) >= 5 else 0.25
        word = float(np.median(at_w)) if len(at_w) >= 5 else 0.04
        out[style] = {
            "punct": round(min(punct, cfg.max_natural_s, cfg.punct_cap_s), 3),
            "word": round(min(max(word, cfg.min_word_pause_s), cfg.gap_cap_s), 3),
            "punct_pauses": len(at_p),
            "word_pauses": len(at_w),
        }
    return out


def plan_cuts(record: dict, norms: dict[str, float], cfg: CurationConfig) -> list[list[float]]:
    """Regions (seconds, original time) that no transcribed word covers and that go."""
    words = record["words"]
    total = record["seconds"]
    speech_start, speech_end = record.get("speech", [0.0, total])
    first = words[0][1]
    if speech_start > first and speech_start < words[0][2]:
        first = speech_start  # the recognizer often lets the first word absorb silence
    last = words[-1][2]
    if words[-1][1] < speech_end < last:
        last = speech_end
    cuts = []
    if first - cfg.edge_margin_s > 0:
        cuts.append([0.0, first - cfg.edge_margin_s])
    for start, end, at_punct in pauses(record, cfg.gap_cap_s):
        cap = cfg.punct_cap_s if at_punct else cfg.gap_cap_s
        keep = norms["punct"] if at_punct else norms["word"]
        if end - start > cap:
            cuts.append([start + keep / 2, end - keep / 2])
    if last + cfg.edge_margin_s < total:
        cuts.append([last + cfg.edge_margin_s, total])
    return [[round(a, 4), round(b, 4)] for a, b in cuts if b > a]


def cut_frames(cuts: list[list[float]], n_samples: int) -> list[tuple[int, int]]:
    """Cut regions as whole 256-sample frames inside each region (the last may be partial)."""
    out = []
    n_frames = math.ceil(n_samples / HOP)
    for a, b in cuts:
        fa = math.ceil(a * SAMPLE_RATE / HOP)
        fb = n_frames if b * SAMPLE_RATE >= n_samples - 1 else math.floor(b * SAMPLE_RATE / HOP)
        if fb > fa:
            out.append((fa, fb))
    return out


def apply_cuts(audio: np.ndarray, frames: list[tuple[int, int]], fade_s: float = 0.005):
    """Audio without the cut frames; short fades at each splice."""
    keep, cursor = [], 0
    for fa, fb in frames:
        keep.append(audio[cursor : fa * HOP])
        cursor = min(len(audio), fb * HOP)
    keep.append(audio[cursor:])
    fade = int(fade_s * SAMPLE_RATE)
    pieces = []
    for i, piece in enumerate(keep):
        piece = piece.copy()
        n = min(fade, len(piece) // 2)
        if n:
            ramp = np.linspace(0.0, 1.0, n, dtype=np.float32)
            if i > 0:
                piece[:n] *= ramp
            if i < len(keep) - 1:
                piece[-n:] *= ramp[::-1]
        pieces.append(piece)
    return np.concatenate(pieces) if pieces else audio[:0]


def cut_durations(durations: np.ndarray, frames: list[tuple[int, int]]) -> np.ndarray:
    """Remove the cut frames from the phoneme ids that own them."""
    out = durations.copy()
    ends = np.cumsum(durations)
    starts = ends - durations
    for fa, fb in frames:
        overlap = np.clip(np.minimum(ends, fb) - np.maximum(starts, fa), 0, None)
        out -= overlap
    return out


def remap_time(t: float, cuts: list[tuple[int, int]]) -> float:
    removed = sum(max(0, min(fb * HOP, t * SAMPLE_RATE) - fa * HOP) for fa, fb in cuts)
    return t - removed / SAMPLE_RATE


def trim(job: tuple[dict, dict, dict, str, str]) -> dict:
    """Cut, re-measure and embed one aligned utterance (cached in ``.work/trim``)."""
    from train.prosody import longest_inner_pause

    record, norms, cfg_dict, src, work = job
    uid = record["id"]
    cache = Path(work) / "trim" / f"{uid}.json"
    if cache.is_file():
        return json.loads(cache.read_text(encoding="utf-8"))
    cfg = from_dict(CurationConfig, cfg_dict)
    assert _embedder is not None
    audio, notes = corpus.load_audio(corpus.wav_path(Path(src), uid))
    cuts = plan_cuts(record, norms, cfg)
    frames = cut_frames(cuts, len(audio))
    out = apply_cuts(audio, frames)
    durations = None
    if not notes:
        got = corpus.read_durations(Path(src), uid)
        if got is not None and int(got[1].sum()) * HOP == len(audio):
            ids, durs = got
            new = cut_durations(durs, frames)
            assert int(new.sum()) * HOP == len(out)
            durations = {"frames_cut": int((durs - new).sum()), "ids": ids, "new": new}
    words = [[w, remap_time(s, frames), remap_time(e, frames)] for w, s, e in record["words"]]
    silences = [[remap_time(a, frames), remap_time(b, frames)] for a, b in record["silences"]]
    after = {**record, "words": words, "silences": silences, "seconds": len(out) / SAMPLE_RATE}
    gap_after = [e - s for s, e, _ in pauses(after, cfg.gap_cap_s)]
    gap_before = [e - s for s, e, _ in pauses(record, cfg.gap_cap_s)]
    result = {
        "id": uid,
        "style": record["style"],
        "cuts": cuts,
        "trimmed_s": round((len(audio) - len(out)) / SAMPLE_RATE, 4),
        "seconds_after": round(len(out) / SAMPLE_RATE, 4),
        "pauses_before": [round(g, 3) for g in gap_before if g > 0.03],
        "pauses_after": [round(g, 3) for g in gap_after if g > 0.03],
        "longest_pause_after": round(max(gap_after, default=0.0), 3),
        "energy_longest_pause_after": round(longest_inner_pause(out, SAMPLE_RATE), 3),
        "embedding": [round(float(x), 5) for x in _embedder.embed(out, SAMPLE_RATE)],
        "durations": None,
    }
    trimmed_wav = Path(work) / "wavs" / f"{uid}.wav"
    corpus.write_wav(trimmed_wav, out)
    if durations is not None:
        corpus.write_durations(Path(work), uid, durations["ids"], durations["new"])
        result["durations"] = {"frames_cut": durations["frames_cut"]}
    corpus.write_json(cache, result)
    return result
