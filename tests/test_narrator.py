"""Which voice narrates: the storyteller only when its recorded figures on the bundled books
meet the narrator bar (sidekick/speaking/narrator.py)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from sidekick.paths import BUNDLED_VOICES
from sidekick.speaking.narrator import shortfalls
from train.evaluation.evaluate import narrator_record, record_narrator_check

STANDARD = {"wer": 0.05, "words_per_second": 3.3, "pitch_spread_st": 7.0,
            "longest_inner_pause_s": 0.5, "unstable": 0, "mos": 4.4}  # fmt: skip
GOOD = {
    "standard": STANDARD,
    "styles": {
        "storytelling": {"wer": 0.06, "words_per_second": 2.8, "pitch_spread_st": 9.0,
                         "longest_inner_pause_s": 0.6, "unstable": 0, "mos": 4.3},
        "neutral": {"wer": 0.05, "words_per_second": 3.2, "pitch_spread_st": 7.0,
                    "longest_inner_pause_s": 0.5, "unstable": 0, "mos": 4.35},
    },
}  # fmt: skip


def changed(style: str, **figures: float) -> dict:
    record = copy.deepcopy(GOOD)
    record["styles"][style].update(figures)
    return record


def test_a_voice_that_reads_as_clearly_slower_and_livelier_passes() -> None:
    assert shortfalls(GOOD) == []


@pytest.mark.parametrize(
    ("record", "said"),
    [
        (None, "not been measured"),
        (changed("storytelling", wer=0.08), "storytelling: Whisper misheard 8%"),
        (changed("neutral", wer=0.2), "neutral: Whisper misheard 20%"),
        (changed("storytelling", words_per_second=3.2), "pace 0.97x"),
        (changed("storytelling", words_per_second=2.0), "pace 0.61x"),
        (changed("storytelling", pitch_spread_st=8.0), "pitch spread 1.14x"),
        (changed("storytelling", mos=4.1), "predicted naturalness 4.10 against 4.40"),
        (changed("neutral", mos=None), "neutral: naturalness (MOS) not measured"),
        (changed("storytelling", longest_inner_pause_s=1.3), "a pause of 1.3 s"),
        (changed("storytelling", unstable=1), "1 unstable"),
    ],
)
def test_each_line_of_the_bar_can_fail(record: dict | None, said: str) -> None:
    missed = shortfalls(record)
    assert len(missed) == 1 and said in missed[0], missed


def test_the_default_narrator_follows_the_recorded_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bundle's evaluation on the books is written into its voice.json; the storyteller
    then narrates only if those figures pass (the standard voice's pitch spread is taken
    through the same vocoder)."""
    from sidekick.speaking import registry

    bundle = tmp_path / "storyteller"
    bundle.mkdir()
    shipped = json.loads((BUNDLED_VOICES / "storyteller" / "voice.json").read_text("utf-8"))
    shipped.pop("narrator_check")
    (bundle / "voice.json").write_text(json.dumps(shipped), "utf-8")
    monkeypatch.setattr(registry, "BUNDLED_VOICES", tmp_path)
    assert registry.default_voice() == "standard"  # nothing recorded yet

    def books(story_spread: float) -> dict:
        raw = dict(STANDARD, pitch_spread_st=3.5)  # the raw standard voice
        voices = {"standard": raw, "standard/vocoded": STANDARD,
                  "storyteller/storytelling": dict(GOOD["styles"]["storytelling"],
                                                   pitch_spread_st=story_spread),
                  "storyteller/neutral": GOOD["styles"]["neutral"],
                  "storyteller/rtf": {"rtf": 0.16}}  # fmt: skip
        return {"sources": {"books": {"sentences": 19, "voices": voices}}}

    # Livelier than the raw standard voice (5.17 / 3.5) but not than its vocoded copy: fails.
    assert record_narrator_check(bundle, books(5.17), "cmd") == [
        "pitch spread 0.74x the standard voice's (wanted at least 1.25x)"
    ]
    assert registry.default_voice() == "standard"
    assert record_narrator_check(bundle, books(9.0), "cmd") == []
    assert registry.default_voice() == "storyteller"
    record = json.loads((bundle / "voice.json").read_text("utf-8"))["narrator_check"]
    assert record == narrator_record(books(9.0)["sources"]["books"], "storyteller", "cmd")
    assert set(record["styles"]) == {"storytelling", "neutral"}


def test_today_s_storyteller_does_not_narrate() -> None:
    """The shipped storyteller misses the bar (Whisper mishears one word in eight of the
    bundled books): the standard voice narrates, and Settings says it is still learning."""
    from sidekick.speaking.registry import default_voice, storyteller_shortfalls
    from sidekick.ui.screens.settings import STORYTELLER_LEARNING, voice_label

    missed = storyteller_shortfalls()
    assert any("storytelling: Whisper misheard" in m for m in missed), missed
    assert default_voice() == "standard"
    assert voice_label("storyteller") == STORYTELLER_LEARNING


def test_the_recorded_command_holds_no_path_of_the_machine_it_ran_on() -> None:
    from train.evaluation.commands import recorded_command

    bundle = "/home/someone/runs/ship/storyteller"
    argv = [bundle, "--sources", "books", "--record", "--json", "/tmp/books.json"]
    assert recorded_command(argv, bundle) == (
        "sidekick-train evaluate voices/storyteller --sources books --record"
    )
    assert recorded_command([bundle, "--from-json=/tmp/x.json", "--record"], bundle).endswith(
        "voices/storyteller --record"
    )
