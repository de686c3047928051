"""What the duration aligner reads: the teacher's phoneme ids, log-mel samples, their
normalized features in padded batches, and the alignment prior laid over the speech.

Phoneme ids come from the duration file where one exists, otherwise from the text through
the teacher's phonemizer (espeak-ng IPA, Piper's symbol table: the ids ``fit`` and the
exported voice use).
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import torch

from train.config import HOP
from train.data import corpus
from train.data.teacher import teacher_config
from train.durations.monotonic_alignment import beta_binomial_prior

PAD_ID = 0  # Piper's "_", between every two symbols


@lru_cache(maxsize=1)
def _phonemizer() -> Any:
    from piper.phonemize_espeak import EspeakPhonemizer

    return EspeakPhonemizer()


def text_ids(text: str) -> tuple[list[int], str]:
    """The teacher's phoneme ids of a text (sentences joined by a space) and its IPA string;
    the same ids ``teacher-corpus`` writes (``Teacher.phoneme_ids(Teacher.phonemize(text))``)."""
    from piper.phoneme_ids import phonemes_to_ids

    config = teacher_config()
    voice = config.get("espeak", {}).get("voice", "en-us")
    joined: list[str] = []
    for i, sentence in enumerate(s for s in _phonemizer().phonemize(voice, text) if s):
        if i:
            joined.append(" ")
        joined.extend(sentence)
    return list(phonemes_to_ids(joined, config["phoneme_id_map"])), "".join(joined)


def n_symbols() -> int:
    """Size of the teacher's symbol table."""
    return max(max(v) for v in teacher_config()["phoneme_id_map"].values()) + 1


@dataclass
class Sample:
    """One utterance as the aligner sees it."""

    id: str
    ids: np.ndarray  # phoneme ids (int64)
    mel: np.ndarray  # [T, n_mels] float16, log-mel (not normalized)
    has_durations: bool
    phonemes: str = ""

    @property
    def frames(self) -> int:
        return len(self.mel)


def load_sample(root: Path, u: corpus.Utterance) -> Sample | str:
    """One utterance's ids and log-mel, or why it cannot be used."""
    from train.mel import mel_spectrogram

    wav = corpus.wav_path(root, u.id)
    if not wav.is_file():
        return "missing_file"
    try:
        audio, _ = corpus.load_audio(wav)
    except Exception:  # soundfile raises several types
        return "unreadable"
    if len(audio) < 2 * HOP:
        return "too_short"
    got = None
    with contextlib.suppress(ValueError, KeyError, TypeError):  # unreadable: as if missing
        got = corpus.read_durations(root, u.id)
    if got is not None:
        ids, phonemes, has = got[0], "", True
    else:
        if not u.text.strip():
            return "empty_text"
        ids, phonemes = text_ids(u.text)
        has = False
    if not ids:
        return "no_phonemes"
    mel = mel_spectrogram(audio).T.numpy().astype(np.float16)
    if len(mel) < len(ids):
        return "too_few_frames"
    return Sample(u.id, np.asarray(ids, np.int64), mel, has, phonemes)


def load_corpus(root: Path, progress: bool = False) -> tuple[list[Sample], dict[str, str]]:
    """Every usable utterance's sample, and why the others are left out (id -> reason)."""
    from train.jobs import track

    utterances = corpus.read_metadata(root)
    samples: list[Sample] = []
    skipped: dict[str, str] = {}
    for u in track(utterances, "aligner: mels", enabled=progress):
        got = load_sample(root, u)
        if isinstance(got, str):
            skipped[u.id] = got
        else:
            samples.append(got)
    return samples, skipped


def mel_stats(samples: list[Sample]) -> tuple[np.ndarray, np.ndarray]:
    """Per-bin mean and deviation of the log-mel over all frames."""
    total = sum(s.mel.astype(np.float64).sum(axis=0) for s in samples)
    squares = sum((s.mel.astype(np.float64) ** 2).sum(axis=0) for s in samples)
    frames = sum(s.frames for s in samples)
    mean = total / frames
    std = np.sqrt(np.maximum(squares / frames - mean**2, 1e-8))
    return mean.astype(np.float32), std.astype(np.float32)


def features(mel: np.ndarray, mean: np.ndarray, std: np.ndarray, deltas: bool) -> np.ndarray:
    """Normalized log-mel [T, n_mels], with ``deltas`` followed by its slope
    ``(x[t + 1] - x[t - 1]) / 2`` (edges repeated): [T, 2 * n_mels]."""
    x = (mel.astype(np.float32) - mean) / std
    if not deltas:
        return x
    padded = np.concatenate([x[:1], x, x[-1:]])
    return np.concatenate([x, 0.5 * (padded[2:] - padded[:-2])], axis=1)


def collate(
    samples: list[Sample],
    mean: np.ndarray,
    std: np.ndarray,
    device: torch.device,
    deltas: bool = True,
) -> dict[str, Any]:
    """Padded ids and features (:func:`features`); the mask is True on padding."""
    b = len(samples)
    n = max(len(s.ids) for s in samples)
    t = max(s.frames for s in samples)
    ids = np.zeros((b, n), np.int64)
    mel = np.zeros((b, t, len(mean) * (2 if deltas else 1)), np.float32)
    n_lens = np.array([len(s.ids) for s in samples])
    t_lens = np.array([s.frames for s in samples])
    for i, s in enumerate(samples):
        ids[i, : n_lens[i]] = s.ids
        mel[i, : t_lens[i]] = features(s.mel, mean, std, deltas)
    return {
        "ids": torch.from_numpy(ids).to(device),
        "mel": torch.from_numpy(mel).to(device),
        "id_mask": torch.from_numpy(np.arange(n)[None] >= n_lens[:, None]).to(device),
        "n_lens": n_lens,
        "t_lens": t_lens,
    }


def speech_span(mel: np.ndarray, floor_db: float = 40.0) -> tuple[int, int]:
    """First and last frame within ``floor_db`` of the loudest frame (log-mel [T, n_mels])."""
    energy = 0.5 * np.log(np.exp(2.0 * mel.astype(np.float64)).sum(axis=1))
    loud = np.flatnonzero(energy >= energy.max() - floor_db / 20 * math.log(10))
    return int(loud[0]), int(loud[-1])


def speech_prior(sample: Sample, scale: float, on_speech: bool = True) -> np.ndarray:
    """:func:`beta_binomial_prior` laid over the speech only: the diagonal runs from the first
    to the last loud frame, silence before it leans on the first ids (``^``), after it on the
    last ones (``$``), so leading and trailing silence do not shift the first alignments."""
    n = len(sample.ids)
    on, off = speech_span(sample.mel) if on_speech else (0, sample.frames - 1)
    if off - on + 1 < n:
        on, off = 0, sample.frames - 1
    inner = beta_binomial_prior(n, off - on + 1, scale)
    cols = np.clip(np.arange(sample.frames) - on, 0, off - on)
    return inner[:, cols]


def batch_prior(samples: list[Sample], scale: float, on_speech: bool = True) -> np.ndarray:
    """:func:`speech_prior` of each sample, padded to [B, N, T]."""
    n = max(len(s.ids) for s in samples)
    t = max(s.frames for s in samples)
    out = np.zeros((len(samples), n, t))
    for i, s in enumerate(samples):
        out[i, : len(s.ids), : s.frames] = speech_prior(s, scale, on_speech)
    return out
