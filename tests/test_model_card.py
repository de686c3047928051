"""The model card reads as text: the curation summary, losses and style settings in words."""

from __future__ import annotations

from train.export.model_card import model_card


def test_card_writes_figures_in_words_not_json() -> None:
    ckpt = {
        "fit_config": {"neutral_share": 0.35, "batch_size": 16, "lr": 1e-3, "warmup_steps": 400,
                       "l2": 1e-6, "weight_decay": 0.0},
        "model_config": {"d_model": 128, "encoder_layers": 4, "decoder_layers": 4, "n_heads": 2},
        "styles": ["neutral", "storytelling"],
        "step": 3000,
    }  # fmt: skip
    summary = {
        "input_utterances": 3200,
        "kept": 3072,
        "unalignable": 3,
        "hours_after": {"neutral": 1.1502},
        "trimmed_seconds_kept": 421.06,
    }
    run = {
        "corpus": "/somewhere/on/one/machine/curated",
        "train_hours_by_style": {"neutral": 1.13, "storytelling": 2.13},
        "final_val": {"mel": 0.39441, "duration": 0.10294},
        "curation": {"summary": summary},
    }
    check = {"max_abs_mel_difference": 4.8e-6, "same_durations": True}
    settings = {"storytelling": {"rate": 0.9, "expressivity": 1.4}}
    card = model_card("storyteller", ckpt, run, check, None, settings)
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
