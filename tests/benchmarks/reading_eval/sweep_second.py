"""Choose the second listener's thresholds on saved predictions of a DEVELOPMENT set.

```sh
SIDEKICK_SECOND_LISTENER=0 .venv/bin/python -m tests.benchmarks.reading_eval.score \
    --data DEV --engine pocketsphinx --save-predictions base.json
.venv/bin/python -m tests.benchmarks.reading_eval.sweep_second --data DEV \
    --predictions base.json --scores scores.json
```

The predictions are the first recognizer's checks (second listener off). Every clip's
written words are scored once by the second listener (cached in ``--scores``), then
:func:`sidekick.reading.second_opinion.decide` is applied with each pair of thresholds and
the result scored like ``score``. Never run it on a verdict set.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from tests.benchmarks.reading_eval.score import score


def _assessment(pred: dict):
    from sidekick.reading.assess import Assessment, WordResult

    fields = set(WordResult.__dataclass_fields__)
    words = [WordResult(**{k: v for k, v in w.items() if k in fields}) for w in pred["words"]]
    return Assessment(words, pred["insertions"], pred["repetitions"])


def word_scores(
    data: Path, preds: dict, lower: bool, extras: bool, periods: bool
) -> dict[str, list]:
    """Each clip's written-word scores, from its first-recognizer check."""
    from sidekick.listening.second_listener import Spoken, shared
    from sidekick.reading.second_opinion import forced_text

    out = {}
    for clip, pred in preds.items():
        if pred is None:
            continue
        a = _assessment(pred)
        if not extras:
            a.insertions, a.repetitions = [], []
            for w in a.words:
                w.heard = None if w.status == "self_corrected" else w.heard
        spoken, owners = forced_text(a, periods)
        if lower:
            spoken = [Spoken(s.word.lower(), s.at) for s in spoken]
        pcm = (data / "clips" / f"{clip}.wav").read_bytes()[44:]
        scores = shared().word_logprobs(pcm, spoken)
        out[clip] = [s for k, s in zip(owners, scores, strict=True) if k is not None]
    return out


def apply(preds: dict, scores: dict, clear: float, error: float, doubt: float | None) -> dict:
    """Predictions after the second opinion. ``doubt``: substitutions left standing whose
    score is above it count as not found (an ``unclear`` word is not an error)."""
    from sidekick.reading.second_opinion import decide

    out = {}
    for clip, pred in preds.items():
        if pred is None or clip not in scores:
            continue
        a = _assessment(pred)
        decide(a, scores[clip], clear, error)
        if doubt is not None:
            for w in a.words:
                if w.status == "substituted" and (w.second_logprob or 0.0) > doubt:
                    w.status = "correct"
        res = a.to_json()
        dur = pred["summary"]["duration_s"]
        res["summary"]["wcpm"] = round(a.words_correct * 60 / dur, 1) if dur else 0.0
        out[clip] = res
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--predictions", type=Path, required=True)
    ap.add_argument("--scores", type=Path, required=True, help="cache of the word scores")
    ap.add_argument("--lower", action="store_true", help="force the text in lower case")
    ap.add_argument("--no-periods", action="store_true", help="no sentence full stops")
    ap.add_argument("--no-extras", action="store_true", help="force the written words only")
    ap.add_argument("--clear", type=float, nargs="*", default=[-0.3, -0.5, -1.0, -1.5])
    ap.add_argument("--error", type=float, nargs="*", default=[-5.0, -6.0, -7.0, -8.0, -99.0])
    ap.add_argument("--doubt", type=float, nargs="*", default=[])
    args = ap.parse_args(argv)
    preds = json.loads(args.predictions.read_text(encoding="utf-8"))
    truth = [json.loads(line) for line in (args.data / "truth.jsonl").open(encoding="utf-8")]
    if args.scores.exists():
        scores = json.loads(args.scores.read_text(encoding="utf-8"))
    else:
        scores = word_scores(args.data, preds, args.lower, not args.no_extras, not args.no_periods)
        args.scores.write_text(json.dumps(scores), encoding="utf-8")

    def row(name: str, p: dict) -> None:
        g = score(truth, p)["groups"]
        cells = [f"{g[k]['false_rejection_rate'] * 100:4.1f} / {g[k]['miscue_recall'] * 100:4.1f}"
                 for k in ("adult", "child", "held_out") if k in g]  # fmt: skip
        print(f"{name:28s}", "   ".join(cells))

    print(f"{'':28s} adult FRR/recall  child FRR/recall  held-out FRR/recall")
    row("first recognizer", {k: v for k, v in preds.items() if k in scores})
    for c in args.clear:
        for e in args.error:
            row(f"clear > {c}, error < {e}", apply(preds, scores, c, e, None))
    for d in args.doubt:
        row(f"-0.5/-7, doubt > {d}", apply(preds, scores, -0.5, -7.0, d))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
