"""``sidekick-train ablate CURATED --uncurated RAW --out DIR``: the method's ablations.

Four runs with the same settings, seed and number of steps (equal budget), each changing one
thing against the baseline:

* ``baseline``: the curated corpus and the given settings;
* ``no_l2``: no L2 penalty on the generator's weights (``l2 = 0``);
* ``no_neutral``: no neutral augmentation (``neutral_share = 0``: neutral utterances are left
  out, so the neutral style is untrained and only the storytelling style is compared);
* ``uncurated``: the corpus as it was before ``curate`` (outliers kept, pauses untrimmed).

Each run is exported to ``DIR/voices/NAME`` and measured by
:func:`train.evaluation.evaluate.evaluate` on the same held-out sentences (the standard voice
once, in the baseline's measurement). ``DIR/ablations.json`` holds everything; the table it
prints (:func:`train.export.model_card.ablation_table`) goes into the model card with
``sidekick-train export ... --ablations DIR/ablations.json``. Runs resume: run the same
command again after an interruption and finished runs are only measured.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from train.config import FitConfig

VARIANTS = ("baseline", "no_l2", "no_neutral", "uncurated")
CHANGES = {
    "baseline": "curated corpus, L2 penalty, neutral augmentation",
    "no_l2": "l2 = 0",
    "no_neutral": "neutral_share = 0 (no neutral utterances)",
    "uncurated": "corpus before curation",
}


@dataclass
class Plan:
    """One ablation run: its name, corpus and settings."""

    name: str
    corpus: Path
    config: FitConfig


def plans(curated: Path, uncurated: Path, base: FitConfig) -> list[Plan]:
    """The four runs, in the order they are started (the two corpora's first)."""

    def variant(**changes: Any) -> FitConfig:
        cfg = copy.deepcopy(base)
        for key, value in changes.items():
            setattr(cfg, key, value)
        return cfg

    return [
        Plan("baseline", curated, variant()),
        Plan("uncurated", uncurated, variant()),
        Plan("no_l2", curated, variant(l2=0.0)),
        Plan("no_neutral", curated, variant(neutral_share=0.0)),
    ]


def _finished(run: Path, steps: int) -> bool:
    path = run / "run.json"
    return path.is_file() and json.loads(path.read_text(encoding="utf-8")).get("steps") == steps


def _share_features(src: Path, dst: Path) -> None:
    """Hard-link the features another run extracted from the same corpus (they depend only
    on the audio and durations), so each corpus is analysed once."""
    if not (src / "features").is_dir():
        return
    (dst / "features").mkdir(parents=True, exist_ok=True)
    for f in (src / "features").glob("*.npz"):
        target = dst / "features" / f.name
        if not target.exists():
            try:
                os.link(f, target)
            except OSError:
                shutil.copyfile(f, target)


def train_all(out: Path, runs: list[Plan], parallel: int) -> None:
    """Fit every run not yet finished, ``parallel`` at a time (one torch thread each when
    more than one), in subprocesses so a failure names its run and its log."""
    pending = [p for p in runs if not _finished(out / p.name, p.config.steps)]
    active: list[tuple[Plan, subprocess.Popen, Any]] = []
    while pending or active:
        while pending and len(active) < parallel:
            plan = pending.pop(0)
            run = out / plan.name
            run.mkdir(parents=True, exist_ok=True)
            for other in runs:
                if other is not plan and other.corpus == plan.corpus:
                    _share_features(out / other.name, run)
            cfg = plan.config
            if parallel > 1 and not cfg.threads:
                cfg.threads = max(1, (os.cpu_count() or 2) // parallel)
            (out / f"{plan.name}.json").write_text(json.dumps(cfg.to_dict(), indent=1))
            log = open(out / f"{plan.name}.log", "a", encoding="utf-8")  # noqa: SIM115
            cmd = [sys.executable, "-m", "train.cli", "fit", str(plan.corpus), "--out", str(run)]
            cmd += ["--config", str(out / f"{plan.name}.json"), "--quiet"]
            print(f"ablate: training {plan.name} ({CHANGES[plan.name]}): log {log.name}")
            active.append((plan, subprocess.Popen(cmd, stdout=log, stderr=log), log))
        time.sleep(2)
        for item in list(active):
            plan, proc, log = item
            if proc.poll() is None:
                continue
            log.close()
            active.remove(item)
            if proc.returncode != 0:
                for _, other, _ in active:
                    other.terminate()  # fit saves its checkpoint on SIGTERM
                raise RuntimeError(
                    f"the {plan.name} run failed (exit {proc.returncode}): see {log.name}"
                )
            print(f"ablate: {plan.name} finished")


def summarize(name: str, run: Path, evaluation: dict[str, Any]) -> dict[str, Any]:
    """The figures of one run that the ablation table compares."""
    info = json.loads((run / "run.json").read_text(encoding="utf-8"))
    styles = {
        key.split("/", 1)[1]: {k: v[k] for k in ("wer", "unstable", "words_per_second")}
        | {"pitch_spread_st": v["pitch_spread_st"]}
        for key, v in evaluation["voices"].items()
        if key.startswith(f"{name}/") and key != f"{name}/rtf"
    }
    return {
        "change": CHANGES[name],
        "steps": info["steps"],
        "train_hours_by_style": info.get("train_hours_by_style"),
        "final_val": info.get("final_val"),
        "styles": styles,
    }


def measure_all(
    out: Path, runs: list[Plan], sentences: list[str], vocoder: Path | None, whisper: bool
) -> dict[str, Any]:
    """Export and evaluate every run (cached in ``DIR/NAME.eval.json``)."""
    from train.evaluation.evaluate import evaluate
    from train.export.bundle import VOCODER_FILE, export

    voices = out / "voices"
    voices.mkdir(parents=True, exist_ok=True)
    if vocoder and not (voices / VOCODER_FILE).exists():
        shutil.copyfile(vocoder, voices / VOCODER_FILE)
    result: dict[str, Any] = {"sentences": len(sentences), "runs": {}}
    for plan in runs:
        cached = out / f"{plan.name}.eval.json"
        if cached.is_file():
            evaluation = json.loads(cached.read_text(encoding="utf-8"))
        else:
            print(f"ablate: measuring {plan.name} on {len(sentences)} sentences")
            bundle = export(out / plan.name, plan.name, voices)
            evaluation = evaluate(
                bundle, sentences, whisper, standard=plan.name == "baseline", rtf=False
            )
            cached.write_text(json.dumps(evaluation, indent=1), encoding="utf-8")
        if plan.name == "baseline":
            std = evaluation["voices"]["standard"]
            keys = ("wer", "unstable", "draws", "wer_draws")
            result["standard"] = {k: std[k] for k in keys if k in std}
        result["runs"][plan.name] = summarize(plan.name, out / plan.name, evaluation)
    return result
