"""Curation's fourth pass: per style, the utterances too far from the style's mean.

Each utterance's distance to its style's mean combines the Resemblyzer speaker embedding
with three pitch statistics (level, top, spread); utterances beyond median + k * MAD are
prosodic outliers. Measured on teacher corpora, the speaker embedding alone barely moves
when only pitch and timing are exaggerated (``measure-curation`` reports what it alone
would have caught).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from train.config import CurationConfig

PITCH_KEYS = ("level_st", "top_st", "spread_st")


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


def find_outliers(
    styles: dict[str, list[str]],
    records: dict[str, dict],
    trims: dict[str, dict],
    cfg: CurationConfig,
) -> tuple[dict[str, dict], list[str], dict[str, dict]]:
    """Per style (``styles``: style -> its trimmed utterance ids): each utterance's distances,
    the outlier ids and each style's threshold."""
    per_utt: dict[str, dict] = {}
    outliers: list[str] = []
    thresholds: dict[str, dict] = {}
    for style, ids in styles.items():
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
    return per_utt, outliers, thresholds
