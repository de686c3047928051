"""The listening interface: 16 kHz mono int16 PCM in, word hypotheses out.

Engines (Vosk, pocketsphinx) implement :class:`Listener`. Nothing here imports Textual.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from sidekick.audio.base import SAMPLE_RATE as SAMPLE_RATE  # the rate listeners take


@dataclass(frozen=True)
class HeardWord:
    word: str  # lower case, as the engine spelled it
    start: float | None = None  # seconds from the start of the utterance, when known
    end: float | None = None
    conf: float | None = None


@dataclass(frozen=True)
class Hypothesis:
    words: tuple[HeardWord, ...]
    final: bool = False

    @property
    def text(self) -> str:
        return " ".join(w.word for w in self.words)


@dataclass(frozen=True)
class Stretch:
    """A short stretch of a page's audio to decide again: was the ``written`` word read
    there, or what was ``heard`` (``None``: nothing was heard there)? ``before`` and
    ``after``: the neighbouring words, when the stretch may hold them."""

    pcm: bytes
    written: str
    heard: str | None
    before: str | None = None
    after: str | None = None

    def even_pcm(self) -> bytes:
        """The audio in whole 16-bit samples."""
        return bytes(self.pcm[: len(self.pcm) - len(self.pcm) % 2])


class Listener(Protocol):
    """A streaming recognizer for one page at a time."""

    #: Shown to the user, e.g. "Vosk (vosk-model-small-en-us-0.15)" or "pocketsphinx".
    name: str

    def start(
        self, expected_words: list[str], misreadings: Mapping[str, Sequence[str]] | None = None
    ) -> None:
        """Begin an utterance, restricting recognition to this page's words (plus unknowns).

        ``misreadings``: page word -> likely misreadings of it ("horse": ["house", ...]), so
        a miscue can be heard as what it is instead of being forced onto a page word.
        """

    def accept(self, pcm: bytes) -> Hypothesis:
        """Feed a chunk of 16 kHz int16 PCM; return the current (partial) hypothesis."""

    def finish(self) -> Hypothesis:
        """End the utterance; return the final hypothesis with word times where available."""

    def quiet(self) -> bool:
        """Whether the last utterance was recorded in quiet, by the listener's own
        estimate (False where it cannot tell)."""

    def new_reader(self) -> None:
        """Someone else reads from now on: forget what was learnt of the last reader's voice
        (a listener may adapt to a reader over their pages)."""

    def second_look(self, stretch: Stretch) -> bool:
        """Re-decide a short stretch of audio between the written word and what was heard;
        True if the written word explains it better."""
