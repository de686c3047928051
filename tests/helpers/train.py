"""Voice-training helpers: a tiny real teacher corpus and a tiny model trained on it.

The corpus (6 utterances, both styles) is spoken by the real teacher voice with its exact
durations; the model is tiny and trains for a few dozen steps, so the tests that share it
stay fast on 2 cores. Needs the ``train`` extra (torch), imported only when called.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from train.config import FitConfig

TINY_MODEL = {
    "d_model": 32,
    "n_heads": 2,
    "encoder_layers": 1,
    "decoder_layers": 1,
    "ff_dim": 64,
    "predictor_dim": 32,
    "dropout": 0.0,
}


def tiny_config(**overrides) -> FitConfig:
    from train.config import FitConfig, ModelConfig

    cfg = FitConfig(
        model=ModelConfig(**TINY_MODEL),
        steps=60,
        batch_size=4,
        bucket=2,
        lr=3e-3,
        warmup_steps=5,
        l2=1e-4,
        log_every=5,
        val_every=30,
        ckpt_every=30,
        workers=1,
        threads=1,
    )
    for key, value in overrides.items():
        setattr(cfg, key, value)
    return cfg


def tiny_corpus(base: Path) -> Path:
    """Six teacher utterances (neutral and storytelling) with durations, made once."""
    from train.config import TeacherConfig
    from train.data.teacher_corpus import build

    root = base / "tiny-corpus"
    if not (root / "teacher.json").is_file():
        build(root, TeacherConfig(utterances=6, seed=5, workers=1), progress=False)
    return root


def tiny_run(base: Path) -> tuple[Path, Path]:
    """(corpus, run folder) of a tiny model trained 60 steps, made once per session."""
    from train.acoustic.fit import fit

    root = tiny_corpus(base)
    run = base / "tiny-run"
    if not (run / "run.json").is_file():
        fit(root, run, tiny_config(), progress=False)
    return root, run
