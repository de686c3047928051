"""Sidekick's reading of a page, synthesized on a producer thread: sentence n+1 is made
while sentence n plays, and the page Sidekick reads next is started during the turn before
it, so its first words play as soon as its turn starts."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator

from sidekick.books.model import Page
from sidekick.settings import Settings
from sidekick.speaking.base import SpokenSentence, Voice


class PageSpeech:
    """A page's speech as it is made on a producer thread: (first word index, piece) pairs.
    :meth:`close` (or leaving a ``with`` block) tells the producer to stop."""

    def __init__(
        self, out: queue.Queue, abandoned: threading.Event, producer: threading.Thread
    ) -> None:
        self._out = out
        self._abandoned = abandoned
        self.producer = producer

    def __iter__(self) -> Iterator[tuple[int, SpokenSentence]]:
        while (item := self._out.get()) is not None:
            yield item

    def close(self) -> None:
        self._abandoned.set()

    def __enter__(self) -> PageSpeech:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SpeechAhead:
    """The speech of the pages Sidekick reads in a session, in ``voice`` (set once it is
    loaded) at the settings' rate; every producer stops when ``stopped`` is set or at
    :meth:`close`."""

    def __init__(self, settings: Settings, stopped: threading.Event) -> None:
        self.voice: Voice | None = None
        self.settings = settings
        self._stopped = stopped
        #: Speech being made for the next page Sidekick reads (page number -> its pieces).
        self._ahead: dict[int, PageSpeech] = {}
        self._made: list[PageSpeech] = []  # all made so far whose producer may still run

    def speak_ahead(self, page: Page) -> None:
        """Start making the speech of ``page`` (Sidekick reads it next) while the current
        turn goes on."""
        if page.number not in self._ahead:
            self._ahead[page.number] = self._start(page)

    def page(self, page: Page) -> PageSpeech:
        """The page's speech, piece by piece: the one made ahead, else started now."""
        return self._ahead.pop(page.number, None) or self._start(page)

    def close(self) -> None:
        """Stop every producer (one still in the voice aborts) and wait for them."""
        for speech in self._made:
            speech.close()
        for speech in self._made:
            speech.producer.join(timeout=10)

    def _start(self, page: Page) -> PageSpeech:
        """Synthesize in a thread, starting now. When the consumer stops early (the turn
        ended) or the session stops, the producer exits."""
        assert self.voice is not None
        voice = self.voice
        out: queue.Queue = queue.Queue(maxsize=4)
        abandoned = threading.Event()

        def put(item: tuple[int, SpokenSentence] | None) -> bool:
            while not abandoned.is_set():
                try:
                    out.put(item, timeout=0.1)
                    return True
                except queue.Full:
                    pass
            return False

        def produce() -> None:
            try:
                for sentence in page.sentences:
                    if self._stopped.is_set() or abandoned.is_set():
                        break
                    first = sentence.words[0].index if sentence.words else 0
                    for spoken in voice.speak(
                        sentence.text, style=voice.narration_style,
                        rate=self.settings.rate,
                    ):  # fmt: skip
                        if not put((first, spoken)):
                            return
            finally:
                put(None)

        producer = threading.Thread(target=produce, daemon=True)
        producer.start()
        speech = PageSpeech(out, abandoned, producer)
        self._made = [*(sp for sp in self._made if sp.producer.is_alive()), speech]
        return speech
