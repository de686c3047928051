"""The shipped storyteller voice (``voices/storyteller``): its real ONNX files, run by the
app's runtime, understood by Whisper, and the app's narrator only when it reads the bundled
books as clearly as the standard voice."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from sidekick.paths import BUNDLED_BOOKS, BUNDLED_VOICES
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


def book_pages(per_book: int = 2) -> list[str]:
    """The first pages of every bundled book (real story text, not the training grammar)."""
    from sidekick.books.library import list_books

    books, _ = list_books()
    bundled = [b for b in books if Path(b.path).parent.resolve() == BUNDLED_BOOKS.resolve()]
    assert len(bundled) >= 3
    return [" ".join(p.text.split()) for b in bundled for p in b.pages[:per_book]]


def test_narrator_follows_the_card() -> None:
    from sidekick.settings import Settings
    from sidekick.speaking.narrator import shortfalls
    from sidekick.speaking.registry import available_voices, default_voice

    assert "storyteller" in available_voices()
    config = json.loads((BUNDLE / "voice.json").read_text(encoding="utf-8"))
    passes = not shortfalls(config.get("narrator_check"))
    assert default_voice() == ("storyteller" if passes else "standard")
    assert Settings().voice == default_voice()


@pytest.mark.slow
def test_storyteller_narrates_only_if_it_reads_books_as_clearly(
    storyteller, tmp_path: Path, transcribe
) -> None:
    """Whisper on pages of the bundled books, both voices in the same run: the storyteller
    may be the default narrator only within 2 points of the standard voice's WER, and the
    verdict its card records (over every page) must be the one measured here on a sample of
    pages. Whisper's output differs slightly between CPUs, so the figures themselves are not
    compared, only which side of the bar they fall on."""
    from sidekick.speaking.registry import default_voice, load_voice

    standard = load_voice("standard")
    pages = book_pages()
    wer: dict[str, list[float]] = {"standard": [], "storytelling": []}
    for i, text in enumerate(pages):
        for name, audio in (
            ("standard", np.concatenate([s.audio for s in standard.speak(text)])),
            ("storytelling", storyteller.synthesize(text, style="storytelling")),
        ):
            path = tmp_path / f"{name}-{i}.wav"
            sf.write(path, audio, storyteller.sample_rate)
            wer[name].append(word_error_rate(text, transcribe(path)))
    story, std = float(np.mean(wer["storytelling"])), float(np.mean(wer["standard"]))
    reads_well = story <= std + 0.02
    if default_voice() == "storyteller":
        assert reads_well, f"the default narrator misheard {story:.0%} vs {std:.0%}"
    record = json.loads((BUNDLE / "voice.json").read_text(encoding="utf-8"))["narrator_check"]
    recorded, recorded_std = record["styles"]["storytelling"]["wer"], record["standard"]["wer"]
    recorded_well = recorded <= recorded_std + 0.02
    assert recorded_well == reads_well, (recorded, recorded_std, story, std)


@pytest.mark.slow
@pytest.mark.parametrize("style", ["storytelling", "neutral"])
def test_whisper_understands_both_styles(storyteller, style, tmp_path: Path, transcribe) -> None:
    errors = []
    for i, text in enumerate(SENTENCES):
        audio = storyteller.synthesize(text, style=style)
        assert np.isfinite(audio).all() and 0.05 < np.abs(audio).max() <= 1.0
        sf.write(tmp_path / f"{i}.wav", audio, storyteller.sample_rate)
        errors.append(word_error_rate(text, transcribe(tmp_path / f"{i}.wav")))
    assert np.mean(errors) <= 0.2, errors


@pytest.mark.slow
def test_storytelling_is_slower_than_neutral(storyteller) -> None:
    text = SENTENCES[0]
    story = storyteller.synthesize(text, style="storytelling")
    neutral = storyteller.synthesize(text, style="neutral")
    assert len(story) > 1.1 * len(neutral)
