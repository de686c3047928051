"""Speaker adaptation for pocketsphinx's en-us model: an MLLR transform of its means.

pocketsphinx can apply a maximum-likelihood linear regression (MLLR) transform to its
Gaussians' means (``-mllr FILE``) but ships no tool to estimate one. This module estimates
one from a single page: the features of the page as the decoder saw them, the phones of
what it heard there, and, for each frame, how much each Gaussian of the phone's codebook
explains it. The model is phonetically tied (PTM): one codebook of 128 Gaussians per base
phone and stream, so the frame's phone names its codebook. The senones' mixture weights are
left out of the frame-to-Gaussian posteriors; they only reweigh Gaussians of the same
codebook.

One global transform per stream (cepstra, deltas, double deltas; 13 x 13 plus a bias), pulled
towards the identity (``prior``) so that a short page cannot overfit it. The page's features
come from pocketsphinx's own front end (its ``mfclogdir`` log, caught in memory: see
:class:`sidekick.listening.sphinx_reader.FeatureLog`), so they match the decoder's exactly:
same warp, same noise removal.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

VARIANCE_FLOOR = 1e-4  # pocketsphinx's -varfloor: unused Gaussians have zero variance
#: How hard each row of the transform is pulled towards the identity, as a share of its own
#: statistics' weight. A weak pull was best on the development sets: 0.01 -> 0.001 gave seed
#: 13 (child-like) 1.8 / 75.3 -> 1.5 / 77.6 (FRR / recall) and left seeds 11, 17 and 19 as
#: they were; with an earlier pull scaled by the statistics' trace, seed 13 gave 2.1 / 72.9,
#: 2.3 / 70.6 and 2.9 / 70.6 at 0.01, 0.1 and 1.
PRIOR = 0.001
#: EM steps: each frame's Gaussians are found again under the transform so far. One step
#: recovers about 60% of a known shift of the features, three nearly all of it.
ITERATIONS = 3
SILENCE, NOISE = "SIL", "+NSN+"


def _read_gaussians(path: Path) -> np.ndarray:
    """A Sphinx-3 binary Gaussian file (means or variances): (codebook, stream, density,
    dimension)."""
    data = path.read_bytes()
    at = data.index(b"endhdr\n") + len(b"endhdr\n")
    magic, n_codebooks, n_streams, n_densities = struct.unpack("<4i", data[at : at + 16])
    if magic != 0x11223344:
        raise ValueError(f"{path}: not a little-endian Sphinx parameter file")
    at += 16
    dims = struct.unpack(f"<{n_streams}i", data[at : at + 4 * n_streams])
    if len(set(dims)) != 1:
        raise ValueError(f"{path}: streams of different sizes are not supported")
    at += 4 * n_streams
    (total,) = struct.unpack("<i", data[at : at + 4])
    values = np.frombuffer(data, dtype="<f4", count=total, offset=at + 4)
    return values.astype(np.float64).reshape(n_codebooks, n_streams, n_densities, dims[0])


def _base_phones(mdef: Path) -> dict[str, int]:
    """The base phones of a binary model definition, by codebook index."""
    data = mdef.read_bytes()
    key = b"END FILE FORMAT DESCRIPTION\n"
    at = data.index(key) + len(key)
    at += -at % 4  # padded to a 4-byte boundary
    n_phones = struct.unpack("<i", data[at : at + 4])[0]
    names = data[at + 40 :].split(b"\x00")[:n_phones]  # after the 10 header counts
    return {name.decode("ascii"): i for i, name in enumerate(names)}


class AcousticModel:
    """The parts of a PTM model that adaptation needs (read once per model directory)."""

    def __init__(self, hmm: Path) -> None:
        self.means = _read_gaussians(hmm / "means")
        self.variances = np.maximum(_read_gaussians(hmm / "variances"), VARIANCE_FLOOR)
        self.phones = _base_phones(hmm / "mdef")
        if len(self.phones) != self.means.shape[0]:
            raise ValueError(f"{hmm}: not a phonetically tied model (one codebook per phone)")


@functools.cache
def acoustic_model(hmm: Path) -> AcousticModel:
    return AcousticModel(hmm)


def read_cepstra(data: bytes) -> np.ndarray:
    """A Sphinx MFCC file's bytes (big-endian count, then float32 cepstra): (frames, 13)."""
    (count,) = struct.unpack(">i", data[:4])
    return (
        np.frombuffer(data, dtype=">f4", count=count, offset=4).astype(np.float64).reshape(-1, 13)
    )


def streams(cepstra: np.ndarray) -> list[np.ndarray]:
    """pocketsphinx's ``1s_c_d_dd`` features with the utterance's mean removed: cepstra,
    deltas (t+2 - t-2) and double deltas ((t+3 - t-1) - (t+1 - t-3))."""
    c = cepstra - cepstra.mean(axis=0)
    padded = np.concatenate([np.repeat(c[:1], 3, 0), c, np.repeat(c[-1:], 3, 0)])
    t = np.arange(3, 3 + len(c))
    delta = padded[t + 2] - padded[t - 2]
    double = (padded[t + 3] - padded[t - 1]) - (padded[t + 1] - padded[t - 3])
    return [c, delta, double]


def frame_phones(
    segments: Iterable[tuple[str, int, int]],
    pronunciations: dict[str, Sequence[str]],
    model: AcousticModel,
    n_frames: int,
) -> np.ndarray:
    """Each frame's codebook (-1: unknown), from word segments (word, first frame, last
    frame): a word's frames are shared evenly among its phones. (pocketsphinx's own phone
    alignment, a second pass over the word alignment, failed on development readings.)"""
    codebook = np.full(n_frames, -1)
    for word, first, last in segments:
        if word in ("<s>", "</s>", "<sil>"):
            phones: Sequence[str] = [SILENCE]
        elif word.startswith("["):
            phones = [NOISE]
        else:
            phones = pronunciations.get(word, ())
        if not phones:
            continue
        edges = np.linspace(first, last + 1, len(phones) + 1).round().astype(int)
        for phone, lo, hi in zip(phones, edges[:-1], edges[1:], strict=True):
            codebook[lo : min(hi, n_frames)] = model.phones.get(phone, -1)
    return codebook


def estimate(
    model: AcousticModel,
    codebook: np.ndarray,
    features: list[np.ndarray],
    prior: float = PRIOR,
    iterations: int = ITERATIONS,
) -> list[np.ndarray]:
    """One (dim, dim + 1) transform per stream, rows ``[bias, A]``: new mean = A mean + bias.

    Per output dimension i the transform row maximizes the page's likelihood under diagonal
    Gaussians: W_i = G_i^-1 k_i, with G_i = sum over Gaussians of occupancy / var_i times
    xi xi^T (xi = [1, mean]) and k_i = sum of occupancy-weighted o_i / var_i times xi.
    """
    keep = codebook >= 0
    codebook = codebook[keep]
    out = []
    for s, feats in enumerate(features):
        x_all = feats[keep]
        dim = x_all.shape[1]
        rows = np.hstack([np.zeros((dim, 1)), np.eye(dim)])
        for _ in range(iterations):
            rows = _step(model, s, codebook, x_all, rows, prior)
        out.append(rows)
    return out


def _step(
    model: AcousticModel,
    stream: int,
    codebook: np.ndarray,
    x_all: np.ndarray,
    rows: np.ndarray,
    prior: float,
) -> np.ndarray:
    """One EM step: each frame's Gaussians under the current transform, then the transform
    that best explains the frames with them."""
    dim = x_all.shape[1]
    g = np.zeros((dim, dim + 1, dim + 1))
    k = np.zeros((dim, dim + 1))
    for cb in np.unique(codebook):
        x = x_all[codebook == cb]
        mu, var = model.means[cb, stream], model.variances[cb, stream]
        moved = mu @ rows[:, 1:].T + rows[:, 0]
        inv = 1.0 / var
        # sum over d of (x_d - m_d)^2 / v_d, expanded into matrix products
        distance = (x**2) @ inv.T - 2 * x @ (moved * inv).T + (moved**2 * inv).sum(axis=1)
        loglik = -0.5 * (distance + np.log(var).sum(axis=1))
        post = np.exp(loglik - loglik.max(axis=1, keepdims=True))
        post /= post.sum(axis=1, keepdims=True)
        xi = np.concatenate([np.ones((len(mu), 1)), mu], axis=1)  # [1, mean]
        weight = post.sum(axis=0)[:, None] * inv  # (Gaussian, dimension)
        for i in range(dim):
            g[i] += (xi * weight[:, i : i + 1]).T @ xi
        k += ((post.T @ x) * inv).T @ xi
    new = np.zeros((dim, dim + 1))
    for i in range(dim):
        identity = np.zeros(dim + 1)
        identity[i + 1] = 1.0
        ridge = prior * np.diag(np.diag(g[i]))
        new[i] = np.linalg.solve(g[i] + ridge, k[i] + ridge @ identity)
    return new


def transform_text(transforms: list[np.ndarray]) -> str:
    """pocketsphinx's MLLR file: classes, streams, then per stream its length, A, the bias
    and the variance scales (1: variances are left as they are)."""
    lines = ["1", str(len(transforms))]
    for rows in transforms:
        dim = rows.shape[0]
        lines.append(str(dim))
        lines += [" ".join(f"{v:.6g}" for v in rows[i, 1:]) for i in range(dim)]
        lines.append(" ".join(f"{v:.6g}" for v in rows[:, 0]))
        lines.append(" ".join(["1"] * dim))
    return "\n".join(lines) + "\n"
