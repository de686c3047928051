"""Choose the second listener's thresholds on saved predictions of a DEVELOPMENT set.

```sh
SIDEKICK_SECOND_LISTENER=0 .venv/bin/python -m tests.benchmarks.reading_eval.score \
    --data DEV --engine pocketsphinx --save-predictions base.json
.venv/bin/python -m tests.benchmarks.reading_eval.sweep_second --data DEV \
    --predictions base.json --scores scores.json
.venv/bin/python -m tests.benchmarks.reading_eval.sweep_second --data DEV \
    --predictions base.json --scores scores.json --clear -2 --unclear-below -7 \
    --rivals --error-above 2 3 --read-below -3 -4 --save after.json
```

The predictions are the first recognizer's checks (second listener off). Every clip's
written words are scored once by the second listener, with the log-ratio of each rival
reading the check weighs (cached in ``--scores``), then
:func:`sidekick.reading.second_opinion.decide` is applied with each pair of thresholds and
the result scored like ``score``; with ``--rivals``, ``weigh`` first and the check's doubt
after, at each pair of ratio thresholds (``--save``: the first pair's predictions, for
``score --from-predictions``). Never run it on a verdict set.
"""

from __future__ import annotations

import argparse
import copy
import itertools
import json
from collections.abc import Sequence
from pathlib import Path

from sidekick.reading.doubt import DOUBTED, THRESHOLDS, Thresholds, confirmed, doubtful
from tests.benchmarks.reading_eval.score import score


def _assessment(pred: dict):
    from sidekick.reading.result import Assessment, WordResult

    fields = set(WordResult.__dataclass_fields__)
    words = [WordResult(**{k: v for k, v in w.items() if k in fields}) for w in pred["words"]]
    return Assessment(words, pred["insertions"], pred["repetitions"])


def word_scores(data: Path, preds: dict) -> dict[str, list]:
    """Each clip's written-word scores forced with and without the extra words heard, and
    the log-ratio of each rival reading the check weighs (``[index, word, ratio]``)."""
    from sidekick.listening.second_listener import shared
    from sidekick.reading.second_opinion import rivals_of, scored

    out = {}
    for clip, pred in preds.items():
        if pred is not None:
            pcm = (data / "clips" / f"{clip}.wav").read_bytes()[44:]
            a = _assessment(pred)
            with_extras, without, ratios = scored(a, pcm, shared())
            rivals = rivals_of(a)
            found = [
                [r.index, r.word, round(x, 3)] for r, x in zip(rivals, ratios(rivals), strict=True)
            ]
            out[clip] = [with_extras, without, found]
    return out


def combined(scores: dict, how: str) -> dict[str, list[float]]:
    """``with`` or ``without`` the extra words, or the ``max`` of both."""
    pick = {"with": lambda a, b: a, "without": lambda a, b: b, "max": max}[how]
    return {c: [pick(a, b) for a, b in zip(*ab[:2], strict=True)] for c, ab in scores.items()}


def apply(
    preds: dict, scores: dict, clear: float, error: float, doubt: float | None,
    raw: dict | None = None, rivals: dict | None = None,
    thresholds: Thresholds | None = THRESHOLDS,
) -> dict:  # fmt: skip
    """Predictions after the second opinion. ``doubt``: substitutions left standing whose
    score is above it count as not found (an ``unclear`` word is not an error). ``raw``:
    the cached scores with the rivals' log-ratios, weighed with ``rivals`` (keyword
    arguments of ``weigh``; None: no rivals), after which
    the check's doubt decides again on the saved evidence with ``thresholds`` (None: the
    evidence is kept for ``doubt_tune``)."""
    from sidekick.reading.second_opinion import decide, rivals_of, weigh

    out = {}
    for clip, pred in preds.items():
        if pred is None or clip not in scores:
            continue
        a = _assessment(pred)
        settled: set[int] = set()
        if rivals is not None and raw is not None:
            known = {(i, w): x for i, w, x in raw[clip][2]}
            found = [r for r in rivals_of(a) if (r.index, r.word) in known]
            settled = weigh(a, found, [known[r.index, r.word] for r in found], **rivals)
        decide(a, scores[clip], clear, error, settled=settled)
        evidence = copy.deepcopy(pred.get("doubt", {}))
        if rivals is not None and evidence:  # as the check gathers it: no confirmed error
            sure = {w.index for w in a.words if confirmed(w.second_ratio, rivals["error_above"])}
            evidence["words"] = [x for x in evidence.get("words", ()) if x["index"] not in sure]
            for w in a.words:
                if thresholds and w.status in DOUBTED and doubtful(evidence, w.index, thresholds):
                    w.status = "unclear"
        if doubt is not None:
            for w in a.words:
                if w.status == "substituted" and (w.second_logprob or 0.0) > doubt:
                    w.status = "correct"
        res = a.to_json()
        if evidence:
            res["doubt"] = evidence
        dur = pred["summary"]["duration_s"]
        res["summary"]["wcpm"] = round(a.words_correct * 60 / dur, 1) if dur else 0.0
        out[clip] = res
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--predictions", type=Path, required=True)
    ap.add_argument("--scores", type=Path, required=True, help="cache of the word scores")
    ap.add_argument("--extras", choices=["with", "without", "max"], default="max")
    ap.add_argument("--save", type=Path, help="write the predictions at the first thresholds")
    ap.add_argument("--clear", type=float, nargs="*", default=[-0.3, -0.5, -1.0, -1.5])
    ap.add_argument(
        "--unclear-below",
        type=float,
        nargs="*",
        default=[-5.0, -6.0, -7.0, -8.0, -99.0],
        help="a word only the first recognizer heard as written, scored below this, is unclear",
    )
    ap.add_argument("--doubt", type=float, nargs="*", default=[])
    ap.add_argument("--rivals", action="store_true",
                    help="weigh rival readings (then doubt), at each of the values below, "
                    "with --clear and --unclear-below at their first values")  # fmt: skip
    ap.add_argument("--error-above", type=float, nargs="*", default=[2.0])
    ap.add_argument("--read-below", type=float, nargs="*", default=[-4.0])
    args = ap.parse_args(argv)
    preds = json.loads(args.predictions.read_text(encoding="utf-8"))
    truth = [json.loads(line) for line in (args.data / "truth.jsonl").open(encoding="utf-8")]
    if args.scores.exists():
        scores = json.loads(args.scores.read_text(encoding="utf-8"))
    else:
        scores = word_scores(args.data, preds)
        args.scores.write_text(json.dumps(scores), encoding="utf-8")
    raw, scores = scores, combined(scores, args.extras)

    def row(name: str, p: dict) -> None:
        g = score(truth, p)["groups"]
        cells = [f"{g[k]['false_rejection_rate'] * 100:4.1f} / {g[k]['miscue_recall'] * 100:4.1f}"
                 for k in ("adult", "child") if k in g]  # fmt: skip
        # Sets of voice families (their scorer): each family's FRR against its target.
        load = {}
        for k, v in g.items():
            if k.startswith("family:") and "/" in k and v["false_rejection_rate"] is not None:
                fam, cond = k[7:].split("/")
                frr = v["false_rejection_rate"] / (0.03 if cond == "adult" else 0.05)
                load[fam] = max(load.get(fam, 0.0), frr)
        worst = max(load, key=load.get) if load else None
        if worst:
            cells.append(f"worst {worst}: " + " / ".join(
                f"{g[f'family:{worst}/{c}']['false_rejection_rate'] * 100:.1f}"
                for c in ("adult", "child")))  # fmt: skip
        print(f"{name:28s}", "   ".join(cells))

    print(f"{'':28s} adult FRR/recall  child FRR/recall  (worst family adult/child FRR)")
    row("first recognizer", {k: v for k, v in preds.items() if k in scores})
    if args.rivals:
        from tests.benchmarks.reading_eval.doubt_tune import undoubted

        base = {k: undoubted(v) for k, v in preds.items() if v is not None}
        c, e = args.clear[0], args.unclear_below[0]
        grid = itertools.product(args.error_above, args.read_below)
        for i, (err, read) in enumerate(grid):
            kw = dict(error_above=err, read_below=read)
            p = apply(base, scores, c, e, None, raw, kw)
            row(f"rivals error > {err}, read < {read}", p)
            if args.save and i == 0:
                args.save.write_text(json.dumps(p), encoding="utf-8")
        return 0
    for c in args.clear:
        for e in args.unclear_below:
            row(f"clear > {c}, unclear < {e}", apply(preds, scores, c, e, None))
    if args.save:
        best = apply(preds, scores, args.clear[0], args.unclear_below[0], None)
        args.save.write_text(json.dumps(best), encoding="utf-8")
    for d in args.doubt:
        c, e = args.clear[0], args.unclear_below[0]
        row(f"{c}/{e}, doubt > {d}", apply(preds, scores, c, e, d))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
