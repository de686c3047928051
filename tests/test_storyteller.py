"""The shipped storyteller voice (``voices/storyteller``): its real ONNX files, run by the
app's runtime, understood by Whisper, and the app's default narrator."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from sidekick.paths import BUNDLED_VOICES
from tests.conftest import word_error_rate

BUNDLE = BUNDLED_VOICES / "storyteller"
SENTENCES = [
    "Once upon a time, a little fox lived at the edge of a quiet forest.",
    "Every morning she ran down to the river to watch the fish jump.",
    '"Where did my red hat go?" asked Sam.',
]


@pytest.fixture(scope="module")
def storyteller():
    from sidekick.speaking.bundle_voice import BundleVoice

    return BundleVoice(BUNDLE, name="storyteller")


def test_bundle_is_complete_and_intact() -> None:
    config = json.loads((BUNDLE / "voice.json").read_text(encoding="utf-8"))
    assert config["styles"] == ["neutral", "storytelling"]
    assert config["style_for"] == {"narration": "storytelling", "instructions": "neutral"}
    for name, digest in config["sha256"].items():
        path = BUNDLE / name if (BUNDLE / name).is_file() else BUNDLE.parent / name
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, name
    card = (BUNDLE / "MODEL_CARD.md").read_text(encoding="utf-8")
    for needed in ("L2 penalty", "Neutral augmentation", "Curation", "Ablations"):
        assert needed in card, needed


def test_default_narrator() -> None:
    from sidekick.settings import Settings
    from sidekick.speaking.registry import available_voices, default_voice

    assert "storyteller" in available_voices()
    assert default_voice() == "storyteller" and Settings().voice == "storyteller"


@pytest.mark.parametrize("style", ["storytelling", "neutral"])
def test_whisper_understands_both_styles(storyteller, style, tmp_path: Path, transcribe) -> None:
    errors = []
    for i, text in enumerate(SENTENCES):
        audio = storyteller.synthesize(text, style=style)
        assert np.isfinite(audio).all() and 0.05 < np.abs(audio).max() <= 1.0
        sf.write(tmp_path / f"{i}.wav", audio, storyteller.sample_rate)
        errors.append(word_error_rate(text, transcribe(tmp_path / f"{i}.wav")))
    assert np.mean(errors) <= 0.2, errors


def test_storytelling_is_slower_than_neutral(storyteller) -> None:
    text = SENTENCES[0]
    story = storyteller.synthesize(text, style="storytelling")
    neutral = storyteller.synthesize(text, style="neutral")
    assert len(story) > 1.1 * len(neutral)
