"""``curate``: drop prosodic outliers and cut the dead air that recognition cannot transcribe.

Four passes, the two per-utterance ones in parallel and cached in ``OUT/.work`` (so a
rerun continues where it stopped):

1. *analyse* (:mod:`train.curation.analyse`) — validate, align the transcript with
   pocketsphinx, measure pitch;
2. *pause norms* (:mod:`train.curation.trim`) — per style, the median pause at punctuation
   and between words;
3. *trim* (:mod:`train.curation.trim`) — cut leading/trailing silence and shorten inner gaps
   longer than a cap to the style's natural pause, then embed the trimmed audio with
   Resemblyzer;
4. *select* (:mod:`train.curation.outliers`) — per style, utterances beyond median + k * MAD
   of the distance to the style's mean are prosodic outliers.

This module runs the passes, writes the curated corpus (the kept utterances) and builds the
report (``OUT/report.json``, and the page ``OUT/report.html`` from :mod:`train.curation.report`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from pathlib import Path

from train.config import CurationConfig
from train.curation.analyse import analyse, init_analyse, is_aligned
from train.curation.outliers import find_outliers
from train.curation.trim import init_trim, pause_norms, trim
from train.data import corpus
from train.jobs import parallel_map

WORK = ".work"


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
        for r in parallel_map(analyse, jobs, "align", cfg.workers, init_analyse, progress=progress)
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
            init_trim,
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
    styles = {
        style: [u.id for u in usable if u.style == style and u.id in trims]
        for style in sorted({u.style for u in usable})
    }
    per_utt, outliers, thresholds = find_outliers(styles, records, trims, cfg)
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
