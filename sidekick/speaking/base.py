"""The speaking interface: text in, audio out sentence by sentence (so playback starts early).

The sentences are the app's own (:mod:`sidekick.words.sentences`), the same a book's page
is cut into, bounded for synthesis by :func:`utterances`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from sidekick.words import MAX_WORD_CHARS
from sidekick.words.sentences import sentence_spans

#: Bounds on the text handed to synthesis: a run of characters longer than a word may be
#: (a "word" of 100,000 letters) is not spoken, letter by letter or otherwise, and a
#: sentence is synthesized in utterances of at most this many characters.
MAX_SPOKEN_RUN = MAX_WORD_CHARS
MAX_UTTERANCE_CHARS = 400

_LONG_RUN = re.compile(rf"\S{{{MAX_SPOKEN_RUN + 1},}}")


def utterances(text: str) -> list[str]:
    """The sentences of ``text`` as a voice speaks them, one by one: white space folded, a
    run of characters longer than :data:`MAX_SPOKEN_RUN` left out, and a sentence longer
    than :data:`MAX_UTTERANCE_CHARS` cut between words."""
    text = _LONG_RUN.sub(" ", text)
    out = []
    for start, end in sentence_spans(text):
        sentence = " ".join(text[start:end].split())
        while len(sentence) > MAX_UTTERANCE_CHARS:
            cut = sentence.rfind(" ", 0, MAX_UTTERANCE_CHARS + 1)
            cut = cut if cut > 0 else MAX_UTTERANCE_CHARS
            out.append(sentence[:cut].strip())
            sentence = sentence[cut:].strip()
        if sentence:
            out.append(sentence)
    return out


@dataclass(frozen=True)
class SpokenSentence:
    text: str
    audio: np.ndarray  # float32 mono in [-1, 1]
    sample_rate: int
    final: bool = True  # the sentence's last piece (a streaming voice yields several)


class Voice(Protocol):
    name: str
    sample_rate: int
    styles: tuple[str, ...]  # e.g. ("neutral",) or ("storytelling", "neutral")
    # The style the app reads the story in, and the one it talks to the child in (a word
    # said for a stuck reader, practice); None: the voice's default.
    narration_style: str | None
    instruction_style: str | None

    def speak(
        self, text: str, *, style: str | None = None, rate: float = 1.0
    ) -> Iterator[SpokenSentence]:
        """Synthesize ``text``, yielding each sentence (or, for a streaming voice, each piece
        of a sentence, the last with ``final`` set) as soon as it is ready.

        ``rate`` > 1 speaks faster, < 1 slower. ``style`` None means the voice's default.
        """
