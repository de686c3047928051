"""Monotonic alignment search, the equal split and the alignment prior.

The dynamic program at the heart of the duration aligner (Glow-TTS's MAS) and RAD-TTS's
beta-binomial prior that leans the first alignments towards the diagonal; plain arrays in,
durations out.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor


def mas_batch(logp: np.ndarray, n_lens: np.ndarray, t_lens: np.ndarray) -> np.ndarray:
    """Best monotonic alignments of a padded batch; returns durations [B, N] (int64).

    ``logp[b, n, t]`` is the log-likelihood of frame ``t`` under phoneme ``n``. The path for
    utterance ``b`` starts at (0, 0), ends at (``n_lens[b]`` - 1, ``t_lens[b]`` - 1), and from
    one frame to the next stays on the same phoneme or moves to the next one. Dynamic
    program, one loop over frames, vectorized over batch and phonemes::

        Q[n, 0] = logp[0, 0] if n == 0 else -inf
        Q[n, t] = logp[n, t] + max(Q[n, t - 1], Q[n - 1, t - 1])

    then back from the end, following the better predecessor of each cell. Every phoneme gets
    at least one frame, and the durations sum to ``t_lens[b]``; ``t_lens[b] < n_lens[b]``
    (no such path) raises ``ValueError``. Padding beyond the lengths is ignored.
    """
    logp = np.asarray(logp, dtype=np.float64)
    b, n, t = logp.shape
    n_lens, t_lens = np.asarray(n_lens, np.int64), np.asarray(t_lens, np.int64)
    if (n_lens < 1).any() or (t_lens > t).any() or (n_lens > n).any():
        raise ValueError("lengths out of range")
    if (t_lens < n_lens).any():
        raise ValueError("fewer frames than phonemes: no alignment gives each one a frame")
    q = np.full((b, n), -np.inf)
    q[:, 0] = logp[:, 0, 0]
    from_prev = np.zeros((b, n, t), dtype=bool)  # best predecessor of (n, t) is (n - 1, t - 1)
    shifted = np.empty((b, n))
    for j in range(1, t):
        shifted[:, 0] = -np.inf
        shifted[:, 1:] = q[:, :-1]
        move = shifted > q
        from_prev[:, :, j] = move
        q = np.where(move, shifted, q) + logp[:, :, j]
    durations = np.zeros((b, n), dtype=np.int64)
    rows = np.arange(b)
    cur = n_lens - 1
    for j in range(t - 1, -1, -1):
        active = j < t_lens
        durations[rows[active], cur[active]] += 1
        if j:
            step = from_prev[rows, cur, j] & active
            cur = cur - step
    return durations


def mas(logp: np.ndarray) -> np.ndarray:
    """Durations [N] of the best monotonic alignment of one ``logp`` [N phonemes, T frames]."""
    logp = np.asarray(logp)
    n, t = logp.shape
    return mas_batch(logp[None], np.array([n]), np.array([t]))[0]


def uniform_durations(n: int, frames: int) -> np.ndarray:
    """The equal split: ``frames`` shared out over ``n`` phonemes (the baseline)."""
    edges = np.rint(np.linspace(0, frames, n + 1)).astype(np.int64)
    return np.diff(edges)


def beta_binomial_prior(n: int, t: int, scale: float = 1.0) -> np.ndarray:
    """log P(phoneme | frame) [n, t] of RAD-TTS's alignment prior: for frame j (1-based) a
    beta-binomial over 0..n-1 with a = scale * j, b = scale * (t - j + 1), around the
    diagonal."""
    k = torch.arange(n, dtype=torch.float64)[:, None]
    j = torch.arange(1, t + 1, dtype=torch.float64)[None, :]
    a, b = scale * j, scale * (t - j + 1)
    m = n - 1

    def lbeta(x: Tensor, y: Tensor) -> Tensor:
        return torch.lgamma(x) + torch.lgamma(y) - torch.lgamma(x + y)

    choose = math.lgamma(m + 1) - torch.lgamma(k + 1) - torch.lgamma(m - k + 1)
    return (choose + lbeta(k + a, m - k + b) - lbeta(a, b)).numpy()


def path_matrix(durations: np.ndarray, frames: int) -> np.ndarray:
    """One-hot alignment [B, N, T] from durations [B, N]."""
    b, n = durations.shape
    out = np.zeros((b, n, frames), dtype=np.float32)
    ends = np.cumsum(durations, axis=1)
    t = np.arange(frames)
    for i in range(b):
        owner = np.searchsorted(ends[i], t, side="right")
        ok = owner < n
        out[i, owner[ok], t[ok]] = 1.0
    return out
