"""UI test helpers: hand-built books, a scripted session that emits real events, and pilot
utilities.

:class:`ScriptedSession` emits a list of REAL event objects (``sidekick.turns.events``) exactly
as ``ReadingSession`` does (from a worker thread, through ``on_event``) but does no listening or
speaking: tests that use it check how the UI shows events, not recognition.
"""

from __future__ import annotations

import asyncio
import functools
import queue
import re
import threading
import time
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from sidekick.books.model import Book, Page, Sentence, Word
from sidekick.settings import Settings
from sidekick.turns.events import (
    CurrentWord,
    Event,
    Notice,
    Reader,
    StuckWordHelped,
    TurnStart,
    WordRead,
)
from sidekick.ui.app import SidekickApp
from sidekick.ui.screens.reader import ReaderScreen

SIZE = (100, 30)


def pilot_test(fn: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async pilot test with asyncio.run (no async pytest plugin needed)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(fn(*args, **kwargs))

    return wrapper


VOICES = ["standard", "storyteller"]


# -- hand-built books ------------------------------------------------------------------------
def make_page(number: int, text: str) -> Page:
    """A Page with sentences split at . ! ? and words at letters/apostrophes."""
    sentences = []
    index = 0
    for sm in re.finditer(r"[^.!?]+[.!?]*", text):
        if not sm.group().strip():
            continue
        words = []
        for wm in re.finditer(r"[A-Za-z0-9']+", sm.group()):
            start = sm.start() + wm.start()
            words.append(
                Word(wm.group(), wm.group().lower(), start, start + len(wm.group()), index)
            )
            index += 1
        start = sm.start() + len(sm.group()) - len(sm.group().lstrip())
        sentences.append(Sentence(sm.group().strip(), start, sm.end(), tuple(words)))
    return Page(number, text, tuple(sentences))


def make_book(title: str, pages: list[str], **kw) -> Book:
    return Book(title, [make_page(i + 1, t) for i, t in enumerate(pages)], **kw)


FOX = make_book(
    "The Fox and the Kite",
    [
        "A little fox found a red kite. The wind was strong!",
        "The kite went up and up. Fox held on tight.",
        "Down came the kite, right into the pond.",
        "Fox laughed and laughed. What a day!",
    ],
    author="Sidekick Team",
    level="early reader",
    bundled=True,
)
MOON = make_book(
    "Moon Soup",
    ["Grandma made soup from the moon.", "It tasted like silver and sleep."],
    level="grade 1",
)


def fixed_library() -> tuple[list[Book], list[str]]:
    return [FOX, MOON], ["broken.epub: not a valid EPUB file (bad zip)"]


# -- the scripted session ------------------------------------------------------------------
class ScriptedSession:
    """Stands in for ``ReadingSession`` in UI tests: no audio, no recognizer.

    ``run()`` (in the app's thread worker) emits the scripted events through ``on_event``,
    then any events the test ``feed()``s, until ``stop()``. Control calls are recorded.
    """

    def __init__(
        self,
        book: Book,
        settings: Settings,
        on_event: Callable[[Event], None],
        *,
        start_page: int = 1,
        events: Iterable[Event] = (),
        plan: list[Reader] | None = None,
    ) -> None:
        self.book = book
        self.settings = settings
        self.on_event = on_event
        self.start_page = start_page
        self.engine_name = "Vosk (test model)"
        self.voice_name = settings.voice
        self.calls: list[str] = []
        self.emitted = 0
        self._plan = plan or ["child", "sidekick"] * len(book.pages)
        self._queue: queue.Queue[Event] = queue.Queue()
        for event in events:
            self._queue.put(event)
        self._stopped = threading.Event()
        self._paused = False

    def feed(self, *events: Event) -> None:
        for event in events:
            self._queue.put(event)

    def run(self) -> None:
        deadline = time.monotonic() + 30  # never outlive a test
        while not self._stopped.is_set() and time.monotonic() < deadline:
            try:
                event = self._queue.get(timeout=0.02)
            except queue.Empty:
                continue
            self.on_event(event)
            self.emitted += 1

    def stop(self) -> None:
        self.calls.append("stop")
        self._stopped.set()

    def end_turn(self) -> None:
        self.calls.append("end_turn")

    def next_page(self) -> None:
        self.calls.append("next_page")

    def previous_page(self) -> None:
        self.calls.append("previous_page")

    def help_word(self) -> None:
        self.calls.append("help_word")

    def repeat(self) -> None:
        self.calls.append("repeat")

    def toggle_pause(self) -> bool:
        self.calls.append("toggle_pause")
        self._paused = not self._paused
        return self._paused

    def plan(self) -> list[Reader]:
        return self._plan[: len(self.book.pages) - self.start_page + 1]


class ScriptedFactory:
    """``session_factory`` for the app: makes ScriptedSessions and keeps them for asserts."""

    def __init__(self, events: Iterable[Event] = ()) -> None:
        self.events = list(events)
        self.sessions: list[ScriptedSession] = []

    def __call__(self, book, settings, on_event, *, start_page=1) -> ScriptedSession:
        session = ScriptedSession(
            book, settings, on_event, start_page=start_page, events=self.events
        )
        self.sessions.append(session)
        return session


def make_app(
    *, book: Book | None = None, events: Iterable[Event] = (), settings: Settings | None = None
) -> tuple[SidekickApp, ScriptedFactory]:
    factory = ScriptedFactory(events)
    app = SidekickApp(
        settings or Settings(),
        book=book,
        session_factory=factory,
        voices=VOICES,
        list_books=fixed_library,
    )
    return app, factory


async def wait_for(pilot: Pilot, condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Let the app process messages until ``condition()`` holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the UI")
        await pilot.pause(0.01)
    await pilot.pause()


def reader_of(app: SidekickApp) -> ReaderScreen:
    assert isinstance(app.screen, ReaderScreen)
    return app.screen


def emitted_all(factory: ScriptedFactory, n: int) -> Callable[[], bool]:
    return lambda: bool(factory.sessions) and factory.sessions[-1].emitted >= n


def footer_keys(app: SidekickApp) -> set[str]:
    """The keys the footer shows now (bindings whose check_action allows them)."""
    return {
        key
        for key, active in app.screen.active_bindings.items()
        if active.binding.show and active.enabled
    }


def text_of(app: SidekickApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


# Page 1, child's turn: "A little fox found a red kite. The wind was strong!"


#: Every screen at the smallest usable terminal and at a comfortable one.
SCREEN_SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


# Page 1, child's turn: "A little fox found a red kite. The wind was strong!"
#                        0 1      2   3     4 5   6     7   8    9   10
MID_TURN = [
    Notice("No microphone found: using file audio. Press Enter when the page is read."),
    TurnStart(1, "child", 1),
    CurrentWord(1, 0),
    WordRead(1, 0, "A", 0.4),
    WordRead(1, 1, "little", 0.8),
    WordRead(1, 2, "fox", 1.1),
    StuckWordHelped(1, 3, "found", 4.2),
    WordRead(1, 4, "a", 4.9),
    WordRead(1, 5, "red", 5.2),
    CurrentWord(1, 6),
]


#: What a new user sees on a computer with no microphone, no Vosk model and no speaker.
ALL_NOTICES = [
    Notice("No microphone found on this computer. Press Enter when the page is read, or "
           "choose file audio in Settings."),
    Notice("Listening with pocketsphinx. For better listening install the English model: "
           "sidekick models install"),
    Notice("No speaker found on this computer: Sidekick's reading is shown on screen."),
]  # fmt: skip
