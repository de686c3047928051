"""Speaker embeddings with Resemblyzer (GE2E, 256 dims), which also reflect prosody.

The audio is resampled to 16 kHz and level-normalised as Resemblyzer's ``preprocess_wav``
does, without its voice-activity trimming: curation embeds audio whose dead air has
already been cut by alignment.
"""

from __future__ import annotations

import sys
import types
import warnings

import numpy as np

EMBED_RATE = 16_000


def _import_resemblyzer():  # -> module
    """Import resemblyzer; its ``webrtcvad`` import (used only for VAD trimming, which we do
    not use) may fail where ``pkg_resources`` is gone (setuptools >= 81)."""
    try:
        with warnings.catch_warnings():  # scipy.ndimage.morphology deprecation inside it
            warnings.simplefilter("ignore", DeprecationWarning)
            import resemblyzer
    except ModuleNotFoundError as exc:
        if exc.name not in ("pkg_resources", "webrtcvad"):
            raise
        sys.modules.pop("webrtcvad", None)
        stub = types.ModuleType("webrtcvad")
        stub.Vad = None  # type: ignore[attr-defined]
        sys.modules["webrtcvad"] = stub
        for name in [m for m in sys.modules if m.startswith("resemblyzer")]:
            del sys.modules[name]
        import resemblyzer
    return resemblyzer


class Embedder:
    """One Resemblyzer encoder on the CPU (one torch thread: curation runs processes)."""

    def __init__(self, threads: int = 1) -> None:
        import torch

        torch.set_num_threads(threads)
        resemblyzer = _import_resemblyzer()
        self.encoder = resemblyzer.VoiceEncoder("cpu", verbose=False)

    def embed(self, audio: np.ndarray, sr: int) -> np.ndarray:
        """A unit-length embedding of the utterance."""
        import soxr

        wav = np.asarray(audio, np.float32)
        if sr != EMBED_RATE:
            wav = soxr.resample(wav, sr, EMBED_RATE, quality="HQ").astype(np.float32)
        rms = float(np.sqrt(np.mean(wav.astype(np.float64) ** 2))) if len(wav) else 0.0
        if rms > 0:
            wav = wav * (10 ** (-30 / 20) / rms)  # -30 dBFS, as preprocess_wav
        wav = np.clip(wav, -1, 1)
        return np.asarray(self.encoder.embed_utterance(wav), dtype=np.float32)


def cosine_distances(embeddings: np.ndarray, center: np.ndarray) -> np.ndarray:
    center = center / (np.linalg.norm(center) + 1e-12)
    norms = np.linalg.norm(embeddings, axis=1) + 1e-12
    return 1.0 - (embeddings @ center) / norms


def robust_threshold(distances: np.ndarray, k: float) -> float:
    """median + k * MAD (MAD scaled to a standard deviation for normal data)."""
    med = float(np.median(distances))
    mad = float(np.median(np.abs(distances - med))) * 1.4826
    return med + k * mad
