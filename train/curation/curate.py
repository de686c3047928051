"""``curate``: drop prosodic outliers and cut the dead air that recognition cannot transcribe.

Four passes, the two per-utterance ones in parallel and cached in ``OUT/.work`` (so a
rerun continues where it stopped):

1. *analyse* — validate, align the transcript with pocketsphinx, measure pitch;
2. *pause norms* — per style, the median pause at punctuation and between words;
3. *trim* — cut leading/trailing silence and shorten inner gaps longer than a cap to the
   style's natural pause (cuts snap to 256-sample frames; saved durations lose exactly the
   frames cut), then embed the trimmed audio with Resemblyzer;
4. *select* — per style, the distance of each utterance's embedding to the style's mean
   embedding; utterances beyond median + k * MAD are prosodic outliers. The distance
   combines Resemblyzer's speaker embedding with three pitch statistics (level, top,
   spread), see :func:`select`: measured on teacher corpora, the speaker embedding alone
   barely moves when only pitch and timing are exaggerated (``measure-curation`` reports
   what it alone would have caught).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from train.config import HOP, SAMPLE_RATE, CurationConfig, from_dict
from train.data import corpus
from train.jobs import parallel_map

WORK = ".work"
PUNCT = set(",.;:!?—–")
_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)*")
PITCH_KEYS = ("level_st", "top_st", "spread_st")


def transcript_tokens(text: str) -> list[tuple[str, bool]]:
    """Words as the aligner sees them, each with "punctuation follows" (before the next word)."""
    text = unicodedata.normalize("NFKD", text).replace("’", "'").lower()
    matches = list(_TOKEN.finditer(text))
    out = []
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        out.append((m.group(), any(c in PUNCT for c in text[m.end() : end])))
    return out


# -- pass 1: analyse --------------------------------------------------------------------

_aligner = None
_embedder = None


def _init_analyse() -> None:
    global _aligner
    from train.curation.word_alignment import Aligner

    _aligner = Aligner()


def _init_trim() -> None:
    global _embedder
    from train.curation.embed import Embedder

    _embedder = Embedder(threads=1)


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


# -- pass 2: natural pauses -------------------------------------------------------------


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


# -- pass 3: trim and embed -------------------------------------------------------------


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


# -- pass 4: select ---------------------------------------------------------------------


@dataclass
class Selection:
    distance: np.ndarray
    speaker_distance: np.ndarray
    threshold: float
    median: float
    mad: float


def _robust_scale(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    med = np.median(x, axis=0)
    mad = np.median(np.abs(x - med), axis=0) * 1.4826
    return med, np.where(mad > 1e-9, mad, 1.0)


def select(embeddings: np.ndarray, pitch: np.ndarray, cfg: CurationConfig) -> Selection:
    """Outlier distances for one style and the median + k * MAD threshold.

    Two parts, each in robust units (its own median and MAD): how much farther than usual
    the Resemblyzer embedding is from the style's mean embedding, and how far the pitch
    statistics (level, top, spread) are from the style's mean. The distance is the length
    of that combined deviation. With ``robust_mean`` the means are recomputed without the
    first pass's outliers.
    """
    unit = embeddings / (np.linalg.norm(embeddings, axis=1, keepdims=True) + 1e-12)
    p_med, p_mad = _robust_scale(pitch)
    z_pitch = (pitch - p_med) / p_mad
    keep = np.ones(len(unit), bool)
    for _ in range(2 if cfg.robust_mean else 1):
        center = unit[keep].mean(axis=0)
        speaker = 1.0 - unit @ (center / np.linalg.norm(center))
        s_med, s_mad = _robust_scale(speaker[keep])
        z_speaker = np.maximum(0.0, (speaker - s_med) / s_mad)
        z_p = z_pitch - z_pitch[keep].mean(axis=0)
        distance = np.sqrt(z_speaker**2 + np.sum(z_p**2, axis=1))
        median = float(np.median(distance))
        mad_d = float(np.median(np.abs(distance - median)))
        threshold = median + cfg.mad_k * mad_d
        keep = distance <= threshold
    return Selection(distance, speaker, threshold, median, mad_d)


# -- the whole run ----------------------------------------------------------------------


def _settings_hash(cfg: CurationConfig) -> str:
    keep = {k: v for k, v in cfg.to_dict().items() if k not in ("workers", "mad_k", "robust_mean")}
    return hashlib.sha1(json.dumps(keep, sort_keys=True).encode()).hexdigest()[:12]


def curate(src: Path, out: Path, cfg: CurationConfig, progress: bool = True) -> dict:
    """Curate corpus ``src`` into ``out``; returns the report (also in ``out/report.json``)."""
    src, out = Path(src), Path(out)
    if src.resolve() == out.resolve():
        raise corpus.CorpusError("--out must be another folder than the corpus.")
    started = time.perf_counter()
    report_v = corpus.validate(src, progress=progress)
    usable = corpus.require_usable(report_v)
    work = out / WORK
    work.mkdir(parents=True, exist_ok=True)
    stamp = work / "settings.json"
    digest = _settings_hash(cfg)
    if stamp.is_file() and json.loads(stamp.read_text()).get("trim") != digest:
        shutil.rmtree(work / "trim", ignore_errors=True)  # trimming settings changed
    corpus.write_json(stamp, {"trim": digest})

    jobs = [(u.id, u.text, u.style, str(src), str(work)) for u in usable]
    records = {
        r["id"]: r
        for r in parallel_map(analyse, jobs, "align", cfg.workers, _init_analyse, progress=progress)
    }
    ordered = [records[u.id] for u in usable]
    norms = pause_norms(ordered, cfg)
    aligned = [r for r in ordered if is_aligned(r, cfg)]
    trims = {
        t["id"]: t
        for t in parallel_map(
            trim,
            [(r, norms[r["style"]], cfg.to_dict(), str(src), str(work)) for r in aligned],
            "trim + embed",
            cfg.workers,
            _init_trim,
            progress=progress,
        )
    }
    report = assemble(src, out, usable, report_v, records, trims, norms, cfg)
    report["summary"]["seconds"] = round(time.perf_counter() - started, 1)
    corpus.write_json(out / "report.json", report)
    from train.curation.report import write_html

    write_html(out / "report.html", report)
    return report


def _link(src: Path, dst: Path) -> None:
    """Hard-link (no second copy of the audio on disk), or copy where links are refused."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def assemble(
    src: Path,
    out: Path,
    usable: list[corpus.Utterance],
    validation: corpus.ValidationReport,
    records: dict[str, dict],
    trims: dict[str, dict],
    norms: dict,
    cfg: CurationConfig,
) -> dict:
    """Choose the kept utterances, write them and build the report."""
    work = out / WORK
    per_utt: dict[str, dict] = {}
    outliers: list[str] = []
    thresholds: dict[str, dict] = {}
    for style in sorted({u.style for u in usable}):
        ids = [u.id for u in usable if u.style == style and u.id in trims]
        if not ids:
            continue
        emb = np.array([trims[i]["embedding"] for i in ids], dtype=np.float64)
        pitch = np.array([[records[i]["pitch"][k] for k in PITCH_KEYS] for i in ids])
        sel = select(emb, pitch, cfg)
        thresholds[style] = {
            "median": round(sel.median, 4),
            "mad": round(sel.mad, 4),
            "k": cfg.mad_k,
            "threshold": round(sel.threshold, 4),
        }
        for j, uid in enumerate(ids):
            far = bool(sel.distance[j] > sel.threshold)
            if far:
                outliers.append(uid)
            per_utt[uid] = {
                "style": style,
                "distance": round(float(sel.distance[j]), 4),
                "speaker_distance": round(float(sel.speaker_distance[j]), 5),
                "outlier": far,
            }
    unalignable = [u.id for u in usable if u.id not in trims]
    kept = [u for u in usable if u.id in trims and u.id not in set(outliers)]

    # write the curated corpus
    for sub in ("wavs", "durations"):
        shutil.rmtree(out / sub, ignore_errors=True)
        (out / sub).mkdir(parents=True)
    has_durations = 0
    for u in kept:
        _link(work / "wavs" / f"{u.id}.wav", corpus.wav_path(out, u.id))
        dur = corpus.durations_path(work, u.id)
        if dur.is_file():
            _link(dur, corpus.durations_path(out, u.id))
            has_durations += 1
    corpus.write_metadata(out, kept)

    def hours(ids: list[str], key: str) -> dict[str, float]:
        style_of = {u.id: u.style for u in usable}
        acc: dict[str, float] = {}
        for i in ids:
            sec = records[i]["seconds"] if key == "before" else trims[i]["seconds_after"]
            acc[style_of[i]] = acc.get(style_of[i], 0.0) + sec
        return {k: round(v / 3600, 4) for k, v in sorted(acc.items())}

    kept_ids = [u.id for u in kept]
    for uid, rec in records.items():
        entry = per_utt.setdefault(uid, {"style": rec["style"]})
        entry["pitch"] = rec["pitch"]
        entry["seconds_before"] = rec["seconds"]
        if uid in trims:
            t = trims[uid]
            entry.update(
                seconds_after=t["seconds_after"],
                pauses_before=t["pauses_before"],
                pauses_after=t["pauses_after"],
                longest_pause_after=t["longest_pause_after"],
                energy_longest_pause_after=t["energy_longest_pause_after"],
            )
        entry["kept"] = uid in set(kept_ids)
    frames_cut = sum((trims[i]["durations"] or {}).get("frames_cut", 0) for i in kept_ids)
    summary = {
        "input_utterances": len(validation.utterances),
        "usable_utterances": len(usable),
        "kept": len(kept),
        "embedding_outliers": len(outliers),
        "unalignable": len(unalignable),
        "invalid": len(validation.utterances) - len(usable),
        "hours_before": hours([u.id for u in usable], "before"),
        "hours_after": hours(kept_ids, "after"),
        "trimmed_seconds_kept": round(sum(trims[i]["trimmed_s"] for i in kept_ids), 2),
        "max_pause_after_alignment_s": max(
            (trims[i]["longest_pause_after"] for i in kept_ids), default=0.0
        ),
        "max_pause_after_energy_s": max(
            (trims[i]["energy_longest_pause_after"] for i in kept_ids), default=0.0
        ),
        "durations": (
            f"kept and adjusted for {has_durations} of {len(kept)} utterances "
            f"({frames_cut} frames cut)"
            if has_durations
            else "the corpus has no durations"
        ),
    }
    return {
        "settings": cfg.to_dict(),
        "source": str(src),
        "summary": summary,
        "discarded": {
            "embedding_outlier": sorted(outliers),
            "unalignable": sorted(unalignable),
            "invalid": sorted(validation.bad_ids),
        },
        "trimmed_s": {i: trims[i]["trimmed_s"] for i in sorted(trims)},
        "cuts": {i: trims[i]["cuts"] for i in sorted(trims) if trims[i]["cuts"]},
        "thresholds": thresholds,
        "natural_pause_s": norms,
        "validation": validation.counts(),
        "utterances": per_utt,
    }
