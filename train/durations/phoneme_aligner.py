"""``sidekick-train align-durations CORPUS``: learn phoneme durations for plain recordings.

``fit`` needs every utterance's phoneme durations (``durations/<id>.json``). Teacher corpora
have them; recordings of people do not. This is a small Glow-TTS-style aligner that learns
them from the corpus itself, without labels:

* a **text encoder** (symbol embedding and residual convolutions) gives each phoneme id a
  diagonal Gaussian (mean and log-deviation) over the frame features: the vocoder's log-mel,
  normalized per bin, and its slope over ±1 frame (the deltas);
* **monotonic alignment search** (:func:`mas_batch`) finds, for the current model, the
  alignment of frames to phoneme ids with the highest log-likelihood: in order, none skipped,
  every id at least one frame;
* training maximizes the log-likelihood of the frames under that alignment (Viterbi training,
  as in Glow-TTS, without the flow: the frames are fixed features, so there is no mel encoder
  to learn — a learned one would collapse to a constant without a flow's Jacobian term).

Two stages, because an encoder that sees a wide context can equally well describe phoneme
n's sound with phoneme n-1's Gaussian, and then locks in whatever offset its first
alignments had (on teacher corpora: whole utterances ±3 frames off, depending on the seed):

1. a **local** encoder (one convolution of width 3: with Piper's pad id between every two
   symbols, a symbol's Gaussian depends on the symbol alone and a pad's on its two
   neighbours, a transition model). Its first alignments lean on a beta-binomial prior around
   the diagonal from the first to the last loud frame (RAD-TTS's prior), fading out over
   ``prior_steps``;
2. a **context** encoder (three convolutions of width 5) whose search uses the frozen local
   encoder for ``refine_warmup`` steps, then its own likelihood.

The durations, a phoneme id's number of frames on the best path, sum exactly to the mel
length ``len(audio) // 256`` (a last partial frame of audio belongs to no phoneme; ``fit``
drops it). An utterance with fewer frames than phoneme ids (under 11.6 ms per id, pads
included) has no such alignment: it gets no durations and is listed as *unalignable* in
``CORPUS/aligner.json``, which ``fit`` reads.

Phoneme ids come from the duration file where one exists, otherwise from the text through
the teacher's phonemizer (espeak-ng IPA, Piper's symbol table: the ids ``fit`` and the
exported voice use).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import random
import time
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from train.config import HOP, SAMPLE_RATE, AlignerConfig
from train.data import corpus
from train.jobs import progress_bar

CHECKPOINT = "aligner.pt"
RECORD = "aligner.json"  # in the corpus: what was aligned, what could not be
PAD_ID = 0  # Piper's "_", between every two symbols


# -- monotonic alignment search ------------------------------------------------------------


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


# -- the model ------------------------------------------------------------------------------


class ConvBlock(nn.Module):
    """Pre-norm residual convolution over the phoneme axis; padding stays zero."""

    def __init__(self, dim: int, kernel: int, dropout: float):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.conv = nn.Conv1d(dim, dim, kernel, padding=kernel // 2)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: Tensor, keep: Tensor) -> Tensor:
        y = self.conv(self.norm(x).transpose(1, 2)).transpose(1, 2)
        return (x + self.drop(torch.relu(y))) * keep


class TextEncoder(nn.Module):
    """Phoneme ids [B, N] -> Gaussian mean and log-deviation per phoneme [B, N, D] (D: the
    number of feature bins)."""

    def __init__(
        self, n_symbols: int, bins: int, cfg: AlignerConfig, layers: int, kernel: int
    ) -> None:
        super().__init__()
        self.embed = nn.Embedding(n_symbols, cfg.dim)
        self.blocks = nn.ModuleList(ConvBlock(cfg.dim, kernel, cfg.dropout) for _ in range(layers))
        self.norm = nn.LayerNorm(cfg.dim)
        self.min_log_std = cfg.min_log_std
        self.out = nn.Linear(cfg.dim, 2 * bins)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, ids: Tensor, id_mask: Tensor) -> tuple[Tensor, Tensor]:
        keep = (~id_mask).unsqueeze(-1).float()
        x = self.embed(ids) * keep
        for block in self.blocks:
            x = block(x, keep)
        mean, log_std = self.out(self.norm(x)).chunk(2, dim=-1)
        return mean, log_std.clamp(self.min_log_std, 3.0)


def log_likelihood(mean: Tensor, log_std: Tensor, mel: Tensor) -> Tensor:
    """log N(mel[b, t] | mean[b, n], exp(log_std[b, n])) summed over bins: [B, N, T].

    Expanded into matrix products (as Glow-TTS does) instead of a [B, N, T, D] tensor.
    """
    inv_var = torch.exp(-2.0 * log_std)  # [B, N, D]
    const = (-0.5 * math.log(2 * math.pi) - log_std).sum(-1, keepdim=True)  # [B, N, 1]
    sq = -0.5 * inv_var @ (mel**2).transpose(1, 2)  # [B, N, T]
    cross = (mean * inv_var) @ mel.transpose(1, 2)
    mu_sq = (-0.5 * mean**2 * inv_var).sum(-1, keepdim=True)
    return const + sq + cross + mu_sq


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


# -- data -----------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _teacher_config() -> dict[str, Any]:
    from train.data.teacher import teacher_paths

    return json.loads(teacher_paths()[1].read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _phonemizer() -> Any:
    from piper.phonemize_espeak import EspeakPhonemizer

    return EspeakPhonemizer()


def text_ids(text: str) -> tuple[list[int], str]:
    """The teacher's phoneme ids of a text (sentences joined by a space) and its IPA string;
    the same ids ``teacher-corpus`` writes (``Teacher.phoneme_ids(Teacher.phonemize(text))``)."""
    from piper.phoneme_ids import phonemes_to_ids

    config = _teacher_config()
    voice = config.get("espeak", {}).get("voice", "en-us")
    joined: list[str] = []
    for i, sentence in enumerate(s for s in _phonemizer().phonemize(voice, text) if s):
        if i:
            joined.append(" ")
        joined.extend(sentence)
    return list(phonemes_to_ids(joined, config["phoneme_id_map"])), "".join(joined)


def n_symbols() -> int:
    """Size of the teacher's symbol table."""
    return max(max(v) for v in _teacher_config()["phoneme_id_map"].values()) + 1


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


# -- training ---------------------------------------------------------------------------------


def pick_device(name: str) -> torch.device:
    """``auto``: CUDA when present, else the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


class Batches:
    """Random batches; ``bucket`` batches drawn at once and sorted by length."""

    def __init__(self, samples: list[Sample], cfg: AlignerConfig, seed: int):
        self.rng = random.Random(seed)
        self.samples = samples
        self.cfg = cfg
        self.queue: list[list[int]] = []

    def next(self) -> list[Sample]:
        if not self.queue:
            size = min(self.cfg.batch_size, len(self.samples))
            drawn = [self.rng.randrange(len(self.samples)) for _ in range(size * self.cfg.bucket)]
            drawn.sort(key=lambda i: self.samples[i].frames)
            self.queue = [drawn[k : k + size] for k in range(0, len(drawn), size)]
            self.rng.shuffle(self.queue)
        return [self.samples[i] for i in self.queue.pop()]


def prior_weight(step: int, cfg: AlignerConfig) -> float:
    """1 at the start, fading linearly to 0 at ``prior_steps`` (or half of stage 1)."""
    fade = min(cfg.prior_steps, cfg.local_steps / 2)
    if fade <= 0:
        return 0.0
    return max(0.0, 1.0 - step / fade)


def build_encoder(n_symbols: int, bins: int, cfg: AlignerConfig, stage: int) -> TextEncoder:
    """Stage 1's local encoder or stage 2's context encoder."""
    if stage == 1:
        return TextEncoder(n_symbols, bins, cfg, cfg.layers, cfg.kernel)
    return TextEncoder(n_symbols, bins, cfg, cfg.refine_layers, cfg.refine_kernel)


@dataclass
class Aligner:
    """A trained aligner: its encoder and the feature normalization it was trained with."""

    model: TextEncoder
    mean: np.ndarray
    std: np.ndarray
    device: torch.device
    deltas: bool = True

    @torch.no_grad()
    def score(self, samples: list[Sample]) -> tuple[np.ndarray, dict[str, Any]]:
        """logp [B, N, T] of a batch (float64, on the CPU) and the batch."""
        self.model.eval()
        batch = collate(samples, self.mean, self.std, self.device, self.deltas)
        mean, log_std = self.model(batch["ids"], batch["id_mask"])
        return log_likelihood(mean, log_std, batch["mel"]).double().cpu().numpy(), batch

    def durations(self, samples: list[Sample], batch_size: int = 8) -> list[np.ndarray]:
        """The best monotonic alignment of each sample under the model (no prior)."""
        order = sorted(range(len(samples)), key=lambda i: samples[i].frames)
        found: dict[int, np.ndarray] = {}
        for k in range(0, len(order), batch_size):
            part = order[k : k + batch_size]
            logp, batch = self.score([samples[i] for i in part])
            durations = mas_batch(logp, batch["n_lens"], batch["t_lens"])
            for j, i in enumerate(part):
                found[i] = durations[j, : len(samples[i].ids)]
        return [found[i] for i in range(len(samples))]

    @classmethod
    def load(cls, path: Path, device: str = "cpu") -> Aligner:
        """The checkpoint's last stage (the context encoder once stage 2 has run)."""
        ckpt = torch.load(path, map_location="cpu", weights_only=False)
        cfg = AlignerConfig(**ckpt["config"])
        stage = 2 if ckpt.get("context") is not None else 1
        model = build_encoder(ckpt["n_symbols"], ckpt["bins"], cfg, stage)
        model.load_state_dict(ckpt["context" if stage == 2 else "local"])
        dev = pick_device(device)
        mean, std = np.asarray(ckpt["mel_mean"]), np.asarray(ckpt["mel_std"])
        return cls(model.to(dev), mean, std, dev, cfg.deltas)


def train_aligner(
    corpus_dir: Path,
    out_dir: Path,
    config: AlignerConfig | None = None,
    progress: bool = True,
    samples: list[Sample] | None = None,
) -> dict[str, Any]:
    """Train (or resume) the aligner on every usable utterance of a corpus, with or without
    durations. ``out_dir`` gets the checkpoint (``aligner.pt``, every ``ckpt_every`` steps and
    on Ctrl-C: the same call resumes), ``log.jsonl`` (one line per ``log_every`` steps) and
    ``run.json`` (the summary, also returned). ``samples`` (from :func:`load_corpus`) saves
    reading the corpus again."""
    cfg = config or AlignerConfig()
    root, out = Path(corpus_dir), Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    skipped: dict[str, str] = {}
    if samples is None:
        samples, skipped = load_corpus(root, progress)
    if not samples:
        raise corpus.CorpusError(f"No utterance of {root} can be aligned ({_count(skipped)}).")
    limit = cfg.max_seconds * SAMPLE_RATE / HOP
    train = [s for s in samples if s.frames <= limit] or samples
    torch.manual_seed(cfg.seed)
    device = pick_device(cfg.device)
    ckpt_path = out / CHECKPOINT
    ckpt = None
    if ckpt_path.is_file():
        ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=False)
        saved = AlignerConfig(**ckpt["config"])
        # a run goes on as it started (shapes, steps, stages); a finished one is reused
        kept = ("dim", "layers", "kernel", "refine_layers", "refine_kernel", "deltas", "steps")
        kept += ("refine_share", "refine_warmup", "prior_steps", "prior_scale", "min_log_std")
        cfg = replace(cfg, **{k: getattr(saved, k) for k in kept})
        mean, std = np.asarray(ckpt["mel_mean"]), np.asarray(ckpt["mel_std"])
        symbols, step = int(ckpt["n_symbols"]), int(ckpt["step"])
        elapsed = float(ckpt.get("elapsed_s", 0.0))
    else:
        mean, std = mel_stats(train)
        symbols = max(n_symbols(), int(max(s.ids.max() for s in samples)) + 1)
        step, elapsed = 0, 0.0
    bins = len(mean) * (2 if cfg.deltas else 1)
    local = build_encoder(symbols, bins, cfg, 1).to(device)
    context: TextEncoder | None = None
    if ckpt is not None:
        local.load_state_dict(ckpt["local"])
        if ckpt.get("context") is not None:
            context = build_encoder(symbols, bins, cfg, 2).to(device)
            context.load_state_dict(ckpt["context"])
    model, optimizer, opt_stage = local, None, 0  # the encoder trained now, its optimizer

    def stage_of(at: int) -> int:
        return 1 if at < cfg.local_steps else 2

    def save() -> None:
        tmp = ckpt_path.with_name(f".{ckpt_path.name}.tmp")
        state = {
            "local": local.state_dict(),
            "context": None if context is None else context.state_dict(),
            "optimizer": None if optimizer is None else optimizer.state_dict(),
            "optimizer_stage": opt_stage,
            "config": cfg.to_dict(),
            "n_symbols": symbols,
            "bins": bins,
            "mel_mean": mean.tolist(),
            "mel_std": std.tolist(),
            "step": step,
            "elapsed_s": elapsed,
        }
        torch.save(state, tmp)
        os.replace(tmp, ckpt_path)

    batches = Batches(train, cfg, seed=cfg.seed * 1000 + step)
    log_path = out / "log.jsonl"
    total = cfg.steps
    window, window_n, tick = 0.0, 0, time.perf_counter()
    try:
        with progress_bar(progress, info=True) as bar:
            task = bar.add_task("aligner", total=total, completed=step, info="")
            while step < total:
                stage = stage_of(step)
                if opt_stage != stage:  # a fresh optimizer per stage (or the saved one)
                    if stage == 2 and context is None:
                        context = build_encoder(symbols, bins, cfg, 2).to(device)
                    model = local if stage == 1 or context is None else context
                    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
                    if ckpt is not None and ckpt.get("optimizer_stage") == stage:
                        optimizer.load_state_dict(ckpt["optimizer"])
                    opt_stage = stage
                    local.train(stage == 1)
                    model.train()
                assert optimizer is not None
                chunk = batches.next()
                batch = collate(chunk, mean, std, device, cfg.deltas)
                mu, log_std = model(batch["ids"], batch["id_mask"])
                logp = log_likelihood(mu, log_std, batch["mel"])
                weight = prior_weight(step, cfg) if stage == 1 else 0.0
                if stage == 2 and step < cfg.warmup_end:
                    with torch.no_grad():
                        guide = log_likelihood(*local(batch["ids"], batch["id_mask"]), batch["mel"])
                    search = guide.double().cpu().numpy()
                else:
                    search = logp.detach().double().cpu().numpy()
                if weight:
                    search = search + weight * batch_prior(
                        chunk, cfg.prior_scale, cfg.prior_on_speech
                    )
                durations = mas_batch(search, batch["n_lens"], batch["t_lens"])
                path = torch.from_numpy(path_matrix(durations, logp.shape[2])).to(device)
                frames = int(batch["t_lens"].sum())
                loss = -(logp * path).sum() / (frames * bins)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
                optimizer.step()
                step += 1
                window += float(loss.detach())
                window_n += 1
                if step % cfg.log_every == 0 or step in (cfg.local_steps, total):
                    now = time.perf_counter()
                    per_step = (now - tick) / window_n
                    elapsed += now - tick
                    tick = now
                    row = {
                        "step": step,
                        "stage": stage,
                        "nll": round(window / window_n, 5),
                        "prior_weight": round(weight, 3),
                        "s_per_step": round(per_step, 4),
                    }
                    with open(log_path, "a", encoding="utf-8") as f:
                        f.write(json.dumps(row) + "\n")
                    window, window_n = 0.0, 0
                    info = f"stage {stage} nll/bin {row['nll']:.3f} {per_step:.2f} s/step"
                    bar.update(task, completed=step, info=info)
                else:
                    bar.update(task, completed=step)
                if step % cfg.ckpt_every == 0:
                    save()
    except KeyboardInterrupt:
        save()
        raise
    save()
    final = context if context is not None else local
    summary = {
        "corpus": str(root.resolve()),
        "utterances": len(samples),
        "trained_on": len(train),
        "skipped": _count(skipped),
        "steps": step,
        "train_seconds": round(elapsed, 1),
        "s_per_step": round(elapsed / max(step, 1), 4),
        "parameters": sum(p.numel() for p in final.parameters()),
        "device": str(device),
        "config": cfg.to_dict(),
    }
    corpus.write_json(out / "run.json", summary)
    return summary


def _count(reasons: dict[str, str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for why in reasons.values():
        out[why] = out.get(why, 0) + 1
    return out


# -- durations for the corpus ----------------------------------------------------------------


def missing_durations(root: Path) -> list[str]:
    """Ids of utterances with audio but no ``durations/<id>.json``, leaving out those the
    aligner found unalignable (``CORPUS/aligner.json``)."""
    root = Path(root)
    unalignable = set(read_record(root).get("unalignable", {}))
    return [
        u.id
        for u in corpus.read_metadata(root)
        if u.id not in unalignable
        and corpus.wav_path(root, u.id).is_file()
        and not corpus.durations_path(root, u.id).is_file()
    ]


def read_record(root: Path) -> dict[str, Any]:
    path = Path(root) / RECORD
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def extract_durations(
    corpus_dir: Path,
    checkpoint: Path,
    samples: list[Sample] | None = None,
    skipped: dict[str, str] | None = None,
    device: str = "cpu",
    progress: bool = True,
) -> dict[str, Any]:
    """Write ``durations/<id>.json`` (the corpus format: phoneme ids, frames per id, hop,
    sample rate, IPA) for every utterance that lacks one, from the trained aligner at
    ``checkpoint``; existing files are left alone. ``samples`` and ``skipped`` (from
    :func:`load_corpus`) save reading the audio again. Records the result, with the
    utterances that could not be aligned and why, in ``CORPUS/aligner.json``."""
    from train.jobs import track

    root = Path(corpus_dir)
    wanted = set(missing_durations(root))
    skipped = dict(skipped or {})
    if samples is None:
        samples = []
        for u in corpus.read_metadata(root):
            if u.id in wanted:
                got = load_sample(root, u)
                if isinstance(got, str):
                    skipped[u.id] = got
                else:
                    samples.append(got)
    todo = [s for s in samples if s.id in wanted and not s.has_durations]
    unaligned = {u: skipped.get(u, "not_loaded") for u in wanted - {s.id for s in todo}}
    aligner = Aligner.load(Path(checkpoint), device)
    written = 0
    for k in track(range(0, len(todo), 32), "aligner: durations", enabled=progress):
        chunk = todo[k : k + 32]
        for s, durs in zip(chunk, aligner.durations(chunk), strict=True):
            corpus.write_durations(root, s.id, s.ids.tolist(), durs, s.phonemes)
            written += 1
    old = read_record(root)
    unalignable = {**old.get("unalignable", {}), **unaligned}
    for s in todo:
        unalignable.pop(s.id, None)
    aligned = sorted(set(old.get("aligned", [])) | {s.id for s in todo})
    record = {
        "checkpoint": str(Path(checkpoint).resolve()),
        "written": written,
        "aligned": aligned,
        "unalignable": dict(sorted(unalignable.items())),
    }
    corpus.write_json(root / RECORD, record)
    return record


# -- measuring against known durations --------------------------------------------------------


def phoneme_starts(ids: np.ndarray) -> np.ndarray:
    """Which ids begin a phoneme (bool [N]). Piper's ids spell each phoneme with marks around
    it: the pad ``_`` after every symbol, the stress mark before a stressed vowel and the
    length mark after a long one are not sounds of their own, so they begin nothing (the
    stress mark does begin its vowel). Spaces and punctuation (pauses) count as phonemes."""
    id_map = _teacher_config()["phoneme_id_map"]
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


def align_durations(
    corpus_dir: Path,
    out_dir: Path | None = None,
    config: AlignerConfig | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Train the aligner on the corpus (``out_dir``, default ``CORPUS/.aligner``) and write
    the durations it lacks; nothing to do when every utterance has them."""
    root = Path(corpus_dir)
    out = Path(out_dir) if out_dir else root / ".aligner"
    missing = missing_durations(root)
    if not missing:
        return {"written": 0, "message": "every utterance already has durations"}
    samples, skipped = load_corpus(root, progress)
    summary = train_aligner(root, out, config, progress, samples=samples)
    device = (config or AlignerConfig()).device
    record = extract_durations(root, out / CHECKPOINT, samples, skipped, device, progress)
    return {
        "written": record["written"],
        "unalignable": _count(record["unalignable"]),
        "steps": summary["steps"],
        "train_seconds": summary["train_seconds"],
        "checkpoint": str(out / CHECKPOINT),
    }
