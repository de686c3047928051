"""``sidekick-train fit CORPUS --out RUN [--config FILE]``: train the acoustic model.

One readable loop. What the method asks for is explicit here:

* **L2 penalty** on the generator's weights: ``l2 * sum(w**2)`` over every weight matrix,
  kernel and embedding is added to the loss before ``backward`` (not AdamW's decoupled
  weight decay, which stays 0 by default); it is logged apart from the loss as ``l2_sum``
  and ``l2_term``.
* **Neutral augmentation**: ``neutral_share`` of every batch is drawn from the neutral
  utterances (0 = none: the ablation; ``None`` = the corpus's own proportion).
* **Style IDs**: each utterance's style is an input of the model.

Features (log-mel, per-phoneme pitch and energy; :mod:`train.acoustic.features`) are computed
once into ``RUN/features/``.
``RUN/ckpt.pt`` is written every ``ckpt_every`` steps (and on Ctrl-C or SIGTERM); running the same
command again resumes from it. ``--init-from BUNDLE`` starts a new run from an exported
voice's model (:mod:`train.acoustic.warm_start`). ``RUN/log.jsonl`` has one line per logged
step and per validation, ``RUN/loss.svg`` the curves, ``RUN/run.json`` the corpus, hardware
and timings (the model card is made from it). Device ``auto`` picks CUDA when present; with
``torchrun --nproc_per_node K -m train fit ...`` (``WORLD_SIZE`` > 1) it trains with DDP.
"""

from __future__ import annotations

import json
import math
import os
import platform
import random
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from train.acoustic.features import (
    FEATURES,
    Item,
    extract,
    make_item,
    norm_stats,
    one_thread,
)
from train.acoustic.model import AcousticModel, l2_sum, losses
from train.config import HOP, SAMPLE_RATE, FitConfig, ModelConfig
from train.data import corpus
from train.jobs import progress_bar
from train.training_loop import StepWindow, atomic_save, pick_device, saving_on_interrupt


def collate(items: list[Item], device: torch.device) -> dict[str, torch.Tensor]:
    """Pad a batch; masks are True on padding."""
    b = len(items)
    n = max(len(it.ids) for it in items)
    t = max(it.frames for it in items)
    ids = np.zeros((b, n), np.int64)
    durations = np.zeros((b, n), np.int64)
    pitch = np.zeros((b, n), np.float32)
    energy = np.zeros((b, n), np.float32)
    mel = np.zeros((b, t, items[0].mel.shape[1]), np.float32)
    id_len = np.array([len(it.ids) for it in items])
    mel_len = np.array([it.frames for it in items])
    for i, it in enumerate(items):
        k, f = len(it.ids), it.frames
        ids[i, :k], durations[i, :k] = it.ids, it.durations
        pitch[i, :k], energy[i, :k] = it.pitch, it.energy
        mel[i, :f] = it.mel
    batch = {
        "ids": ids,
        "durations": durations,
        "pitch": pitch,
        "energy": energy,
        "mel": mel,
        "styles": np.array([it.style for it in items], np.int64),
        "id_mask": np.arange(n)[None, :] >= id_len[:, None],
        "mel_mask": np.arange(t)[None, :] >= mel_len[:, None],
    }
    return {k: torch.from_numpy(v).to(device, non_blocking=True) for k, v in batch.items()}


class Sampler:
    """Batches with ``neutral_share`` neutral utterances on average; ``bucket`` batches are
    drawn at once, sorted by length and split, so similar lengths are padded together."""

    def __init__(self, items: list[Item], neutral: int | None, cfg: FitConfig, seed: int):
        self.rng = random.Random(seed)
        self.cfg = cfg
        self.neutral = [i for i, it in enumerate(items) if it.style == neutral]
        self.other = [i for i, it in enumerate(items) if it.style != neutral]
        self.frames = [it.frames for it in items]
        share = cfg.neutral_share
        if share is None or share < 0 or not self.neutral or not self.other:
            share = len(self.neutral) / len(items)
        self.share = share
        self.queue: list[list[int]] = []

    def next(self) -> list[int]:
        if not self.queue:
            n = self.cfg.batch_size * self.cfg.bucket
            drawn = [
                self.rng.choice(self.neutral if self.rng.random() < self.share else self.other)
                for _ in range(n)
            ]
            drawn.sort(key=lambda i: self.frames[i])
            size = self.cfg.batch_size
            self.queue = [drawn[k : k + size] for k in range(0, n, size)]
            self.rng.shuffle(self.queue)
        return self.queue.pop()


# -- the run --------------------------------------------------------------------------------


def learning_rate(step: int, cfg: FitConfig) -> float:
    """Linear warm-up, then cosine decay to ``lr * min_lr_ratio`` at ``steps``."""
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    progress = min(1.0, (step - cfg.warmup_steps) / max(1, cfg.steps - cfg.warmup_steps))
    floor = cfg.lr * cfg.min_lr_ratio
    return floor + (cfg.lr - floor) * 0.5 * (1 + math.cos(math.pi * progress))


def split_ids(uids: list[str], cfg: FitConfig) -> tuple[list[str], list[str]]:
    """A fixed validation split (seeded), at least one training utterance."""
    shuffled = sorted(uids)
    random.Random(cfg.seed).shuffle(shuffled)
    n_val = min(cfg.val_max, round(cfg.val_fraction * len(shuffled)), len(shuffled) - 1)
    n_val = max(n_val, 1 if len(shuffled) > 1 else 0)
    return sorted(shuffled[n_val:]), sorted(shuffled[:n_val])


def prepare(
    root: Path, out: Path, cfg: FitConfig, progress: bool, is_main: bool
) -> tuple[dict[str, Any], list[corpus.Utterance], dict[str, str]]:
    """Extract (or reuse) features; returns raw features, usable utterances and skip reasons."""
    from train.jobs import parallel_map

    utterances = corpus.read_metadata(root)
    status: dict[str, str] = {}
    if is_main:
        jobs = [(str(root), u.id, str(out)) for u in utterances]
        for uid, why in parallel_map(
            extract, jobs, "features", cfg.workers, one_thread, progress=progress
        ):
            status[uid] = why
    _barrier()
    if not is_main:
        status = {u.id: "ok" for u in utterances if (out / FEATURES / f"{u.id}.npz").is_file()}
    raw: dict[str, Any] = {}
    usable = []
    for u in utterances:
        if status.get(u.id) != "ok":
            continue
        with np.load(out / FEATURES / f"{u.id}.npz") as data:
            feats = {k: data[k] for k in ("ids", "durations", "mel", "log_f0", "log_energy")}
        if len(feats["mel"]) * HOP / SAMPLE_RATE > cfg.max_seconds:
            status[u.id] = "too_long"
            continue
        raw[u.id] = feats
        usable.append(u)
    skipped = {k: v for k, v in status.items() if v != "ok"}
    if not usable:
        reasons = sorted(set(skipped.values()))
        raise corpus.CorpusError(
            f"No utterance of {root} can be trained on ({', '.join(reasons) or 'empty'}). "
            "fit needs durations/<id>.json with per-phoneme frames (teacher corpora have "
            "them; for recordings the aligner learns them: "
            f"sidekick-train align-durations {root})."
        )
    return raw, usable, skipped


def _barrier() -> None:
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.barrier()


def hardware(device: torch.device, world: int) -> dict[str, Any]:
    info: dict[str, Any] = {
        "device": str(device),
        "world_size": world,
        "torch": torch.__version__,
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "platform": platform.platform(),
    }
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    return info


def plot_losses(log_path: Path, out: Path) -> None:
    """Training and validation loss curves, and the L2 term, as an SVG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [json.loads(line) for line in log_path.read_text(encoding="utf-8").splitlines()]
    train = [r for r in rows if r.get("split") == "train"]
    val = [r for r in rows if r.get("split") == "val"]
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 3.5))
    for key, style in (("loss", "-"), ("mel", "--"), ("duration", ":")):
        ax.plot([r["step"] for r in train], [r[key] for r in train], style, label=f"train {key}")
    if val:
        ax.plot([r["step"] for r in val], [r["loss"] for r in val], "o-", label="val loss")
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_title("losses (without the L2 term)")
    ax.legend(fontsize=8)
    ax2.plot([r["step"] for r in train], [r["l2_term"] for r in train], color="C3")
    ax2.set_xlabel("step")
    ax2.set_title("L2 penalty term (l2 * sum w²)")
    fig.tight_layout()
    tmp = out.with_name(f".{out.name}.tmp")
    fig.savefig(tmp, format="svg")
    plt.close(fig)
    os.replace(tmp, out)


@torch.no_grad()
def validate(model: AcousticModel, items: list[Item], cfg: FitConfig, device) -> dict[str, float]:
    """Teacher-forced losses over the validation utterances."""
    model.eval()
    totals: dict[str, float] = {}
    weight = 0
    for k in range(0, len(items), cfg.batch_size):
        chunk = items[k : k + cfg.batch_size]
        batch = collate(chunk, device)
        parts = losses(_forward(model, batch), batch)
        for name, value in parts.items():
            totals[name] = totals.get(name, 0.0) + float(value) * len(chunk)
        weight += len(chunk)
    model.train()
    out = {k: v / max(weight, 1) for k, v in totals.items()}
    out["loss"] = _total(out, cfg)
    return out


def _forward(model: torch.nn.Module, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return model(
        batch["ids"],
        batch["id_mask"],
        batch["styles"],
        batch["durations"],
        batch["pitch"],
        batch["energy"],
        batch["mel_mask"],
    )


def _total(parts: dict, cfg: FitConfig):
    return (
        parts["mel"]
        + cfg.duration_weight * parts["duration"]
        + cfg.pitch_weight * parts["pitch"]
        + cfg.energy_weight * parts["energy"]
    )


def fit(
    corpus_dir: Path, out_dir: Path, config: FitConfig | None = None, progress: bool = True
) -> dict[str, Any]:
    """Train (or resume) on a corpus with durations; returns the run summary (``run.json``)."""
    cfg = config or FitConfig()
    root, out = Path(corpus_dir), Path(out_dir)
    if not (root / "metadata.csv").is_file():
        raise corpus.CorpusError(f"{root} is not a corpus: metadata.csv is missing.")
    from train.durations.phoneme_aligner import missing_durations

    missing = missing_durations(root)
    if missing:  # recordings without durations: the aligner first (one line, the command)
        raise corpus.CorpusError(
            f"{root}: {len(missing)} utterance(s) without durations/<id>.json (such as "
            f"{missing[0]}); learn them with the aligner first: "
            f"sidekick-train align-durations {root}"
        )
    out.mkdir(parents=True, exist_ok=True)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank, local_rank = 0, int(os.environ.get("LOCAL_RANK", "0"))
    device = pick_device(cfg.device, local_rank)
    if world > 1:
        import torch.distributed as dist

        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
        rank = dist.get_rank()
        if device.type == "cuda":
            torch.cuda.set_device(device)
    is_main = rank == 0
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed + rank)

    raw, usable, skipped = prepare(root, out, cfg, progress and is_main, is_main)
    ckpt_path = out / "ckpt.pt"
    ckpt = None
    if ckpt_path.is_file():
        ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=False)
    if ckpt is not None:  # resume: same styles, split and normalization as before
        styles, stats = list(ckpt["styles"]), ckpt["stats"]
        # the voice the run started from stays on record (the model card names it)
        cfg.init_from = cfg.init_from or ckpt["fit_config"].get("init_from", "")
        model_cfg = ModelConfig(**ckpt["model_config"])
        known = {u.id for u in usable if u.style in styles}
        train_ids = [i for i in ckpt["train_ids"] if i in known]
        val_ids = [i for i in ckpt["val_ids"] if i in known]
    else:
        styles = list(cfg.styles) or sorted({u.style for u in usable})
        if cfg.init_from:
            from train.acoustic.warm_start import load_bundle_model

            warm, bundle = load_bundle_model(Path(cfg.init_from))
            styles = list(bundle["styles"])
        train_ids, val_ids = split_ids([u.id for u in usable if u.style in styles], cfg)
        if cfg.neutral_share == 0:  # the ablation: no neutral utterances at all
            neutral_ids = {u.id for u in usable if u.style == cfg.neutral_style}
            train_ids = [i for i in train_ids if i not in neutral_ids]
        stats = norm_stats(raw, train_ids)
        model_cfg = replace(cfg.model, n_styles=len(styles))
        if cfg.init_from:  # the warm model's size, and its targets' scale
            stats.update(bundle["normalization"])
            model_cfg = replace(warm.cfg)
    style_of = {u.id: styles.index(u.style) for u in usable if u.style in styles}
    from train.data.teacher import teacher_config

    id_map = teacher_config()["phoneme_id_map"]  # the symbol table of the corpus ids
    n_symbols = max(max(v) for v in id_map.values()) + 1
    model_cfg.n_symbols = max(model_cfg.n_symbols, n_symbols)
    top = max(int(raw[i]["ids"].max()) for i in style_of)
    if top >= model_cfg.n_symbols:
        raise corpus.CorpusError(f"Phoneme id {top} is not in the teacher's symbol table.")
    train_items = [make_item(i, style_of[i], raw[i], stats) for i in train_ids]
    val_items = [make_item(i, style_of[i], raw[i], stats) for i in val_ids]
    if not train_items:
        raise corpus.CorpusError(f"No training utterance left in {root} (styles {styles}).")
    neutral = styles.index(cfg.neutral_style) if cfg.neutral_style in styles else None

    model = AcousticModel(model_cfg).to(device)
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=cfg.lr, betas=(0.9, 0.98), eps=1e-9, weight_decay=cfg.weight_decay
    )
    step, elapsed = 0, 0.0
    if ckpt is not None:
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        step, elapsed = int(ckpt["step"]), float(ckpt.get("elapsed_s", 0.0))
    elif cfg.init_from:
        model.load_state_dict(warm.state_dict())
    else:
        model.init_outputs(torch.tensor(stats["mel_mean"]), stats["log_duration_mean"])
    net: torch.nn.Module = model
    if world > 1:
        net = torch.nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None
        )
    sampler = Sampler(train_items, neutral, cfg, seed=cfg.seed * 1000 + rank + step)
    amp = cfg.amp and device.type == "cuda"
    log_path = out / "log.jsonl"

    def save() -> None:
        if not is_main:
            return
        atomic_save(
            {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "step": step,
                "elapsed_s": window.elapsed,
                "model_config": model_cfg.to_dict(),
                "fit_config": cfg.to_dict(),
                "styles": styles,
                "stats": stats,
                "phoneme_id_map": id_map,
                "train_ids": train_ids,
                "val_ids": val_ids,
            },
            ckpt_path,
        )

    hours = _hours(train_items, styles)
    if is_main and progress:
        n_params = sum(p.numel() for p in model.parameters())
        print(
            f"fit: {len(train_items)} train / {len(val_items)} val utterances "
            f"({', '.join(f'{s} {h:.2f} h' for s, h in hours.items())}), "
            f"{n_params / 1e6:.2f} M parameters, {device}, world {world}"
            + (f"; resuming at step {step}" if step else "")
        )
    model.train()
    window = StepWindow(log_path, elapsed, write=is_main)
    last_val: dict[str, float] = {}
    with saving_on_interrupt(save), progress_bar(progress and is_main, info=True) as bar:
        task = bar.add_task("fit", total=cfg.steps, completed=step, info="")
        while step < cfg.steps:
            for group in optimizer.param_groups:
                group["lr"] = learning_rate(step, cfg)
            batch = collate([train_items[i] for i in sampler.next()], device)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
                pred = _forward(net, batch)
            parts = losses({k: v.float() for k, v in pred.items()}, batch)
            loss = _total(parts, cfg)
            squares = l2_sum(model)
            penalty = cfg.l2 * squares
            optimizer.zero_grad(set_to_none=True)
            (loss + penalty).backward()
            grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            optimizer.step()
            step += 1
            values = {k: float(v.detach()) for k, v in parts.items()}
            values.update(loss=float(loss.detach()), l2_sum=float(squares.detach()))
            values["l2_term"] = float(penalty.detach())
            values["grad_norm"] = float(grad_norm)
            window.add(values)
            if step % cfg.log_every == 0 or step == cfg.steps:
                means, per_step = window.close()
                row = {"split": "train", "step": step}
                row.update({k: round(v, 6) for k, v in means.items()})
                row.update(lr=learning_rate(step - 1, cfg), s_per_step=round(per_step, 4))
                window.write(row)
                bar.update(
                    task,
                    completed=step,
                    info=f"loss {row['loss']:.3f} mel {row['mel']:.3f} "
                    f"l2 {row['l2_term']:.2e} {per_step:.2f} s/step",
                )
            else:
                bar.update(task, completed=step)
            if val_items and (step % cfg.val_every == 0 or step == cfg.steps):
                last_val = validate(model, val_items, cfg, device)
                window.write(
                    {
                        "split": "val",
                        "step": step,
                        **{k: round(v, 6) for k, v in last_val.items()},
                    }
                )
                if is_main:
                    plot_losses(log_path, out / "loss.svg")
            if step % cfg.ckpt_every == 0:
                save()
    summary = {
        "corpus": str(root.resolve()),
        "styles": styles,
        "default_style": "storytelling" if "storytelling" in styles else styles[0],
        "train_utterances": len(train_items),
        "val_utterances": len(val_items),
        "train_hours_by_style": hours,
        "neutral_share": sampler.share,
        "skipped": _count(skipped),
        "steps": step,
        "train_seconds": round(window.elapsed, 1),
        "s_per_step": round(window.elapsed / max(step, 1), 4),
        "parameters": sum(p.numel() for p in model.parameters()),
        "final_val": {k: round(v, 5) for k, v in last_val.items()},
        "hardware": hardware(device, world),
        "fit_config": cfg.to_dict(),
        "curation": _curation_summary(root),
    }
    if is_main:
        corpus.write_json(out / "run.json", summary)
        if log_path.is_file():
            plot_losses(log_path, out / "loss.svg")
    if world > 1:
        torch.distributed.destroy_process_group()
    return summary


def _hours(items: list[Item], styles: list[str]) -> dict[str, float]:
    per: dict[str, float] = {}
    for it in items:
        name = styles[it.style]
        per[name] = per.get(name, 0.0) + it.frames * HOP / SAMPLE_RATE / 3600
    return {k: round(v, 3) for k, v in sorted(per.items())}


def _count(skipped: dict[str, str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for why in skipped.values():
        out[why] = out.get(why, 0) + 1
    return out


def _curation_summary(root: Path) -> dict | None:
    report = root / "report.json"
    if not report.is_file():
        return None
    try:
        data = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return {"summary": data.get("summary"), "measured": data.get("measured")}
