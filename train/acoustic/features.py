"""What ``fit`` trains on: per-utterance features, computed once and cached in
``RUN/features/<id>.npz`` (log-mel, per-phoneme mean log-F0 over voiced frames and mean
log-energy), and their normalization into training items.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from train.config import HOP, SAMPLE_RATE
from train.data import corpus

FEATURES = "features"


def phoneme_means(values: np.ndarray, durations: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Mean of frame ``values`` over each phoneme's frames where ``valid``; NaN if none."""
    out = np.full(len(durations), np.nan, dtype=np.float32)
    start = 0
    for i, d in enumerate(durations):
        seg = slice(start, start + int(d))
        keep = valid[seg]
        if keep.any():
            out[i] = float(values[seg][keep].mean())
        start += int(d)
    return out


def utterance_features(audio: np.ndarray, durations: np.ndarray) -> dict[str, np.ndarray]:
    """Log-mel [T, 80] (T = len(audio) / 256) and, per phoneme, mean log-F0 over its voiced
    frames and mean log-energy over its frames (NaN where there is none)."""
    from train.mel import mel_spectrogram
    from train.prosody import pitch_track

    mel = mel_spectrogram(audio).T.numpy()
    frames = len(mel)
    f0 = pitch_track(audio, SAMPLE_RATE)  # every 10 ms, frames centred in the sound (Praat)
    step = 0.01
    first = (len(audio) / SAMPLE_RATE - (len(f0) - 1) * step) / 2
    centres = (np.arange(frames) + 0.5) * HOP / SAMPLE_RATE
    f0 = f0[np.clip(np.rint((centres - first) / step).astype(int), 0, len(f0) - 1)]
    voiced = f0 > 0
    log_f0 = np.log(np.where(voiced, f0, 1.0))
    # log of the mel-band magnitude norm: 0.5 * log(sum(exp(2 * logmel)))
    energy = 0.5 * np.log(np.exp(2.0 * mel.astype(np.float64)).sum(axis=1) + 1e-12)
    return {
        "mel": mel.astype(np.float16),
        "log_f0": phoneme_means(log_f0, durations, voiced),
        "log_energy": phoneme_means(energy, durations, np.ones(frames, bool)),
    }


def _source_stamp(path: Path) -> str:
    st = path.stat()
    return f"{st.st_size}:{st.st_mtime_ns}"


def extract(job: tuple[str, str, str]) -> tuple[str, str]:
    """Features of one utterance into ``RUN/features/<id>.npz``; returns (id, "ok" or why not)."""
    root, uid, out = Path(job[0]), job[1], Path(job[2])
    target = out / FEATURES / f"{uid}.npz"
    wav = corpus.wav_path(root, uid)
    if not wav.is_file():
        return uid, "missing_file"
    stamp = _source_stamp(wav)
    if target.is_file():
        with np.load(target) as old:
            if str(old["source"]) == stamp:
                return uid, "ok"
    got = corpus.read_durations(root, uid)
    if got is None:
        return uid, "no_durations"
    ids, durations = got
    try:
        audio, notes = corpus.load_audio(wav)
    except Exception:  # soundfile raises several types
        return uid, "unreadable"
    if len(ids) != len(durations) or int(durations.sum()) != len(audio) // HOP:
        return uid, "bad_durations"
    audio = audio[: int(durations.sum()) * HOP]  # a last partial frame belongs to no phoneme
    feats = utterance_features(audio, durations)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{uid}.tmp.npz")
    np.savez(
        tmp,
        ids=np.asarray(ids, np.int64),
        durations=durations.astype(np.int64),
        source=np.array(stamp),
        **feats,
    )
    os.replace(tmp, target)
    return uid, "ok"


def one_thread() -> None:
    """Process pool initializer: one torch thread per worker process."""
    torch.set_num_threads(1)


@dataclass
class Item:
    id: str
    style: int
    ids: np.ndarray
    durations: np.ndarray
    pitch: np.ndarray  # normalized, unvoiced phonemes interpolated
    energy: np.ndarray
    mel: np.ndarray  # [T, 80] float16

    @property
    def frames(self) -> int:
        return len(self.mel)


def fill_gaps(values: np.ndarray) -> np.ndarray:
    """Linear interpolation over NaNs (0 when everything is NaN)."""
    ok = ~np.isnan(values)
    if not ok.any():
        return np.zeros_like(values)
    idx = np.arange(len(values))
    return np.interp(idx, idx[ok], values[ok]).astype(np.float32)


def norm_stats(raw: dict[str, dict[str, np.ndarray]], ids: list[str]) -> dict[str, float]:
    """Mean and deviation of per-phoneme log-F0 and log-energy over ``ids``, and the mean
    log-mel per bin and log(1 + duration), which start the model's outputs."""
    f0 = np.concatenate([raw[i]["log_f0"] for i in ids])
    en = np.concatenate([raw[i]["log_energy"] for i in ids])
    f0, en = f0[~np.isnan(f0)], en[~np.isnan(en)]
    mel_sum = sum(raw[i]["mel"].astype(np.float64).sum(axis=0) for i in ids)
    frames = sum(len(raw[i]["mel"]) for i in ids)
    dur = np.concatenate([np.log1p(raw[i]["durations"]) for i in ids])
    return {
        "log_f0_mean": float(f0.mean()) if len(f0) else 0.0,
        "log_f0_std": float(f0.std()) if len(f0) > 1 else 1.0,
        "log_energy_mean": float(en.mean()),
        "log_energy_std": float(en.std()) or 1.0,
        "log_duration_mean": float(dur.mean()),
        "mel_mean": (mel_sum / max(frames, 1)).tolist(),
    }


def make_item(uid: str, style: int, feats: dict[str, np.ndarray], stats: dict) -> Item:
    pitch = (feats["log_f0"] - stats["log_f0_mean"]) / stats["log_f0_std"]
    energy = (feats["log_energy"] - stats["log_energy_mean"]) / stats["log_energy_std"]
    return Item(
        uid,
        style,
        feats["ids"],
        feats["durations"],
        fill_gaps(pitch),
        fill_gaps(energy),
        feats["mel"],
    )
