"""Events the turn loop emits. The UI turns them into Textual messages; headless mode
prints them as JSON lines. Times ``t`` are seconds of audio since the turn started."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Reader = Literal["child", "sidekick"]


@dataclass(frozen=True)
class Event:
    def to_json(self) -> dict:
        return {"event": EVENT_NAMES[type(self)], **asdict(self)}


@dataclass(frozen=True)
class Notice(Event):
    """Something the user should know, e.g. which engine is in use or a missing device."""

    text: str


@dataclass(frozen=True)
class SessionStart(Event):
    """The session is ready: what it reads with, and who reads which page."""

    title: str
    engine: str  # the recognizer in use ("none" when no page is the child's)
    voice: str
    plan: list[Reader]  # who reads each page, from the start page on
    #: True when Sidekick cannot be heard (no speaker): the UI shows helped words large.
    silent: bool = False


@dataclass(frozen=True)
class TurnStart(Event):
    turn: int
    reader: Reader
    page: int  # page number, from 1


@dataclass(frozen=True)
class WordRead(Event):
    """The child read word ``index`` of the page (the UI lights it up)."""

    page: int
    index: int
    word: str
    t: float


@dataclass(frozen=True)
class CurrentWord(Event):
    """Where the reader is now: the next word to be read (child) or being read (Sidekick)."""

    page: int
    index: int


@dataclass(frozen=True)
class StuckWordHelped(Event):
    """The child stalled on word ``index``; Sidekick said it."""

    page: int
    index: int
    word: str
    t: float


@dataclass(frozen=True)
class SpeechWritten(Event):
    """Sidekick's speech went to a WAV file (headless or file output)."""

    path: str


@dataclass(frozen=True)
class ReadingChecked(Event):
    """The reading check of a child's turn (the same scoring as ``sidekick assess``)."""

    turn: int
    page: int
    summary: dict  # wcpm, accuracy, words_correct, errors, duration_s, band
    words: list[dict]  # one per page word: index, word, status, heard, start, end, hesitation_s
    insertions: list[dict]
    repetitions: list[dict]


@dataclass(frozen=True)
class Praise(Event):
    text: str


@dataclass(frozen=True)
class TurnEnd(Event):
    turn: int
    reader: Reader
    page: int
    words_read: int
    words_total: int
    assisted: int
    duration_s: float


@dataclass(frozen=True)
class PageDone(Event):
    page: int


@dataclass(frozen=True)
class BookDone(Event):
    title: str


EVENT_NAMES: dict[type, str] = {
    Notice: "notice",
    SessionStart: "session_start",
    TurnStart: "turn_start",
    WordRead: "word_read",
    CurrentWord: "current_word",
    StuckWordHelped: "stuck_word_helped",
    SpeechWritten: "speech_written",
    ReadingChecked: "reading_checked",
    Praise: "praise",
    TurnEnd: "turn_end",
    PageDone: "page_done",
    BookDone: "book_done",
}
