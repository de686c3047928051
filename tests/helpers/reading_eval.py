"""Evaluation-set records for the scorer's tests: truth and a perfect prediction of it."""

from __future__ import annotations

import copy


def truth_record(clip: str, statuses: list[str], condition: str = "adult", family: str = "standard",
           wcpm: float = 120.0, clean: bool = False) -> dict:  # fmt: skip
    words = []
    for i, st in enumerate(statuses):
        timed = st not in ("omitted", "assisted")
        words.append({"index": i, "word": f"w{i}", "status": st,
                      "heard": "x" if st == "substituted" else None,
                      "start": i * 0.5 if timed else None,
                      "end": i * 0.5 + 0.3 if timed else None})  # fmt: skip
    return {"clip": clip, "condition": condition, "family": family, "noise": None,
            "clean": clean, "words": words, "insertions": [], "repetitions": [],
            "wcpm_true": wcpm}  # fmt: skip


def perfect_prediction(truth: dict) -> dict:
    words = copy.deepcopy(truth["words"])
    for w in words:
        w["hesitation_s"] = 0.0
    return {"words": words, "insertions": [], "repetitions": [],
            "summary": {"wcpm": truth["wcpm_true"]}}  # fmt: skip


TRUTH = [
    truth_record("a1", ["correct"] * 8 + ["substituted", "omitted"], "adult", "standard"),
    truth_record("a2", ["correct"] * 10, "adult", "held_out", wcpm=100.0, clean=True),
    truth_record(
        "c1",
        ["correct", "self_corrected", "assisted"] + ["correct"] * 7,
        "child",
        "standard",
        wcpm=80.0,
    ),  # fmt: skip
]
