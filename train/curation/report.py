"""The curation report page: one self-contained HTML file with inline SVG plots."""

from __future__ import annotations

import html
import io
from pathlib import Path

import numpy as np


def _svg(fig) -> str:  # fig: matplotlib Figure
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    text = buf.getvalue()
    return text[text.index("<svg") :]


def _figure(width: float = 7.0, height: float = 3.0, cols: int = 1):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, cols, figsize=(width, height), squeeze=False)
    return plt, fig, list(axes[0])


def distance_plot(report: dict) -> str:
    styles = sorted(report["thresholds"])
    plt, fig, axes = _figure(4.2 * max(1, len(styles)), 3.0, max(1, len(styles)))
    for ax, style in zip(axes, styles, strict=False):
        u = [v for v in report["utterances"].values() if v["style"] == style and "distance" in v]
        d = np.array([v["distance"] for v in u])
        thr = report["thresholds"][style]["threshold"]
        bins = np.linspace(0, max(d.max(), thr) * 1.05, 40)
        ax.hist(d[d <= thr], bins=bins, color="#4c78a8", label="kept")
        ax.hist(d[d > thr], bins=bins, color="#e45756", label="outlier")
        ax.axvline(thr, color="black", linestyle="--", label=f"median + k·MAD = {thr:.2f}")
        ax.set_title(style)
        ax.set_xlabel("distance to the style's mean embedding (robust units)")
        ax.set_ylabel("utterances")
        ax.legend(fontsize=7)
    svg = _svg(fig)
    plt.close(fig)
    return svg


def before_after_plot(report: dict, key: str, title: str, xlabel: str) -> str:
    plt, fig, (ax,) = _figure(6.0, 3.0)
    utts = report["utterances"].values()
    if key == "pauses":
        before = [p for v in utts for p in v.get("pauses_before", [])]
        after = [p for v in utts if v.get("kept") for p in v.get("pauses_after", [])]
    else:
        before = [v["pitch"]["range_st"] for v in utts if v.get("pitch")]
        after = [v["pitch"]["range_st"] for v in utts if v.get("kept") and v.get("pitch")]
    if before:
        bins = np.linspace(0, max(before + after) * 1.05 + 1e-6, 40)
        ax.hist(before, bins=bins, alpha=0.55, color="#e45756", label=f"before ({len(before)})")
        ax.hist(after, bins=bins, alpha=0.55, color="#4c78a8", label=f"after ({len(after)})")
        if key == "pauses":
            ax.set_yscale("log")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.legend(fontsize=8)
    svg = _svg(fig)
    plt.close(fig)
    return svg


def _table(rows: list[tuple[str, object]]) -> str:
    cells = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows
    )
    return f"<table>{cells}</table>"


def write_html(path: Path, report: dict) -> None:
    """Summary, thresholds, discarded utterances and the three plots."""
    s = report["summary"]
    parts = [
        "<!doctype html><meta charset='utf-8'><title>Curation report</title>",
        "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;"
        "padding:3px 8px;text-align:left}th{background:#f3f3f3}</style>",
        f"<h1>Curation report</h1><p>Source: <code>{html.escape(report['source'])}</code></p>",
        "<h2>Summary</h2>",
        _table(list(s.items())),
        "<h2>Prosodic outliers (speaker embedding + pitch statistics)</h2>",
        _table(
            [
                (
                    st,
                    f"threshold {t['threshold']} = median {t['median']}"
                    f" + {t['k']} × MAD {t['mad']}",
                )
                for st, t in report["thresholds"].items()
            ]
        ),
        distance_plot(report) if report["thresholds"] else "",
        "<h2>Pauses (gaps between aligned words)</h2>",
        _table(
            [
                (st, f"natural pause at punctuation {n['punct']} s, between words {n['word']} s")
                for st, n in report["natural_pause_s"].items()
            ]
        ),
        before_after_plot(report, "pauses", "Inner pauses before and after", "seconds"),
        "<h2>Pitch range</h2>",
        before_after_plot(
            report, "pitch", "Pitch range per utterance (10th–90th percentile)", "semitones"
        ),
        "<h2>Discarded</h2>",
        _table([(k, ", ".join(v) or "none") for k, v in report["discarded"].items()]),
    ]
    if "measured" in report:
        parts += [
            "<h2>Measured against the injected defects</h2>",
            _table(list(report["measured"].items())),
        ]
    Path(path).write_text("\n".join(parts), encoding="utf-8")
