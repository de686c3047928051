"""A Piper-format ONNX voice run directly with onnxruntime (no torch).

Text is split into sentences, each sentence phonemized with espeak-ng (through the
``piper`` package's bundled bridge) and synthesized on its own, so the first sentence can
play while the rest is still being synthesized.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import onnxruntime as ort

from sidekick.errors import ModelError
from sidekick.speaking.base import MAX_SPOKEN_RUN, MAX_UTTERANCE_CHARS, SpokenSentence

_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"'”’)]))\s+")
_LONG_RUN = re.compile(rf"\S{{{MAX_SPOKEN_RUN + 1},}}")
_PHONEMIZER_LOCK = threading.Lock()
_PHONEMIZER = None


def split_sentences(text: str) -> list[str]:
    """Split text at sentence ends; good enough for synthesis (the book model uses Punkt).

    Bounded (:data:`~sidekick.speaking.base.MAX_UTTERANCE_CHARS`): a run of characters
    longer than a word is left out, and a longer sentence is cut between words."""
    out = []
    for sentence in _SENTENCE_END.split(_LONG_RUN.sub(" ", text).strip()):
        sentence = " ".join(sentence.split())
        while len(sentence) > MAX_UTTERANCE_CHARS:
            cut = sentence.rfind(" ", 0, MAX_UTTERANCE_CHARS + 1)
            cut = cut if cut > 0 else MAX_UTTERANCE_CHARS
            out.append(sentence[:cut].strip())
            sentence = sentence[cut:].strip()
        if sentence:
            out.append(sentence)
    return out


def phonemize(text: str, espeak_voice: str = "en-us") -> list[str]:
    """IPA phonemes for ``text`` as one list (espeak-ng, the symbols Piper voices use)."""
    global _PHONEMIZER
    with _PHONEMIZER_LOCK:
        if _PHONEMIZER is None:
            from piper.phonemize_espeak import EspeakPhonemizer

            _PHONEMIZER = EspeakPhonemizer()
        sentences = _PHONEMIZER.phonemize(espeak_voice, text)
    phonemes: list[str] = []
    for i, sentence in enumerate(sentences):
        if i:
            phonemes.append(" ")
        phonemes.extend(sentence)
    return phonemes


def session_options() -> ort.SessionOptions:
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    return opts


class PiperOnnxVoice:
    """A single-speaker Piper VITS voice (``model.onnx`` + ``model.onnx.json``)."""

    styles = ("neutral",)

    def __init__(self, model_path: Path, config_path: Path | None = None, name: str = "") -> None:
        config_path = config_path or Path(f"{model_path}.json")
        if not Path(model_path).is_file() or not config_path.is_file():
            raise ModelError(f"Voice files not found: {model_path} (and its .json config).")
        try:
            self.config = json.loads(config_path.read_text(encoding="utf-8"))
            self.session = ort.InferenceSession(
                str(model_path), sess_options=session_options(), providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own exception types
            raise ModelError(f"Voice model {model_path} could not be loaded: {exc}") from exc
        self.name = name or Path(model_path).stem
        self.sample_rate = int(self.config["audio"]["sample_rate"])
        self.espeak_voice = self.config.get("espeak", {}).get("voice", "en-us")
        self.id_map: dict[str, list[int]] = self.config["phoneme_id_map"]
        inference = self.config.get("inference", {})
        self.noise_scale = float(inference.get("noise_scale", 0.667))
        self.length_scale = float(inference.get("length_scale", 1.0))
        self.noise_w = float(inference.get("noise_w", 0.8))

    def phoneme_ids(self, text: str) -> list[int]:
        from piper.phoneme_ids import phonemes_to_ids

        return phonemes_to_ids(phonemize(text, self.espeak_voice), self.id_map)

    def synthesize(self, text: str, *, rate: float = 1.0) -> np.ndarray:
        """One utterance, as float32 audio."""
        ids = self.phoneme_ids(text)
        scales = np.array(
            [self.noise_scale, self.length_scale / max(rate, 0.1), self.noise_w], dtype=np.float32
        )
        audio = self.session.run(
            None,
            {
                "input": np.array([ids], dtype=np.int64),
                "input_lengths": np.array([len(ids)], dtype=np.int64),
                "scales": scales,
            },
        )[0]
        return np.clip(audio.reshape(-1), -1.0, 1.0).astype(np.float32)

    def speak(
        self, text: str, *, style: str | None = None, rate: float = 1.0
    ) -> Iterator[SpokenSentence]:
        if style not in (None, *self.styles):
            raise ModelError(f"Voice '{self.name}' has no style '{style}' (it has: neutral).")
        for sentence in split_sentences(text):
            yield SpokenSentence(sentence, self.synthesize(sentence, rate=rate), self.sample_rate)
