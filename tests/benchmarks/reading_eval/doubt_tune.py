"""Calibrate the doubt thresholds (:mod:`sidekick.reading.doubt`) on saved predictions.

    .venv/bin/python -m tests.benchmarks.reading_eval.doubt_tune --data DIR [--data DIR2 ...] \
        --predictions P.json [--by voice|family] [--adult-frr 0.03] [--child-frr 0.05] [--top 10]

``P.json`` comes from ``score --save-predictions`` (development sets only: never tune on a
verdict set). Every prediction keeps what the doubt decision weighed (``doubt``), so each
candidate setting is applied again without the recognizer: a word the saved run made
``unclear`` goes back to the error it would have been, then the candidate decides. The
tuner lists the settings whose false rejection rate stays under the target on every
(condition, voice family) group, best miscue recall first (``unclear`` counts as not found;
ties: lowest pooled FRR first), with the words made ``unclear`` and the worst group's FRR.
``--apply OUT.json`` writes the predictions as the module's own thresholds decide them, for
``score --from-predictions``.
"""

from __future__ import annotations

import argparse
import copy
import itertools
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

from sidekick.reading.doubt import DOUBTED, THRESHOLDS, Thresholds, doubtful
from sidekick.reading.result import CREDITED
from tests.benchmarks.reading_eval.score import pooled_truth

#: The grid searched: each threshold's candidate values (the first: never doubts).
GRID: dict[str, tuple[float, ...]] = {
    "conf": (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9),
    "near": (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6),
    "hearing": (0.0, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9),
    "snr_db": (0.0, 10.0, 15.0, 20.0, 25.0),
    "misses": (1.0, 0.5, 0.4, 0.3, 0.25, 0.2, 0.15),
}


def undoubted(pred: Mapping) -> dict:
    """The prediction as it was before doubt: every ``unclear`` word doubt decided back to
    its error (the second opinion's ``unclear`` words, never in doubt's evidence, stay)."""
    weighed = {x["index"]: x["status"] for x in pred.get("doubt", {}).get("words", ())}

    def back(w: dict) -> str | None:
        if w["status"] != "unclear":
            return None
        if "doubt" in pred:
            return weighed.get(w["index"])
        return "substituted" if w.get("start") is not None else "omitted"

    out = _redecide(pred, back)
    if "doubt" in out:  # as the module decides now: the omissions after the reading stopped
        timed = [w["index"] for w in out["words"] if w.get("start") is not None]  # are sure
        last = max(timed, default=-1)
        kept = [x for x in out["doubt"].get("words", ())
                if x["status"] != "omitted" or x["index"] < last]  # fmt: skip
        out["doubt"]["words"] = kept
        out["doubt"]["misses"] = round(len(kept) / len(out["words"]), 3) if out["words"] else 0.0
        add_accents(out)
    return out


def add_accents(pred: dict) -> None:
    """The ``accent`` evidence (:mod:`sidekick.reading.doubt`) of each substitution in doubt,
    where a prediction saved before it was kept lacks it."""
    from sidekick.words.variants import accent_pair

    words = {w["index"]: w for w in pred["words"]}
    for x in pred["doubt"]["words"]:
        w = words[x["index"]]
        if x["status"] != "substituted" or "accent" in x or not w.get("heard"):
            continue
        if features := accent_pair(w["heard"], w["word"]):
            x["accent"] = sorted(features)


def apply(pred: Mapping, thresholds: Thresholds) -> dict:
    """``pred`` (undoubted) as the doubt decision with ``thresholds`` leaves it."""
    evidence = pred.get("doubt", {})

    def doubt(w: dict) -> str | None:
        return (
            "unclear"
            if w["status"] in DOUBTED and doubtful(evidence, w["index"], thresholds)
            else None
        )

    return _redecide(pred, doubt)


def _redecide(pred: Mapping, decide: Callable[[dict], str | None]) -> dict:
    """``pred`` with each word's status as ``decide`` says (None: as it is); WCPM follows
    the words credited (the reading time is unchanged)."""
    out = copy.deepcopy(dict(pred))
    before = sum(w["status"] in CREDITED for w in out["words"])
    for w in out["words"]:
        w["status"] = decide(w) or w["status"]
    after = sum(w["status"] in CREDITED for w in out["words"])
    summary = dict(out.get("summary", {}))
    if before:
        summary["wcpm"] = round(float(summary.get("wcpm", 0.0)) * after / before, 1)
    out["summary"] = summary
    return out


def group_key(rec: Mapping, by: str) -> str:
    return f"{rec['condition']}/{rec.get(by) or rec['family']}"


FEATURES = ("conf", "near", "hearing", "snr_db", "misses")


class Words:
    """Every written word of the saved predictions, as arrays: its group, whether it is
    truly correct, whether the undoubted check called it an error, whether doubt may turn
    that error ``unclear``, and the evidence doubt weighs (NaN: none)."""

    def __init__(self, truth: Sequence[Mapping], preds: Mapping[str, Mapping], by: str) -> None:
        from tests.benchmarks.reading_eval.score import CORRECT, is_error

        rows: list[tuple] = []
        self.groups: list[str] = []
        for rec in truth:
            pred = preds.get(rec["clip"])
            if pred is None or len(pred["words"]) != len(rec["words"]):
                continue
            evidence = pred.get("doubt", {})
            per_word = {x["index"]: x for x in evidence.get("words", ())}
            g = group_key(rec, by)
            for t, p in zip(rec["words"], pred["words"], strict=True):
                x = per_word.get(p["index"], {})
                page = (evidence.get("hearing"), evidence.get("snr_db"), evidence.get("misses"))
                values = (x.get("conf"), x.get("near"), *page)
                rows.append((t["status"] in CORRECT, is_error(p["status"]),
                             p["status"] in DOUBTED and p["index"] in per_word,
                             bool(x.get("accent")),
                             *[np.nan if v is None else float(v) for v in values]))  # fmt: skip
                self.groups.append(g)
        a = np.array(rows, dtype=float)
        self.correct, self.error, self.doubtable = a[:, 0] > 0, a[:, 1] > 0, a[:, 2] > 0
        self.accent = a[:, 3] > 0
        self.evidence = {f: a[:, 4 + k] for k, f in enumerate(FEATURES)}
        self.names = sorted(set(self.groups))
        g = np.array(self.groups)
        self.members = {n: g == n for n in self.names}
        for c in ("adult", "child"):
            self.members[c] = np.char.startswith(g, c + "/")

    def doubted(self, t: Thresholds) -> np.ndarray:
        """The words doubt turns ``unclear`` under ``t`` (as :func:`doubtful` decides)."""
        with np.errstate(invalid="ignore"):
            low = np.zeros(len(self.correct), dtype=bool)
            for f in FEATURES[:4]:
                low |= self.evidence[f] < getattr(t, f)
            low |= self.evidence["misses"] > t.misses
        if t.accent:
            low |= self.accent
        return low & self.doubtable

    def figures(self, t: Thresholds) -> dict[str, dict]:
        """Per group (and per condition): FRR, recall, words made unclear."""
        unclear = self.doubted(t)
        error = self.error & ~unclear
        out = {}
        for name, m in self.members.items():
            correct, wrong = m & self.correct, m & ~self.correct
            out[name] = {
                "false_rejection_rate": (error & correct).sum() / max(1, correct.sum()),
                "miscue_recall": (error & wrong).sum() / max(1, wrong.sum()),
                "true_errors": int(wrong.sum()),
                "unclear": int((unclear & m).sum()),
                "words": int(m.sum()),
            }
        return out


def candidates(grid: Mapping[str, Iterable[float]]) -> Iterable[Thresholds]:
    names = list(grid)
    for values in itertools.product(*(grid[n] for n in names)):
        yield Thresholds(**dict(zip(names, values, strict=True)))


def main(argv: Sequence[str] | None = None) -> int:
    from tests.benchmarks.reading_eval.generate import load_truth

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, action="append", required=True)
    ap.add_argument("--predictions", type=Path, required=True)
    ap.add_argument("--by", default="voice", help="the truth field that names a voice family")
    ap.add_argument("--adult-frr", type=float, default=0.03)
    ap.add_argument("--child-frr", type=float, default=0.05)
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("--only", nargs="*", default=list(GRID), help="thresholds to search")
    ap.add_argument("--apply", type=Path, default=None,
                    help="write the predictions as the doubt module's own thresholds decide "
                         "them (to score with score --from-predictions), and stop")  # fmt: skip
    args = ap.parse_args(argv)

    truth = pooled_truth(args.data, load_truth)
    saved = json.loads(args.predictions.read_text(encoding="utf-8"))
    if args.apply:
        out = {k: v and apply(undoubted(v), THRESHOLDS) for k, v in saved.items()}
        args.apply.write_text(json.dumps(out), encoding="utf-8")
        print(f"{sum(v is not None for v in out.values())} predictions -> {args.apply}")
        return 0
    words = Words(truth, {k: undoubted(v) for k, v in saved.items() if v is not None}, args.by)
    limit = {"adult": args.adult_frr, "child": args.child_frr}
    grid = {k: (v if k in args.only else v[:1]) for k, v in GRID.items()}
    rows = []
    for t in candidates(grid):
        groups = words.figures(t)
        fams = {k: g for k, g in groups.items() if "/" in k}
        over = {k: g["false_rejection_rate"] - limit[k.split("/")[0]] for k, g in fams.items()}
        worst = max(over, key=over.__getitem__)
        rows.append((max(over.values()) <= 0, t, groups, (worst, fams[worst])))
    base = rows[0]
    print(_line("never doubts", base[2], base[3]))
    for name, g in sorted(base[2].items()):
        frr, recall = 100 * g["false_rejection_rate"], 100 * g["miscue_recall"]
        print(f"  {name}: FRR {frr:.1f}% recall {recall:.1f}% of {g['true_errors']}, "
              f"{g['words']} words")  # fmt: skip
    good = sorted((r for r in rows if r[0]), key=lambda r: (-_recall(r[2]), _frr(r[2])))
    for _, t, groups, worst in good[: args.top]:
        print(_line(_name(t), groups, worst))
    if not good:
        print("no setting keeps every group under its FRR target; the trade-off (the worst")
        print("group's FRR against pooled recall; no setting beats one of these on both):")
        front, best = [], -1.0
        for row in sorted(rows, key=lambda r: (r[3][1]["false_rejection_rate"], -_recall(r[2]))):
            if _recall(row[2]) > best:
                best = _recall(row[2])
                front.append(row)
        step = max(1, len(front) // args.top)
        for _, t, groups, worst in front[::step]:
            print(_line(_name(t), groups, worst))
    return 0


def _recall(groups: Mapping[str, dict]) -> float:
    """Miscue recall pooled over adult and child clips."""
    pooled = [groups[c] for c in ("adult", "child") if c in groups]
    errors = sum(g["true_errors"] for g in pooled)
    return sum(g["miscue_recall"] * g["true_errors"] for g in pooled) / errors if errors else 0.0


def _frr(groups: Mapping[str, dict]) -> float:
    """The false rejection rate pooled over adult and child clips."""
    pooled = [groups[c] for c in ("adult", "child") if c in groups]
    words = sum(g["words"] - g["true_errors"] for g in pooled)
    return sum(g["false_rejection_rate"] * (g["words"] - g["true_errors"]) for g in pooled) / words


def _name(t: Thresholds) -> str:
    base = Thresholds()
    return " ".join(f"{k}={v:g}" for k, v in vars(t).items() if v != getattr(base, k)) or "-"


def _line(name: str, groups: Mapping[str, dict], worst: tuple[str, dict]) -> str:
    parts = [name.ljust(44)]
    for c in ("adult", "child"):
        g = groups.get(c)
        if g:
            parts.append(
                f"{c} FRR {100 * (g['false_rejection_rate'] or 0):.1f}% "
                f"recall {100 * (g['miscue_recall'] or 0):.1f}% unclear {g['unclear']}"
            )
    w, g = worst
    parts.append(f"worst {w} FRR {100 * (g['false_rejection_rate'] or 0):.1f}%")
    return " | ".join(parts)


if __name__ == "__main__":
    raise SystemExit(main())
