"""``sidekick-train align-durations CORPUS``: learn phoneme durations for plain recordings.

``fit`` needs every utterance's phoneme durations (``durations/<id>.json``). Teacher corpora
have them; recordings of people do not. This is a small Glow-TTS-style aligner that learns
them from the corpus itself, without labels:

* a **text encoder** (symbol embedding and residual convolutions) gives each phoneme id a
  diagonal Gaussian (mean and log-deviation) over the frame features: the vocoder's log-mel,
  normalized per bin, and its slope over ±1 frame (the deltas);
* **monotonic alignment search** (:mod:`train.durations.monotonic_alignment`) finds, for the
  current model, the alignment of frames to phoneme ids with the highest log-likelihood: in
  order, none skipped, every id at least one frame;
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

Its inputs are read by :mod:`train.durations.samples`; :mod:`train.durations.agreement`
measures the result against known durations.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from train.config import HOP, SAMPLE_RATE, AlignerConfig
from train.data import corpus
from train.durations.monotonic_alignment import mas_batch, path_matrix
from train.durations.samples import (
    Sample,
    batch_prior,
    collate,
    load_corpus,
    load_sample,
    mel_stats,
    n_symbols,
)
from train.jobs import progress_bar
from train.training_loop import StepWindow, atomic_save, pick_device, saving_on_interrupt

CHECKPOINT = "aligner.pt"
RECORD = "aligner.json"  # in the corpus: what was aligned, what could not be


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


# -- training ---------------------------------------------------------------------------------


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
            "elapsed_s": window.elapsed,
        }
        atomic_save(state, ckpt_path)

    batches = Batches(train, cfg, seed=cfg.seed * 1000 + step)
    total = cfg.steps
    window = StepWindow(out / "log.jsonl", elapsed)
    with saving_on_interrupt(save), progress_bar(progress, info=True) as bar:
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
                search = search + weight * batch_prior(chunk, cfg.prior_scale, cfg.prior_on_speech)
            durations = mas_batch(search, batch["n_lens"], batch["t_lens"])
            path = torch.from_numpy(path_matrix(durations, logp.shape[2])).to(device)
            frames = int(batch["t_lens"].sum())
            loss = -(logp * path).sum() / (frames * bins)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            step += 1
            window.add({"nll": float(loss.detach())})
            if step % cfg.log_every == 0 or step in (cfg.local_steps, total):
                means, per_step = window.close()
                row = {
                    "step": step,
                    "stage": stage,
                    "nll": round(means["nll"], 5),
                    "prior_weight": round(weight, 3),
                    "s_per_step": round(per_step, 4),
                }
                window.write(row)
                info = f"stage {stage} nll/bin {row['nll']:.3f} {per_step:.2f} s/step"
                bar.update(task, completed=step, info=info)
            else:
                bar.update(task, completed=step)
            if step % cfg.ckpt_every == 0:
                save()
    final = context if context is not None else local
    summary = {
        "corpus": str(root.resolve()),
        "utterances": len(samples),
        "trained_on": len(train),
        "skipped": _count(skipped),
        "steps": step,
        "train_seconds": round(window.elapsed, 1),
        "s_per_step": round(window.elapsed / max(step, 1), 4),
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
