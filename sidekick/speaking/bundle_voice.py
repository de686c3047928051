"""A Sidekick voice bundle (``voices/NAME/``) run with onnxruntime alone: text -> phonemes ->
acoustic model (style, rate, expressivity) -> universal vocoder -> audio, sentence by sentence.

The bundle is written by ``sidekick-train export``: ``voice.json`` (phoneme map, styles,
audio settings, where the vocoder is), ``acoustic.onnx`` and a vocoder ONNX file, usually
shared by all bundles (``voices/hifigan-universal.onnx``). Phonemes come from the same
espeak-ng phonemizer as the standard voice (:func:`sidekick.words.letter_to_sound.phonemize`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import onnxruntime as ort

from sidekick.errors import ModelError
from sidekick.speaking.base import SpokenSentence, utterances
from sidekick.speaking.voice_config import VoiceConfig
from sidekick.words.letter_to_sound import phonemize
from sidekick.words.sentences import warm_up

FADE_S = 0.005  # a few milliseconds of fade at each end against clicks
CHUNK_FRAMES = 48  # streaming: frames (of 256 samples) per vocoded piece, ~0.56 s
CONTEXT_FRAMES = 16  # streaming: mel frames of context on each side of a piece


class BundleVoice:
    """An expressive multi-style voice from a bundle folder.

    ``expressivity`` scales the predicted pitch movements around each sentence's mean
    (1 = as trained, 0 = monotone); ``rate`` in :meth:`speak` divides every duration. The
    default style is the bundle's ``default_style`` (storytelling for the storyteller);
    :attr:`narration_style` and :attr:`instruction_style` say what the app should use.
    """

    def __init__(
        self,
        bundle_dir: Path,
        name: str = "",
        expressivity: float | None = None,
        threads: int | None = None,
    ) -> None:
        bundle_dir = Path(bundle_dir)
        self.config = config = VoiceConfig.load(bundle_dir)
        acoustic = bundle_dir / config.acoustic
        vocoder = (bundle_dir / config.vocoder).resolve()
        self.id_map: dict[str, list[int]] = config.phoneme_id_map
        self.styles: tuple[str, ...] = config.styles
        self.sample_rate = config.sample_rate
        self.hop = config.hop_length
        for path, what in ((acoustic, "acoustic model"), (vocoder, "vocoder")):
            if not path.is_file():
                raise ModelError(
                    f"Voice bundle {bundle_dir}: the {what} {path} is missing "
                    "(export it with sidekick-train export)."
                )
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        opts.intra_op_num_threads = threads or min(4, os.cpu_count() or 1)
        try:
            self.acoustic = ort.InferenceSession(
                str(acoustic), sess_options=opts, providers=["CPUExecutionProvider"]
            )
            self.vocoder = ort.InferenceSession(
                str(vocoder), sess_options=opts, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own exception types
            raise ModelError(f"Voice bundle {bundle_dir} could not be loaded: {exc}") from exc
        self.name = name or config.name or bundle_dir.name
        self.espeak_voice = config.espeak_voice
        self.default_style = config.default_style
        self.narration_style: str | None = config.style_for.narration
        self.instruction_style: str | None = config.style_for.instructions
        self.expressivity = float(
            config.inference.expressivity if expressivity is None else expressivity
        )
        self.base_rate = float(config.inference.rate)
        # Per-style settings ({"storytelling": {"rate": 0.95, "expressivity": 1.2}}) multiply
        # the voice-wide ones; an expressivity given to the constructor overrides them.
        self.style_settings: dict[str, dict[str, float]] = config.inference.styles
        self._fixed_expressivity = expressivity is not None
        warm_up()  # the sentence splitter, so that the first sentence is not kept waiting
        self.timings: dict[str, float] = {"phonemize": 0.0, "acoustic": 0.0, "vocoder": 0.0}

    def phoneme_ids(self, text: str) -> list[int]:
        from piper.phoneme_ids import phonemes_to_ids

        return phonemes_to_ids(phonemize(text, self.espeak_voice), self.id_map)

    def style_id(self, style: str | None) -> int:
        style = style or self.default_style
        if style not in self.styles:
            raise ModelError(
                f"Voice '{self.name}' has no style '{style}' (it has: {', '.join(self.styles)})."
            )
        return self.styles.index(style)

    def mel(
        self,
        text: str,
        *,
        style: str | None = None,
        rate: float = 1.0,
        expressivity: float | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Log-mel [80, T] and frames per phoneme id for one utterance."""
        started = time.perf_counter()
        ids = self.phoneme_ids(text)
        style_id = self.style_id(style)
        own = self.style_settings.get(self.styles[style_id], {})
        rate *= self.base_rate * float(own.get("rate", 1.0))
        if expressivity is None:
            expressivity = self.expressivity
            if not self._fixed_expressivity:
                expressivity *= float(own.get("expressivity", 1.0))
        mid = time.perf_counter()
        mel, durations = self.acoustic.run(
            None,
            {
                "phoneme_ids": np.array([ids], dtype=np.int64),
                "style": np.array([style_id], dtype=np.int64),
                "rate": np.array([max(rate, 0.1)], dtype=np.float32),
                "expressivity": np.array([expressivity], np.float32),
            },
        )
        self.timings["phonemize"] += mid - started
        self.timings["acoustic"] += time.perf_counter() - mid
        return mel[0], durations[0]

    def _vocode(self, mel: np.ndarray) -> np.ndarray:
        started = time.perf_counter()
        audio = self.vocoder.run(None, {"mel": mel[None].astype(np.float32)})[0].reshape(-1)
        self.timings["vocoder"] += time.perf_counter() - started
        return np.clip(audio, -1.0, 1.0).astype(np.float32)

    def _fade(self, audio: np.ndarray, start: bool = True, end: bool = True) -> np.ndarray:
        fade = min(int(FADE_S * self.sample_rate), len(audio) // 2)
        if fade:
            ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
            if start:
                audio[:fade] *= ramp
            if end:
                audio[-fade:] *= ramp[::-1]
        return audio

    def vocode(self, mel: np.ndarray) -> np.ndarray:
        """Float32 audio for a log-mel [80, T] (T * hop samples)."""
        return self._fade(self._vocode(mel))

    def vocode_chunks(
        self, mel: np.ndarray, chunk: int = CHUNK_FRAMES, context: int = CONTEXT_FRAMES
    ) -> Iterator[np.ndarray]:
        """The same audio as :meth:`vocode`, in pieces of ``chunk`` frames (the first one
        half as long), each vocoded with ``context`` frames on both sides (the vocoder is
        convolutional: with 16 frames the pieces join to within 1e-4 of the whole)."""
        frames = mel.shape[1]
        a = 0
        while a < frames:
            b = min(a + (chunk if a else max(1, chunk // 2)), frames)
            lo, hi = max(0, a - context), min(frames, b + context)
            audio = self._vocode(mel[:, lo:hi])
            piece = audio[(a - lo) * self.hop : (b - lo) * self.hop]
            yield self._fade(piece, start=a == 0, end=b == frames)
            a = b

    def synthesize(
        self,
        text: str,
        *,
        style: str | None = None,
        rate: float = 1.0,
        expressivity: float | None = None,
    ) -> np.ndarray:
        """One utterance, as float32 audio."""
        mel, _ = self.mel(text, style=style, rate=rate, expressivity=expressivity)
        return self.vocode(mel)

    def speak(
        self, text: str, *, style: str | None = None, rate: float = 1.0
    ) -> Iterator[SpokenSentence]:
        """Synthesize ``text`` in pieces of about half a second, so playback starts while the
        rest of the sentence is still being made; each sentence's last piece is ``final``."""
        self.style_id(style)  # a bad style fails before any audio
        for sentence in utterances(text):
            mel, _ = self.mel(sentence, style=style, rate=rate)
            done = 0  # frames yielded: each piece is yielded as soon as it is made
            for piece in self.vocode_chunks(mel):
                done += len(piece) // self.hop
                yield SpokenSentence(sentence, piece, self.sample_rate, final=done >= mel.shape[1])
