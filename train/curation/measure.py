"""``measure-curation``: score a curation against the defects injected in a teacher corpus.

Reads ``CORPUS/defects.json`` (which curation never reads) and ``CURATED/report.json``,
checks the kept audio itself for long pauses (by energy, independent of the recognizer),
and adds the figures to the report (``report.json`` and the page).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from train.config import SAMPLE_RATE
from train.data import corpus

TARGETS = {
    "outliers_removed": 0.90,
    "clean_kept": 0.95,
    "dead_air_removed": 0.95,
    "max_inner_pause_s": 0.5,
}


def _overlap(a: list[float], b: list[float]) -> float:
    return max(0.0, min(a[1], b[1]) - max(a[0], b[0]))


def measure_curation(src: Path, curated: Path) -> dict:
    """The four figures of the issue, with what they are made of; ``passed`` if all hold."""
    from train.prosody import longest_inner_pause

    defects_file = Path(src) / "defects.json"
    if not defects_file.is_file():
        raise corpus.CorpusError(f"{defects_file} is missing: not a corpus with injected defects.")
    defects = json.loads(defects_file.read_text(encoding="utf-8"))
    report_file = Path(curated) / "report.json"
    if not report_file.is_file():
        raise corpus.CorpusError(f"{report_file} is missing: run curate first.")
    report = json.loads(report_file.read_text(encoding="utf-8"))
    utts = report["utterances"]
    kept = {u.id for u in corpus.read_metadata(Path(curated))}
    outliers = set(defects["prosodic_outlier"])
    dead = defects["dead_air"]
    clean = set(utts) - outliers - set(dead)

    removed_outliers = len(outliers - kept)
    clean_kept = len(clean & kept)
    dead_kept = [i for i in dead if i in kept]

    injected = cut = 0.0
    for uid in dead_kept:
        cuts = report["cuts"].get(uid, [])
        for interval in dead[uid]:
            injected += interval[1] - interval[0]
            cut += sum(_overlap(interval, c) for c in cuts)

    energy_max, worst = 0.0, ""
    for uid in sorted(kept):
        audio, _ = corpus.load_audio(corpus.wav_path(Path(curated), uid))
        pause = longest_inner_pause(audio, SAMPLE_RATE)
        if pause > energy_max:
            energy_max, worst = pause, uid
    align_max = max((utts[i].get("longest_pause_after", 0.0) for i in kept), default=0.0)

    # What the speaker embedding alone would have caught at the same k (an ablation).
    alone = _speaker_only(report, outliers, clean)

    result = {
        "outliers_injected": len(outliers),
        "outliers_removed": round(removed_outliers / max(1, len(outliers)), 4),
        "clean_utterances": len(clean),
        "clean_kept": round(clean_kept / max(1, len(clean)), 4),
        "dead_air_utterances": len(dead),
        "dead_air_utterances_kept": len(dead_kept),
        "dead_air_injected_s": round(injected, 2),
        "dead_air_cut_s": round(cut, 2),
        "dead_air_removed": round(cut / injected, 4) if injected else None,
        "max_inner_pause_s": round(max(energy_max, align_max), 3),
        "max_inner_pause_energy_s": round(energy_max, 3),
        "max_inner_pause_alignment_s": round(align_max, 3),
        "longest_pause_utterance": worst,
        "speaker_embedding_alone": alone,
    }
    checks = {
        "outliers_removed": result["outliers_removed"] >= TARGETS["outliers_removed"],
        "clean_kept": result["clean_kept"] >= TARGETS["clean_kept"],
        "dead_air_removed": (result["dead_air_removed"] or 0) >= TARGETS["dead_air_removed"],
        "max_inner_pause_s": result["max_inner_pause_s"] <= TARGETS["max_inner_pause_s"],
    }
    result["targets"] = TARGETS
    result["checks"] = checks
    result["passed"] = all(checks.values())
    report["measured"] = {k: v for k, v in result.items() if k not in ("targets",)}
    corpus.write_json(report_file, report)
    from train.curation.report import write_html

    write_html(Path(curated) / "report.html", report)
    return result


def _speaker_only(report: dict, outliers: set[str], clean: set[str]) -> dict:
    """Removal rates had only the speaker-embedding distance been thresholded (same k)."""
    k = report["settings"]["mad_k"]
    caught: set[str] = set()
    for style in report["thresholds"]:
        ids = [
            i
            for i, v in report["utterances"].items()
            if v["style"] == style and "speaker_distance" in v
        ]
        d = np.array([report["utterances"][i]["speaker_distance"] for i in ids])
        med = float(np.median(d))
        thr = med + k * float(np.median(np.abs(d - med)))
        caught |= {i for i, x in zip(ids, d, strict=True) if x > thr}
    return {
        "outliers_removed": round(len(outliers & caught) / max(1, len(outliers)), 4),
        "clean_kept": round(1 - len(clean & caught) / max(1, len(clean)), 4),
    }
