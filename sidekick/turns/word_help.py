"""Sidekick says a word for the child: the word the stuck-word timer handed over
(:mod:`sidekick.reading.stuck_word`), or the one the child asked for (the help key)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np

from sidekick.books.model import Page
from sidekick.speaking.base import Voice
from sidekick.turns import events as ev
from sidekick.turns.speaker import Speaker


class WordHelp:
    """Says words in the instruction style of ``voice`` (set once it is loaded) on
    ``speaker``, beside the listening loop."""

    def __init__(self, speaker: Speaker, emit: Callable[[ev.Event], None]) -> None:
        self.voice: Voice | None = None
        self.speaker = speaker
        self._emit = emit
        self._threads: list[threading.Thread] = []

    def say(self, page: Page, index: int | None, t: float) -> None:
        """Say word ``index`` of ``page`` (None: nothing to say), ``t`` s into the turn."""
        if index is None:
            return
        word = page.words[index]
        self._emit(ev.StuckWordHelped(page.number, index, word.text, round(t, 2)))
        assert self.voice is not None
        voice = self.voice
        spoken = voice.speak(word.text, style=voice.instruction_style, rate=0.9)
        audio = np.concatenate([s.audio for s in spoken])
        # Played beside the listening loop, so the child's audio keeps flowing meanwhile.
        thread = threading.Thread(target=self.speaker.play, args=(audio, voice.sample_rate))
        thread.start()
        self._threads.append(thread)

    def wait(self) -> None:
        """Until every word said has played."""
        for thread in self._threads:
            thread.join()
