"""``voice.json``, the description of a voice bundle, as one typed record.

``sidekick-train export`` writes it, ``sidekick-train evaluate --record`` adds the narrator
check, :class:`~sidekick.speaking.bundle_voice.BundleVoice` reads it and the model card is
written from it: all through :class:`VoiceConfig`, so the file has one definition.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sidekick.atomic_file import write_atomically
from sidekick.errors import ModelError

FORMAT = "sidekick-voice"
FORMAT_VERSION = 1
FILE = "voice.json"


@dataclass(frozen=True)
class StyleUse:
    """Which style the app uses for what: reading the story, and talking to the child."""

    narration: str
    instructions: str


@dataclass(frozen=True)
class Inference:
    """Run-time settings: ``rate`` divides every duration, ``expressivity`` scales pitch
    movement (1 = as trained); ``styles`` holds per-style factors on top of both, e.g.
    ``{"storytelling": {"rate": 0.9, "expressivity": 1.4}}``."""

    rate: float = 1.0
    expressivity: float = 1.0
    styles: dict[str, dict[str, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class VoiceConfig:
    name: str
    phoneme_id_map: dict[str, list[int]]
    styles: tuple[str, ...]
    audio: dict[str, Any]  # the mel settings the model was trained with (train/mel.py)
    default_style: str
    style_for: StyleUse
    inference: Inference = field(default_factory=Inference)
    acoustic: str = "acoustic.onnx"
    vocoder: str = "vocoder.onnx"  # relative to the bundle: "../hifigan-universal.onnx" shared
    espeak: dict[str, str] = field(default_factory=lambda: {"voice": "en-us"})
    phoneme_type: str = "espeak"
    normalization: dict[str, float] = field(default_factory=dict)
    sha256: dict[str, str] = field(default_factory=dict)
    # Records for people, written by the train tools: how the voice was made (the model
    # card's source), its evaluation figures, and its figures on the bundled books (the
    # narrator check, read by the app: sidekick/speaking/narrator.py).
    training: dict[str, Any] = field(default_factory=dict)
    figures: list[dict[str, Any]] | None = None
    narrator_check: dict[str, Any] | None = None
    format: str = FORMAT
    version: int = FORMAT_VERSION

    @property
    def sample_rate(self) -> int:
        return int(self.audio["sample_rate"])

    @property
    def hop_length(self) -> int:
        return int(self.audio.get("hop_length", 256))

    @property
    def espeak_voice(self) -> str:
        return self.espeak.get("voice", "en-us")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VoiceConfig:
        """Raises KeyError, TypeError or ValueError when a needed field is missing or wrong."""
        if data.get("format", FORMAT) != FORMAT:
            raise ValueError(f"format is {data.get('format')!r}, not {FORMAT!r}")
        styles = tuple(str(s) for s in data["styles"])
        if not styles:
            raise ValueError("no styles")
        default = data.get("default_style", styles[0])
        if default not in styles:
            raise ValueError(f"default style {default!r} is not one of {list(styles)}")
        uses = data.get("style_for", {})
        style_for = StyleUse(uses.get("narration", default), uses.get("instructions", default))
        known = {f for f in cls.__dataclass_fields__} - {"style_for", "inference", "styles"}
        simple = {k: v for k, v in data.items() if k in known}
        return cls(
            **{**simple, "default_style": default},
            styles=styles,
            style_for=style_for,
            inference=Inference(**data.get("inference", {})),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON layout of ``voice.json`` (fields left empty are left out)."""
        out = asdict(self)
        out["styles"] = list(self.styles)
        order = ["format", "version", "name", "acoustic", "vocoder", "audio", "espeak"]
        order += ["phoneme_type", "phoneme_id_map", "styles", "default_style", "style_for"]
        order += ["inference", "normalization", "training", "sha256", "figures"]
        order += ["narrator_check"]
        return {k: out[k] for k in order if out[k] is not None}

    @classmethod
    def load(cls, bundle_dir: Path) -> VoiceConfig:
        """The bundle's ``voice.json``; ModelError, in plain words, when absent or broken."""
        path = Path(bundle_dir) / FILE
        if not path.is_file():
            raise ModelError(f"Voice bundle {bundle_dir} has no {FILE}.")
        try:
            return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelError(f"Voice bundle {bundle_dir} has a broken {FILE}: {exc}") from exc

    def save(self, bundle_dir: Path) -> None:
        text = json.dumps(self.to_dict(), indent=1, ensure_ascii=False) + "\n"
        write_atomically(Path(bundle_dir) / FILE, lambda f: f.write(text))
