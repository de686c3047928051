"""Recorded readings checked with a real recognizer: what ``sidekick assess`` and the
evaluation run. The recognizer is loaded once and keeps what it learnt of a reader across
their pages."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sidekick.reading.accents import ReaderAccent
from sidekick.reading.assess import check_reading, listen_words
from sidekick.reading.result import Assessment


class Assessor:
    """Assess recorded readings with a real recognizer (loaded once, reused per clip).

    The recognizer hears the page's words plus likely misreadings of them, decodes the
    whole clip, and every word it would call an error gets a second look on its own stretch
    of audio before it is scored.
    """

    def __init__(
        self, engine: str | None = None, vosk_model: str | None = None, stall_s: float = 3.0
    ) -> None:
        from sidekick.listening import create_listener

        self.listener, self.notice = create_listener(engine, vosk_model)
        self.stall_s = stall_s
        self._reader: str | None = None
        self.accent = ReaderAccent()  # the reader's accent features shown so far

    @property
    def engine_name(self) -> str:
        return self.listener.name

    def assess_pcm(
        self, expected: Sequence[str], pcm: bytes, chunk_bytes: int = 3200,
        reader: str | None = None,
    ) -> Assessment:  # fmt: skip
        """Score 16 kHz mono int16 ``pcm`` as a reading of ``expected``. Without a
        ``reader``, or with another one than last time, the reading is by someone new.

        A recording with no reading in it (too short, silent, a steady noise, or no word
        heard) raises :class:`~sidekick.reading.degenerate.NoReadingError`: it is not
        scored."""
        from sidekick.reading.degenerate import check_for_reading

        check_for_reading(pcm)
        if reader is None or reader != self._reader:
            self.listener.new_reader()
            self.accent = ReaderAccent()
        self._reader = reader
        self.listener.start(*listen_words(expected))
        for i in range(0, len(pcm), chunk_bytes):
            self.listener.accept(pcm[i : i + chunk_bytes])
        heard = self.listener.finish().words
        check_for_reading(pcm, words_heard=len(heard))
        return check_reading(
            self.listener, expected, heard, pcm, stall_s=self.stall_s, accent=self.accent
        )

    def assess_wav(self, text: str, wav: Path, reader: str | None = None) -> dict:
        """The JSON result for a WAV reading of ``text`` (any rate; resampled to 16 kHz)."""
        from sidekick.audio.sources import WavFileSource
        from sidekick.books.parse import parse_book_text

        words = [w.text for p in parse_book_text(text, name="text").pages for w in p.words]
        pcm = b"".join(WavFileSource(Path(wav), realtime=False).chunks())
        return self.assess_pcm(words, pcm, reader=reader).to_json()
