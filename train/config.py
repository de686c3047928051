"""Settings for building and curating voice data, as plain dataclasses.

Every knob the corpus tools use lives here with its default, so a run can be described (and
repeated) by the values it was given. ``teacher-corpus`` writes its settings into the corpus
(``DIR/teacher.json``) and ``curate`` into ``DIR2/report.json``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

SAMPLE_RATE = 22_050  # the teacher voice and the universal vocoder
HOP = 256  # samples per duration frame (teacher durations and vocoder mel frames)
STYLES = ("neutral", "storytelling")


@dataclass
class StorytellingConfig:
    """How the teacher's neutral speech is turned into storytelling speech."""

    rate: tuple[float, float] = (0.75, 0.9)  # speaking rate relative to neutral (per utterance)
    pitch_range: tuple[float, float] = (1.3, 1.6)  # pitch excursions widened (semitone scale)
    pause_scale: tuple[float, float] = (1.6, 2.0)  # extra stretch of punctuation pauses
    max_pause_s: float = 0.38  # no punctuation pause is stretched beyond this
    stress_scale: float = 1.12  # every stressed vowel slightly longer
    focus_scale: float = 1.3  # the emphasised content words' stressed vowels
    focus_semitones: float = 2.5  # pitch accent added on emphasised words
    focus_gain_db: float = 3.0  # loudness boost on emphasised words
    focus_per_sentence: int = 2  # emphasised content words per sentence (at most)


@dataclass
class DefectConfig:
    """The two kinds of defects injected (and listed in ``defects.json``) to measure curation."""

    pitch_range: tuple[float, float] = (2.5, 3.0)  # prosodic extreme: range x this (own style)
    rate_jitter: tuple[float, float] = (0.45, 2.2)  # erratic rate: per-word duration factor
    dead_air_s: tuple[float, float] = (0.8, 3.0)  # one silence inserted at a word boundary
    dead_air_count: tuple[int, int] = (1, 2)  # silences per dead-air utterance
    noise_dbfs: float = -65.0  # the "room" noise floor of the inserted silence


@dataclass
class TeacherConfig:
    """``teacher-corpus`` settings."""

    utterances: int = 400
    storytelling_share: float = 0.61  # storytelling utterances: ~2x the neutral hours
    defects: float = 0.0  # fraction of utterances with an injected defect
    seed: int = 1
    two_sentence_share: float = 0.3  # utterances made of two sentences (template grammar)
    # texts from a file (one a line, or the selected.jsonl of `corpus select`) instead of
    # the template grammar; its first `utterances` lines are spoken, one sentence each
    sentences: str = ""
    noise_scale: float = 0.667  # teacher sampling noise (the voice's defaults)
    noise_w: float = 0.8
    workers: int = 2
    story: StorytellingConfig = field(default_factory=StorytellingConfig)
    defect: DefectConfig = field(default_factory=DefectConfig)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class CurationConfig:
    """``curate`` settings."""

    mad_k: float = 6.0  # discard embeddings farther than median + k * MAD (per style)
    robust_mean: bool = True  # recompute the mean embedding without the first-pass outliers
    edge_margin_s: float = 0.08  # silence kept before the first and after the last word
    gap_cap_s: float = 0.3  # a pause between words (no punctuation) longer than this ...
    punct_cap_s: float = 0.42  # ... or at punctuation longer than this is shortened to the
    max_natural_s: float = 0.4  # style's median pause for that context (never above this)
    min_word_pause_s: float = 0.04  # a shortened gap between words keeps at least this
    min_word_ratio: float = 0.5  # words in the alignment / words in the text below: unalignable
    min_speech_s: float = 0.3
    workers: int = 2

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def from_dict(cls: type, data: dict[str, Any], _prefix: str = "") -> Any:
    """Build a (possibly nested) config dataclass from a dict. A key that is not one of its
    settings is an error naming the key: a misspelt setting must not be silently ignored."""
    names = [f.name for f in fields(cls)]
    unknown = [key for key in data if key not in names]
    if unknown:
        raise ValueError(
            f"unknown setting '{_prefix}{unknown[0]}'; the settings are: {', '.join(names)}"
        )
    kwargs: dict[str, Any] = {}
    for f in fields(cls):
        if f.name not in data:
            continue
        value = data[f.name]
        default = cls.__dataclass_fields__[f.name]
        sub = default.default_factory() if callable(default.default_factory) else None
        if sub is not None and hasattr(sub, "__dataclass_fields__"):
            value = from_dict(type(sub), value, f"{_prefix}{f.name}.")
        elif isinstance(value, list):
            value = tuple(value)
        kwargs[f.name] = value
    return cls(**kwargs)
