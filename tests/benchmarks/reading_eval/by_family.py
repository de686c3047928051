"""Figures per voice family, the worst family, and the voice-family targets.

A set generated from voice families (``generate --split``) is judged family by family: a
reader whose voice the check handles worst must not be hidden in a mean. Per family and
condition: false rejections (FRR) and miscue recall; per family the clean readings' WCPM
error. The targets:

* every family: adult-like FRR <= 3%, child-like FRR <= 5%;
* over all the families of a split pooled: miscue recall adult-like >= 80%, child-like
  >= 72%;
* every family: mean |WCPM error| on clean readings (no scripted event) <= 5%.

The **worst family** is the one whose false rejections are furthest over (or nearest to)
their target: the largest of adult FRR / 3% and child FRR / 5%.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tests.benchmarks.reading_eval import families as fam

MAX_FRR: dict[str, float] = {"adult": 0.03, "child": 0.05}
MIN_POOLED_RECALL: dict[str, float] = {"adult": 0.80, "child": 0.72}
MAX_WCPM_CLEAN_PCT = 5.0
CONDITIONS = ("adult", "child")


def is_family_set(records: Sequence[Mapping]) -> bool:
    """True if the clips come from the voice families of ``families.py``."""
    return bool(records) and all(r["family"] in fam.FAMILIES for r in records)


def family_groups_of(rec: Mapping) -> list[str]:
    """The groups of a family clip: its family, family/condition, its split pooled, and
    its recording (plain, or each of its noise, room and channel) by condition."""
    f, cond = rec["family"], rec["condition"]
    split = fam.split_of(f)
    out = [f"family:{f}", f"family:{f}/{cond}", f"split:{split}", f"split:{split}/{cond}"]
    parts = [f"noise:{rec['noise']}" if rec.get("noise") else None,
             "room" if rec.get("room_rt60_s") else None,
             f"channel:{rec['channel']}" if rec.get("channel") else None]  # fmt: skip
    out += [f"{cond}/{p}" for p in parts if p] or [f"{cond}/plain"]
    return out


def _frr_load(groups: Mapping[str, dict], f: str) -> float | None:
    """How far a family's false rejections are toward their targets (1.0 = at target)."""
    loads = []
    for cond in CONDITIONS:
        g = groups.get(f"family:{f}/{cond}")
        if g and g["false_rejection_rate"] is not None:
            loads.append(g["false_rejection_rate"] / MAX_FRR[cond])
    return max(loads) if loads else None


def summarize(groups: Mapping[str, dict]) -> dict:
    """Per family: its figures and targets met; per split: pooled recall; the worst family."""
    names = sorted({k.split(":", 1)[1].split("/")[0] for k in groups if k.startswith("family:")})
    rows: dict[str, dict] = {}
    for f in names:
        row: dict = {"split": fam.split_of(f)}
        for cond in CONDITIONS:
            g = groups.get(f"family:{f}/{cond}")
            if g:
                frr = g["false_rejection_rate"]
                row[cond] = {
                    "clips": g["clips"],
                    "frr": frr,
                    "recall": g["miscue_recall"],
                    "frr_ok": frr is not None and frr <= MAX_FRR[cond],
                }
        whole = groups[f"family:{f}"]
        wcpm = whole["wcpm_abs_err_pct_clean_mean"]
        row["wcpm_clean_mean_pct"] = wcpm
        row["wcpm_clean_within_5pct"] = whole["wcpm_clean_within_5pct"]
        row["wcpm_ok"] = None if wcpm is None else wcpm <= MAX_WCPM_CLEAN_PCT  # None: no clean clip
        row["frr_load"] = _frr_load(groups, f)
        row["ok"] = row["wcpm_ok"] is not False and all(
            row[c]["frr_ok"] for c in CONDITIONS if c in row
        )
        rows[f] = row
    splits: dict[str, dict] = {}
    for split in fam.SPLITS:
        out = {}
        for cond in CONDITIONS:
            g = groups.get(f"split:{split}/{cond}")
            if g:
                rec = g["miscue_recall"]
                ok = rec is not None and rec >= MIN_POOLED_RECALL[cond]
                out[cond] = {"frr": g["false_rejection_rate"], "recall": rec, "recall_ok": ok}
        if out:
            splits[split] = out
    worst: dict[str, str | None] = {}
    for split in fam.SPLITS:
        mine = [f for f in rows if rows[f]["split"] == split and rows[f]["frr_load"] is not None]
        worst[split] = max(mine, key=lambda f: rows[f]["frr_load"]) if mine else None
    return {"families": rows, "splits": splits, "worst": worst}


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def table(summary: Mapping) -> str:
    """The per-family table, the pooled recall per split and the worst family."""
    head = ("family", "split", "adult clips", "adult FRR", "adult recall", "child clips",
            "child FRR", "child recall", "WCPM clean mean %", "targets")  # fmt: skip
    rows = [head]
    order = sorted(summary["families"].items(), key=lambda kv: (kv[1]["split"], kv[0]))
    for f, r in order:
        a, c = r.get("adult", {}), r.get("child", {})
        wc = r["wcpm_clean_mean_pct"]
        rows.append((
            f, r["split"], str(a.get("clips", 0)), _pct(a.get("frr")), _pct(a.get("recall")),
            str(c.get("clips", 0)), _pct(c.get("frr")), _pct(c.get("recall")),
            "-" if wc is None else f"{wc:.1f}", "ok" if r["ok"] else "MISS",
        ))  # fmt: skip
    widths = [max(len(x[k]) for x in rows) for k in range(len(head))]
    lines = []
    for k, r in enumerate(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    for split, conds in summary["splits"].items():
        parts = []
        for cond, g in conds.items():
            mark = "ok" if g["recall_ok"] else "MISS"
            parts.append(f"{cond} FRR {_pct(g['frr'])}, recall {_pct(g['recall'])} "
                         f"(>= {100 * MIN_POOLED_RECALL[cond]:.0f}%: {mark})")  # fmt: skip
        lines.append(f"{split} families pooled: " + "; ".join(parts))
    for split, f in summary["worst"].items():
        if f:
            r = summary["families"][f]
            lines.append(
                f"worst {split} family: {f} (adult FRR {_pct(r.get('adult', {}).get('frr'))}, "
                f"child FRR {_pct(r.get('child', {}).get('frr'))})"
            )
    lines.append(
        "family targets: adult FRR <= 3%, child FRR <= 5%, clean WCPM mean error <= 5% in "
        "every family; recall over a split's families adult >= 80%, child >= 72%"
    )
    return "\n".join(lines)
