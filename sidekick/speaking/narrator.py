"""Which voice narrates: the storyteller only when its card shows that it reads real books
as clearly as the standard voice, and livelier.

A bundle records its figures on the bundled books in ``voice.json`` under
``narrator_check`` (written by ``sidekick-train evaluate --record``, measured side by side with
the standard voice in the same run). :func:`shortfalls` compares that record with
:data:`BAR`; a bundle with no record, or one that misses any line of the bar, does not narrate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class NarratorBar:
    """What a voice must reach on real book text, against the standard voice."""

    max_wer_over_standard: float = 0.02  # each style, Whisper tiny.en
    words_per_second_ratio: tuple[float, float] = (0.75, 0.90)  # storytelling: slower
    min_pitch_spread_ratio: float = 1.25  # storytelling: livelier
    max_inner_pause_s: float = 1.0
    max_unstable: int = 0
    max_mos_below_standard: float = 0.2  # predicted naturalness (DistillMOS), each style


BAR = NarratorBar()
NARRATION_STYLE = "storytelling"


def shortfalls(record: dict[str, Any] | None, bar: NarratorBar = BAR) -> list[str]:
    """The lines of the bar a voice's recorded figures miss, in plain words ([] = passes).

    ``record`` = ``{"standard": figures, "styles": {style: figures}}`` where figures hold
    ``wer``, ``words_per_second``, ``pitch_spread_st``, ``longest_inner_pause_s``,
    ``unstable`` and ``mos`` (missing figures count as not met).
    """
    if not record or "standard" not in record or not record.get("styles"):
        return ["it has not been measured on the bundled books"]
    std: dict[str, Any] = record["standard"]
    missed: list[str] = []

    def number(figures: dict[str, Any], key: str) -> float | None:
        value = figures.get(key)
        return float(value) if isinstance(value, (int, float)) else None

    for style, own in record["styles"].items():
        wer, std_wer = number(own, "wer"), number(std, "wer")
        if wer is None or std_wer is None:
            missed.append(f"{style}: word error rate not measured")
        elif wer > std_wer + bar.max_wer_over_standard:
            missed.append(
                f"{style}: Whisper misheard {wer:.0%} of its words, "
                f"against {std_wer:.0%} for the standard voice"
            )
        mos, std_mos = number(own, "mos"), number(std, "mos")
        if mos is None or std_mos is None:
            missed.append(f"{style}: naturalness (MOS) not measured")
        elif mos < std_mos - bar.max_mos_below_standard:
            missed.append(f"{style}: predicted naturalness {mos:.2f} against {std_mos:.2f}")
        pause = number(own, "longest_inner_pause_s")
        if pause is None:
            missed.append(f"{style}: pauses not measured")
        elif pause > bar.max_inner_pause_s:
            missed.append(f"{style}: a pause of {pause:g} s inside a sentence")
        unstable = number(own, "unstable")
        if unstable is None:
            missed.append(f"{style}: unstable utterances not counted")
        elif unstable > bar.max_unstable:
            missed.append(f"{style}: {unstable:.0f} unstable utterances")
    story = record["styles"].get(NARRATION_STYLE)
    if story is None:
        missed.append(f"no {NARRATION_STYLE} style")
        return missed
    wps, std_wps = number(story, "words_per_second"), number(std, "words_per_second")
    low, high = bar.words_per_second_ratio
    if wps is None or not std_wps or not low <= wps / std_wps <= high:
        ratio = "unmeasured" if wps is None or not std_wps else f"{wps / std_wps:.2f}x"
        missed.append(f"pace {ratio} the standard voice's (wanted {low}-{high}x)")
    spread, std_spread = number(story, "pitch_spread_st"), number(std, "pitch_spread_st")
    if spread is None or not std_spread or spread / std_spread < bar.min_pitch_spread_ratio:
        ratio = "unmeasured" if spread is None or not std_spread else f"{spread / std_spread:.2f}x"
        missed.append(f"pitch spread {ratio} the standard voice's "
                      f"(wanted at least {bar.min_pitch_spread_ratio}x)")  # fmt: skip
    return missed
