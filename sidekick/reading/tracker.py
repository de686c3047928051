"""Follow a child reading a page, from a recognizer's (partial) hypotheses.

First version of the reading check: words are marked read as soon as the recognizer hears
them in order; a reader may skip ahead (confirmed by the next word too), repeat words or
insert words without penalty; a word is never un-marked. When the stuck-word timer
(:mod:`sidekick.reading.stuck_word`) says the reader is stuck, the current word is handed to
Sidekick to say (``assisted``) and the reader moves on. Asking for a word always works.

A word heard as its accent variant ("hot" for "hat" in British English, "fing" for "thing")
lights up: following is not judging (the check decides at the page's end whether it was
read). No word is handed over on the final hypothesis: the audio has ended, and nobody is
there to help.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sidekick.listening.base import Hypothesis
from sidekick.reading.stuck_word import StuckWordTimer
from sidekick.words import same_word
from sidekick.words.variants import accent_pair

LOOKAHEAD = 4  # how many words a reader may skip in one go and still be followed


@dataclass
class Progress:
    """What changed with one update."""

    read: list[int] = field(default_factory=list)  # word indexes newly read by the child
    stuck: int | None = None  # word index the child is stuck on (Sidekick should say it)


class ReadingTracker:
    def __init__(self, expected: list[str], stall_s: float = 3.0, first_word_grace_s: float = 2.0):
        self.expected = expected
        self.timer = StuckWordTimer(stall_s, first_word_grace_s)
        self.read: set[int] = set()
        self.assisted: set[int] = set()
        self.read_at: dict[int, float] = {}

    @property
    def position(self) -> int:
        """Index of the next word to read (len(expected) when the page is done)."""
        return max(self.read | self.assisted, default=-1) + 1

    @property
    def finished(self) -> bool:
        return self.position >= len(self.expected)

    @staticmethod
    def _matches(heard: str, written: str) -> bool:
        return same_word(heard, written) or bool(heard and accent_pair(heard, written))

    def _align(self, heard: list[str]) -> list[int]:
        """Indexes of expected words matched by the heard words, walking forward only."""
        n = len(self.expected)
        done = self.read | self.assisted
        matched: list[int] = []
        pos = 0
        for h, word in enumerate(heard):
            nxt = heard[h + 1] if h + 1 < len(heard) else None
            skipped = 0
            j = pos
            while j < n and skipped <= LOOKAHEAD:
                if self._matches(word, self.expected[j]):
                    confirmed = (
                        skipped == 0
                        or (
                            nxt is not None
                            and j + 1 < n
                            and self._matches(nxt, self.expected[j + 1])
                        )
                        or j == n - 1
                    )
                    if confirmed:
                        matched.append(j)
                        pos = j + 1
                    break
                if j not in done:  # stepping over words already read/assisted is free
                    skipped += 1
                j += 1
        return matched

    def update(self, hyp: Hypothesis, t: float) -> Progress:
        """Take the latest hypothesis for this page at audio time ``t`` (seconds). A final
        hypothesis (the audio has ended) lights words but hands none over."""
        progress = Progress()
        for j in self._align([w.word for w in hyp.words]):
            if j not in self.read and j not in self.assisted:
                self.read.add(j)
                self.read_at[j] = t
                progress.read.append(j)
        if progress.read:
            self.timer.read(t)
        elif not hyp.final and not self.finished and self.timer.stuck(t, not self.read):
            progress.stuck = self.position
            self.assisted.add(self.position)
        return progress

    def help_current(self, t: float) -> int | None:
        """The reader asked for the current word: mark it assisted and return it."""
        if self.finished:
            return None
        j = self.position
        self.assisted.add(j)
        self.timer.helped(t)
        return j
