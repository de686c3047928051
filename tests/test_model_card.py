"""The model card reads as text (the curation summary, losses and style settings in words),
and it is written again from the bundle alone without losing its hand-written notes."""

from __future__ import annotations

import json
from pathlib import Path

from sidekick.speaking.voice_config import VoiceConfig
from train.cli import main
from train.export.model_card import model_card, training_record

CKPT = {
    "fit_config": {"neutral_share": 0.35, "batch_size": 16, "lr": 1e-3, "warmup_steps": 400,
                   "l2": 1e-6, "weight_decay": 0.0, "init_from": "/home/someone/voices/old"},
    "model_config": {"d_model": 128, "encoder_layers": 4, "decoder_layers": 4, "n_heads": 2},
    "styles": ["neutral", "storytelling"],
    "step": 3000,
}  # fmt: skip
SUMMARY = {
    "input_utterances": 3200,
    "kept": 3072,
    "unalignable": 3,
    "hours_after": {"neutral": 1.1502},
    "trimmed_seconds_kept": 421.06,
}
RUN = {
    "corpus": "/somewhere/on/one/machine/curated",
    "train_hours_by_style": {"neutral": 1.13, "storytelling": 2.13},
    "final_val": {"mel": 0.39441, "duration": 0.10294},
    "curation": {"summary": SUMMARY},
    "hardware": {"device": "cpu", "cpu_count": 2, "platform": "Linux-6.1-x86_64-on-one-box"},
}
CHECK = {"max_abs_mel_difference": 4.8e-6, "same_durations": True}
SETTINGS = {"storytelling": {"rate": 0.9, "expressivity": 1.4}}


def config(run: dict) -> VoiceConfig:
    """A bundle's ``voice.json`` with the parts the card reads."""
    return VoiceConfig.from_dict({
        "name": "storyteller",
        "phoneme_id_map": {"a": [1]},
        "audio": {"sample_rate": 22050},
        "styles": CKPT["styles"],
        "default_style": "storytelling",
        "inference": {"styles": SETTINGS},
        "training": training_record(CKPT, run, CHECK),
    })  # fmt: skip


def test_card_writes_figures_in_words_not_json() -> None:
    card = model_card(config(RUN))
    assert "{" not in card and "/somewhere" not in card
    assert "3200 utterances in, 3072 kept (3 unalignable); 421 s of dead air cut" in card
    assert "after curation: neutral 1.15 h" in card
    assert "Final validation losses (teacher-forced): mel 0.394, duration 0.103" in card
    assert "- storytelling: rate 0.9, expressivity 1.4" in card
    assert (
        "Steps: 3000" in card
        and "coefficient 1e-06" in card
        and "neutral share of each batch 0.35" in card
    )
    assert "Warm start: from the weights of the voice `old`" in card


def test_card_is_written_again_from_the_bundle_with_its_notes(tmp_path: Path) -> None:
    measured = {"outliers_injected": 30, "outliers_removed": 0.9667, "clean_kept": 0.9765,
                "dead_air_removed": 0.98, "max_inner_pause_s": 0.42}  # fmt: skip
    curation = {"summary": SUMMARY, "measured": measured}
    run = {**RUN, "skipped": {"too_long": 2}, "curation": curation}
    voice = config(run)
    record = voice.training
    assert record["corpus"] == "curated" and "platform" not in record["hardware"]
    assert "/" not in json.dumps(record), "no path of the machine the run was on"
    voice.save(tmp_path)
    notes = "## How this voice was made\n\nBy hand, with care."
    (tmp_path / "card_notes.md").write_text(notes + "\n", encoding="utf-8")
    assert main(["model-card", str(tmp_path)]) == 0
    card = (tmp_path / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "{" not in card and "/somewhere" not in card and "/home" not in card
    assert card.index("By hand, with care.") < card.index("## Corpus") < card.index("## Training")
    assert "Left out: too_long 2" in card
    assert "96.7 % of 30 prosodic outliers removed; 97.7 % of clean utterances kept" in card
    assert "## Figures" not in card, "the notes stand in for figures not recorded"
    assert main(["model-card", str(tmp_path)]) == 0
    assert (tmp_path / "MODEL_CARD.md").read_text(encoding="utf-8") == card
    assert main(["model-card", str(tmp_path / "nowhere")]) == 2
