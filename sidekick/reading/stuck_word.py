"""The stuck-word timer: when a reader makes no progress for ``stall_s`` seconds of audio
(plus a grace before the page's first word), the word they are on is handed to Sidekick to
say. After :data:`MAX_UNANSWERED_HELPS` such words with none read since, it waits until the
reader reads one: a silent turn does not have Sidekick read the whole page aloud.

The time is the audio's (seconds heard so far), not the wall clock's: a paused or slow
computer does not make a reader look stuck. :class:`~sidekick.reading.tracker.ReadingTracker`
runs it; :mod:`sidekick.turns.word_help` says the word.
"""

from __future__ import annotations

MAX_UNANSWERED_HELPS = 2  # words said for a stalled reader in a row, with nothing read


class StuckWordTimer:
    def __init__(self, stall_s: float = 3.0, first_word_grace_s: float = 2.0) -> None:
        self.stall_s = stall_s
        self.first_word_grace_s = first_word_grace_s
        self._last_progress_t = 0.0
        self._unanswered = 0  # words said on stalls since the reader last read one

    def read(self, t: float) -> None:
        """The reader read a word at audio time ``t``."""
        self._last_progress_t = t
        self._unanswered = 0

    def helped(self, t: float) -> None:
        """The reader asked for the word at ``t``: the wait for the next one starts again."""
        self._last_progress_t = t

    def stuck(self, t: float, nothing_read: bool) -> bool:
        """Whether the reader, with no progress up to ``t`` (with the grace while nothing on
        the page is read yet), is stuck: then the word counts as said and the wait starts
        again."""
        if self._unanswered >= MAX_UNANSWERED_HELPS:
            return False
        wait = self.stall_s + (self.first_word_grace_s if nothing_read else 0.0)
        if t - self._last_progress_t < wait:
            return False
        self._last_progress_t = t
        self._unanswered += 1
        return True
