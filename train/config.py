"""Every step's settings, as plain dataclasses in one place.

Each knob lives here once, with its default (the command line's defaults are read from
these), so a run can be described and repeated by the values it was given:
``corpus select`` writes its settings into ``DIR/coverage.json``, ``teacher-corpus`` into
the corpus (``DIR/teacher.json``), ``curate`` into ``DIR2/report.json``, ``align-durations``
and ``fit`` into their checkpoints. Files and saved settings are read back with
:func:`from_dict`, which refuses a key that is not a setting, so a misspelt one is never
silently ignored.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
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
class SelectionConfig:
    """``corpus select`` settings (``train/data/sentence_selection.py``)."""

    sentences: int = 20_000  # training sentences chosen
    templates: int = 5_000  # template-grammar candidates offered (chosen only for coverage)
    source_share: float = 0.12  # the most of the selection any one book may give
    seed: int = 1  # template candidates and the random fill

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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


@dataclass
class AlignerConfig:
    """``align-durations`` settings (``train/durations/phoneme_aligner.py``); the defaults are
    the ones measured in the README."""

    steps: int = 2000  # both stages
    refine_share: float = 0.5  # share of the steps for stage 2, the context encoder (0: none)
    refine_warmup: float = 0.2  # share of stage 2 aligned by the frozen local encoder
    batch_size: int = 16
    bucket: int = 8  # batches drawn at once and sorted by length (less padding)
    lr: float = 2e-3
    dim: int = 128  # encoder width
    layers: int = 1  # stage 1: residual convolutions ...
    kernel: int = 3  # ... of this width
    refine_layers: int = 3  # stage 2
    refine_kernel: int = 5
    dropout: float = 0.1
    min_log_std: float = -1.0  # floor of the log-deviation: no Gaussian sharper than e^-1
    deltas: bool = True  # add each bin's slope over ±1 frame to the features
    prior_steps: int = 600  # the prior fades out over these steps (at most half of stage 1)
    prior_scale: float = 1.0  # beta-binomial width (RAD-TTS's scaling factor)
    prior_on_speech: bool = True  # the diagonal between the first and last loud frames
    max_seconds: float = 20.0  # longer utterances are not trained on (still aligned)
    log_every: int = 25
    ckpt_every: int = 500
    seed: int = 1
    device: str = "auto"  # auto, cpu, cuda, cuda:1, ...
    threads: int = 1  # torch CPU threads (0: torch's default); the model is small, and more
    # threads gain little alone and slow it down many times beside other work

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def local_steps(self) -> int:
        """Stage 1's steps; stage 2 runs from there to ``steps``."""
        return self.steps - round(self.steps * min(max(self.refine_share, 0.0), 1.0))

    @property
    def warmup_end(self) -> int:
        """The step up to which stage 2 aligns with the local encoder."""
        return self.local_steps + round((self.steps - self.local_steps) * self.refine_warmup)


@dataclass
class ModelConfig:
    """The acoustic model's size (``train/acoustic/model.py``)."""

    n_symbols: int = 256  # phoneme id vocabulary (>= max id in the phoneme_id_map + 1)
    n_styles: int = 2  # style ids, e.g. 0 = neutral, 1 = storytelling
    n_mels: int = 80
    d_model: int = 128
    n_heads: int = 2
    encoder_layers: int = 4
    decoder_layers: int = 4
    ff_dim: int = 512  # hidden size of the convolutional feed-forward in each FFT block
    ff_kernel: int = 3
    predictor_dim: int = 128
    predictor_kernel: int = 3
    dropout: float = 0.1

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class FitConfig:
    """``fit`` settings (``train/acoustic/fit.py``); :meth:`load` reads them from TOML or JSON."""

    model: ModelConfig = field(default_factory=ModelConfig)
    steps: int = 20_000
    batch_size: int = 16
    bucket: int = 8  # batches drawn at once and sorted by length, so padding stays small
    lr: float = 1e-3
    warmup_steps: int = 1000
    min_lr_ratio: float = 0.05  # cosine decay to lr * this
    grad_clip: float = 1.0
    l2: float = 1e-6  # coefficient of the L2 penalty sum(w**2) (Tacotron 2 used 1e-6)
    weight_decay: float = 0.0  # AdamW's decoupled decay, off: the L2 penalty regularizes
    styles: tuple[str, ...] = ()  # style id order; () = the corpus's styles, sorted
    neutral_style: str = "neutral"
    # share of each batch drawn from neutral utterances: 0 = none (the ablation: they are
    # left out), None or negative = the corpus's own proportion
    neutral_share: float | None = 0.35
    duration_weight: float = 1.0
    pitch_weight: float = 1.0
    energy_weight: float = 1.0
    val_fraction: float = 0.03
    val_max: int = 64
    max_seconds: float = 15.0  # longer utterances are left out
    log_every: int = 25
    val_every: int = 500
    ckpt_every: int = 500
    seed: int = 1
    device: str = "auto"  # auto, cpu, cuda, cuda:1, ...
    threads: int = 0  # torch CPU threads (0: torch's default)
    workers: int = 2  # processes for feature extraction
    amp: bool = True  # bfloat16 autocast on CUDA
    # a voice bundle to start from (its model size, styles, normalization and weights);
    # "" = random initialization. Only a fresh run uses it: a resumed run has its checkpoint.
    init_from: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def load(cls, path: Path | None) -> FitConfig:
        """Settings from a ``.toml`` or ``.json`` file (defaults for what it leaves out)."""
        if path is None:
            return cls()
        path = Path(path)
        text = path.read_text(encoding="utf-8")
        if path.suffix.lower() == ".toml":
            try:
                import tomllib
            except ModuleNotFoundError:  # Python 3.10
                import tomli as tomllib  # type: ignore[no-redef]
            data = tomllib.loads(text)
        else:
            data = json.loads(text)
        try:
            return from_dict(cls, data)
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from None


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
