"""Learnt durations measured against known ones: phoneme boundaries, their error and the
share within a tolerance, for the aligner and for the equal split
(``tests/benchmarks/bench_aligner.py``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from train.data import corpus
from train.data.teacher import teacher_config
from train.durations.monotonic_alignment import uniform_durations
from train.durations.samples import PAD_ID


def phoneme_starts(ids: np.ndarray) -> np.ndarray:
    """Which ids begin a phoneme (bool [N]). Piper's ids spell each phoneme with marks around
    it: the pad ``_`` after every symbol, the stress mark before a stressed vowel and the
    length mark after a long one are not sounds of their own, so they begin nothing (the
    stress mark does begin its vowel). Spaces and punctuation (pauses) count as phonemes."""
    id_map = teacher_config()["phoneme_id_map"]
    stress = {id_map[m][0] for m in ("ˈ", "ˌ") if m in id_map}
    length = {id_map[m][0] for m in ("ː",) if m in id_map}
    out = np.zeros(len(ids), dtype=bool)
    previous = None
    for k, i in enumerate(np.asarray(ids).tolist()):
        if i == PAD_ID:
            continue
        out[k] = i not in length and previous not in stress
        previous = i
    out[:1] = False  # the first boundary is the start of the audio
    return out


def boundaries(durations: np.ndarray, ids: np.ndarray, per_id: bool = False) -> np.ndarray:
    """The frames where phonemes start (:func:`phoneme_starts`; the first one left out), or,
    with ``per_id``, where every id after the first starts."""
    starts = np.concatenate([[0], np.cumsum(durations)[:-1]])
    if per_id:
        return starts[1:]
    return starts[phoneme_starts(ids)]


def boundary_agreement(
    truth: list[np.ndarray],
    found: list[np.ndarray],
    ids: list[np.ndarray],
    tolerance: int = 2,
    per_id: bool = False,
) -> dict[str, float]:
    """Mean absolute boundary error (frames), mean signed error (``bias``: > 0 when ``found``
    is late) and the share of boundaries within ``tolerance`` frames (2 frames = 23 ms)."""
    signed = np.concatenate(
        [
            boundaries(f, i, per_id) - boundaries(t, i, per_id)
            for t, f, i in zip(truth, found, ids, strict=True)
        ]
    )
    errors = np.abs(signed)
    return {
        "mae_frames": round(float(errors.mean()), 3),
        "bias_frames": round(float(signed.mean()), 3),
        f"within_{tolerance}": round(float((errors <= tolerance).mean()), 4),
        "boundaries": len(errors),
    }


def hide_durations(source: Path, target: Path, ids: list[str] | None = None) -> Path:
    """A copy of a corpus (or of the utterances ``ids``) without its durations: audio linked,
    metadata written. What the aligner is given in a measurement. Returns ``target``."""
    source, target = Path(source), Path(target)
    (target / "wavs").mkdir(parents=True, exist_ok=True)
    utterances = corpus.read_metadata(source)
    if ids is not None:
        keep = set(ids)
        utterances = [u for u in utterances if u.id in keep]
    for u in utterances:
        src, dst = corpus.wav_path(source, u.id), corpus.wav_path(target, u.id)
        if src.is_file() and not dst.exists():
            try:
                os.link(src, dst)
            except OSError:  # another file system
                os.symlink(src.resolve(), dst)
    corpus.write_metadata(target, utterances)
    return target


def measure(
    truth_corpus: Path, aligned_corpus: Path, ids: list[str] | None = None
) -> dict[str, Any]:
    """Compare the durations the aligner wrote in ``aligned_corpus`` with the true ones of
    ``truth_corpus`` (same phoneme ids), and the equal split, at phoneme and id level."""
    truth_corpus, aligned_corpus = Path(truth_corpus), Path(aligned_corpus)
    uids = ids or [u.id for u in corpus.read_metadata(aligned_corpus)]
    truth, found, uniform, seqs = [], [], [], []
    mismatched = 0
    for uid in uids:
        t, f = corpus.read_durations(truth_corpus, uid), corpus.read_durations(aligned_corpus, uid)
        if t is None or f is None:
            continue
        if t[0] != f[0] or int(t[1].sum()) != int(f[1].sum()):
            mismatched += 1
            continue
        seqs.append(np.asarray(t[0]))
        truth.append(t[1])
        found.append(f[1])
        uniform.append(uniform_durations(len(t[1]), int(t[1].sum())))
    return {
        "utterances": len(truth),
        "mismatched_ids": mismatched,
        "aligner": boundary_agreement(truth, found, seqs),
        "uniform": boundary_agreement(truth, uniform, seqs),
        "aligner_per_id": boundary_agreement(truth, found, seqs, per_id=True),
        "uniform_per_id": boundary_agreement(truth, uniform, seqs, per_id=True),
    }
