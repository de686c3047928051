"""The speaking interface: text in, audio out sentence by sentence (so playback starts early)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class SpokenSentence:
    text: str
    audio: np.ndarray  # float32 mono in [-1, 1]
    sample_rate: int


class Voice(Protocol):
    name: str
    sample_rate: int
    styles: tuple[str, ...]  # e.g. ("neutral",) or ("storytelling", "neutral")

    def speak(
        self, text: str, *, style: str | None = None, rate: float = 1.0
    ) -> Iterator[SpokenSentence]:
        """Synthesize ``text``, yielding each sentence as soon as it is ready.

        ``rate`` > 1 speaks faster, < 1 slower. ``style`` None means the voice's default.
        """
