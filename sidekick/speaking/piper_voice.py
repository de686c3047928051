"""The standard voice: a Piper-format ONNX voice run by the ``piper`` package (no torch).

Text is split into the app's sentences (:func:`~sidekick.speaking.base.utterances`), each
sentence phonemized with espeak-ng (:func:`sidekick.words.letter_to_sound.phonemize`) and
synthesized on its own, so the first sentence can play while the rest is still being
synthesized.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from sidekick.errors import ModelError
from sidekick.speaking.base import SpokenSentence, utterances
from sidekick.words.letter_to_sound import phonemize
from sidekick.words.sentences import warm_up


class PiperOnnxVoice:
    """A single-speaker Piper VITS voice (``model.onnx`` + ``model.onnx.json``): a thin
    adapter over :class:`piper.PiperVoice` that speaks sentence by sentence, with a rate."""

    styles = ("neutral",)
    narration_style = instruction_style = None  # one style for everything

    def __init__(self, model_path: Path, config_path: Path | None = None, name: str = "") -> None:
        from piper import PiperVoice

        config_path = config_path or Path(f"{model_path}.json")
        if not Path(model_path).is_file() or not config_path.is_file():
            raise ModelError(f"Voice files not found: {model_path} (and its .json config).")
        try:
            self.voice = PiperVoice.load(model_path, config_path)
        except Exception as exc:  # onnxruntime raises its own exception types
            raise ModelError(f"Voice model {model_path} could not be loaded: {exc}") from exc
        self.name = name or Path(model_path).stem
        self.sample_rate = self.voice.config.sample_rate
        warm_up()  # the sentence splitter, so that the first sentence is not kept waiting

    def synthesize(self, text: str, *, rate: float = 1.0) -> np.ndarray:
        """One utterance, as float32 audio (not normalised: every sentence keeps the voice's
        own loudness)."""
        from piper import SynthesisConfig

        config = self.voice.config
        ids = self.voice.phonemes_to_ids(phonemize(text, config.espeak_voice))
        length = config.length_scale / max(rate, 0.1)
        audio = self.voice.phoneme_ids_to_audio(ids, SynthesisConfig(length_scale=length))
        return np.clip(np.asarray(audio).reshape(-1), -1.0, 1.0).astype(np.float32)

    def speak(
        self, text: str, *, style: str | None = None, rate: float = 1.0
    ) -> Iterator[SpokenSentence]:
        if style not in (None, *self.styles):
            raise ModelError(f"Voice '{self.name}' has no style '{style}' (it has: neutral).")
        for sentence in utterances(text):
            yield SpokenSentence(sentence, self.synthesize(sentence, rate=rate), self.sample_rate)
