"""Word alignment of a transcript to audio with pocketsphinx (forced alignment).

``set_align_text`` restricts the search to the transcript's words in order with optional
silences between them; the word segments come back with 10 ms frame times. Words missing
from the CMU dictionary get a pronunciation from espeak-ng (bundled with piper-tts) mapped
to ARPABET. An utterance is *unalignable* when the decoder finds no path through the text,
or when too few of its words come back.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

FRAME_S = 0.01
ALIGN_RATE = 16_000
_ALT = re.compile(r"\(\d+\)$")
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)*")


class AlignError(RuntimeError):
    """The recognizer or its model cannot be loaded."""


@dataclass
class Word:
    word: str
    start: float  # seconds
    end: float


def model_dir() -> Path:
    try:
        import pocketsphinx
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise AlignError("pocketsphinx is not installed: pip install pocketsphinx") from exc
    return Path(pocketsphinx.get_model_path("en-us"))


def transcript_words(text: str) -> list[str]:
    """Lower-case words of a transcript ("Tick-tock!" -> ["tick", "tock"])."""
    text = unicodedata.normalize("NFKD", text).replace("’", "'").lower()
    return _WORD.findall(text)


@lru_cache(maxsize=1)
def cmudict() -> dict[str, str]:
    """word -> first ARPAbet pronunciation, from the app's shared CMU lexicon."""
    from sidekick.words.pronounce import lexicon

    return {w: " ".join(alts[0]) for w, alts in lexicon().prons.items() if alts}


def guess_pronunciation(word: str) -> str | None:
    """ARPAbet for a word missing from the dictionary, from espeak-ng's rules (the
    app's own guesser: sidekick.words.letter_to_sound)."""
    from sidekick.words.letter_to_sound import guess_pronunciation as guess

    return guess(word)


class Aligner:
    """One pocketsphinx decoder (en-us model, full dictionary) reused across utterances."""

    def __init__(self) -> None:
        from pocketsphinx import Config, Decoder

        model = model_dir()
        config = Config(
            hmm=str(model / "en-us"),
            dict=str(model / "cmudict-en-us.dict"),
            lm=None,
            loglevel="FATAL",
            samprate=ALIGN_RATE,
        )
        self.decoder = Decoder(config)
        self._added: set[str] = set()

    def _ensure_words(self, words: list[str]) -> list[str]:
        known = cmudict()
        usable = []
        for w in words:
            if w in known or w in self._added:
                usable.append(w)
                continue
            pron = guess_pronunciation(w)
            if pron:
                self.decoder.add_word(w, pron, True)
                self._added.add(w)
                usable.append(w)
        return usable

    def align(self, audio: np.ndarray, sr: int, text: str) -> list[Word] | None:
        """Word times for ``text`` in ``audio``; None when no alignment exists."""
        words = self._ensure_words(transcript_words(text))
        if not words:
            return None
        pcm = _to_pcm16(audio, sr)
        try:
            self.decoder.set_align_text(" ".join(words))
            self.decoder.start_utt()
            self.decoder.process_raw(pcm, full_utt=True)
            self.decoder.end_utt()
        except RuntimeError:
            return None
        if self.decoder.hyp() is None:
            return None
        out = []
        for seg in self.decoder.seg():
            w = _ALT.sub("", seg.word)
            if w.startswith("<") or w.startswith("[") or w == "(NULL)":
                continue
            out.append(Word(w, seg.start_frame * FRAME_S, (seg.end_frame + 1) * FRAME_S))
        return out or None


def _to_pcm16(audio: np.ndarray, sr: int) -> bytes:
    import soxr

    if sr != ALIGN_RATE:
        audio = soxr.resample(np.asarray(audio, np.float32), sr, ALIGN_RATE, quality="HQ")
    return (np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes()
