"""UI tests for the Textual app: navigation, settings, live highlighting, snapshots.

These are widget-level tests. The reader is driven by :class:`ScriptedSession`, which emits
a list of REAL event objects (``sidekick.turns.events``) exactly as ``ReadingSession`` does
(from a worker thread, through ``on_event``) but does no listening or speaking: it checks
how the UI shows events, not recognition. The end-to-end test with the real session and
WAV audio lives elsewhere. The scripted session and the hand-built books are in
:mod:`tests.helpers.ui`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, RadioSet, Select, Static

from sidekick.errors import SidekickError
from sidekick.settings import Settings, Share
from sidekick.turns.events import (
    BookDone,
    CurrentWord,
    PageDone,
    Praise,
    TurnEnd,
    TurnStart,
    WordRead,
)
from sidekick.ui.app import SidekickApp
from sidekick.ui.screens.library import LibraryScreen
from sidekick.ui.screens.reader import ReaderScreen
from sidekick.ui.screens.settings import SettingsScreen
from sidekick.ui.widgets.turn_banner import CHILD_TURN, SIDEKICK_TURN
from tests.helpers.ui import (
    ALL_NOTICES,
    FOX,
    MID_TURN,
    MOON,
    SCREEN_SIZES,
    SIZE,
    VOICES,
    ScriptedFactory,
    ScriptedSession,
    emitted_all,
    fixed_library,
    footer_keys,
    make_app,
    pilot_test,
    reader_of,
    text_of,
    wait_for,
)


# -- library ---------------------------------------------------------------------------------
@pilot_test
async def test_library_lists_books_and_problems() -> None:
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, LibraryScreen)
        table = screen.query_one("#books", DataTable)
        await wait_for(pilot, lambda: table.row_count == 2)
        first = table.get_row_at(0)
        assert first[0] == "The Fox and the Kite — Sidekick Team"
        assert first[1:5] == ["early reader", "K–1", "4", str(FOX.word_count)]
        assert table.get_row_at(1)[0] == "Moon Soup"
        assert "broken.epub: not a valid EPUB file" in text_of(app, "#problems")


@pilot_test
async def test_library_without_books_says_where_to_put_them() -> None:
    app = SidekickApp(Settings(), voices=VOICES, list_books=lambda: ([], []))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "No books found" in text_of(app, "#library-status"))
        await pilot.press("enter")  # nothing to open: stays on the library
        assert isinstance(app.screen, LibraryScreen)


@pilot_test
async def test_library_enter_opens_reader_and_escape_returns() -> None:
    app, factory = make_app()
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one("#books", DataTable)
        await wait_for(pilot, lambda: table.row_count == 2)
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReaderScreen))
        reader = reader_of(app)
        assert reader.book is MOON
        assert factory.sessions[0].book is MOON
        assert factory.sessions[0].settings is app.settings
        assert reader.page_view.page is MOON.pages[0]
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, LibraryScreen))
        assert factory.sessions[0].calls[-1] == "stop"


@pilot_test
async def test_app_with_book_opens_reader_directly() -> None:
    app, factory = make_app(book=FOX)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: bool(factory.sessions))
        reader = reader_of(app)
        assert reader.book is FOX
        assert reader.plan_bar.readers == {1: "child", 2: "sidekick", 3: "child", 4: "sidekick"}
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, LibraryScreen))


# -- reader ----------------------------------------------------------------------------------
@pilot_test
async def test_reader_highlights_scripted_events() -> None:
    app, factory = make_app(book=FOX, events=MID_TURN)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, emitted_all(factory, len(MID_TURN)))
        reader = reader_of(app)
        view = reader.page_view
        assert view.words("read") == ["A", "little", "fox", "a", "red"]
        assert view.words("helped") == ["found"]
        assert view.words("current") == ["kite"]
        assert reader.banner.message == CHILD_TURN
        assert reader.banner.page_text == "Page 1 of 4"
        assert "No microphone found" in text_of(app, "#notices")
        assert "Vosk (test model)" in text_of(app, "#engine")

        # The styles cover exactly the written characters of each marked word.
        text = view.styled_text()
        page = FOX.pages[0]
        spans = {(s.start, s.end): s.style for s in text.spans}
        for w in page.words:
            if w.index in {0, 1, 2, 3, 4, 5, 6}:
                assert (w.start, w.end) in spans, w.text
            else:
                assert (w.start, w.end) not in spans, w.text
        assert (
            spans[(page.words[3].start, page.words[3].end)]
            != spans[(page.words[0].start, page.words[0].end)]
        )  # helped looks different from read
        assert spans[(page.words[6].start, page.words[6].end)].reverse

        session = factory.sessions[0]
        session.feed(
            WordRead(1, 6, "kite", 6.0),
            *[WordRead(1, i, page.words[i].text, 7.0) for i in range(7, 11)],
            Praise("Great reading! You read “strong” all by yourself."),
            TurnEnd(1, "child", 1, 11, 11, 1, 8.0),
        )
        await wait_for(pilot, emitted_all(factory, len(MID_TURN) + 7))
        assert len(view.words("read")) == 10  # "found" stays marked as helped
        assert view.words("current") == []
        assert reader.banner.message == "Page done: 11 of 11 words read."
        assert "Great reading!" in text_of(app, "#praise")

        session.feed(PageDone(1), TurnStart(2, "sidekick", 2), CurrentWord(2, 0), CurrentWord(2, 6))
        await wait_for(pilot, emitted_all(factory, len(MID_TURN) + 11))
        assert view.page is FOX.pages[1]
        assert view.words("read") == []
        assert view.words("spoken") == ["The", "kite", "went", "up", "and", "up"]
        assert view.words("reading") == ["Fox", "held", "on", "tight"]
        assert view.words("current") == ["Fox"]
        assert reader.banner.message == SIDEKICK_TURN
        assert reader.banner.page_text == "Page 2 of 4"
        assert reader.plan_bar.done == {1}
        assert reader.plan_bar.current == 2
        assert "Great reading!" in text_of(app, "#praise")  # praise stays during Sidekick's turn

        session.feed(BookDone(FOX.title))
        await wait_for(pilot, emitted_all(factory, len(MID_TURN) + 12))
        assert reader.banner.state == "done"
        assert "The end" in reader.banner.message


@pilot_test
async def test_reader_keys_call_the_session() -> None:
    app, factory = make_app(book=FOX, events=MID_TURN[:3])
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, emitted_all(factory, 3))
        reader = reader_of(app)
        session = factory.sessions[0]
        await pilot.press("space")
        assert reader.banner.state == "paused"
        await pilot.press("space")
        assert reader.banner.message == CHILD_TURN
        # In the child's turn "Read again" cannot work (Sidekick reads its own pages again):
        # it is hidden and does nothing; "back a page" on page 1 likewise.
        await pilot.press("r", "b", "w", "n", "enter")
        assert session.calls == [
            "toggle_pause", "toggle_pause", "help_word", "next_page", "next_page"
        ]  # fmt: skip
        assert footer_keys(app) == {"space", "n", "w", "x", "escape"}
        session.feed(TurnStart(2, "sidekick", 2))
        await wait_for(pilot, emitted_all(factory, 4))
        assert footer_keys(app) == {"space", "r", "b", "n", "x", "escape"}
        await pilot.press("r", "b", "w")
        assert session.calls[5:] == ["repeat", "previous_page"]


@pilot_test
async def test_reader_shows_session_errors() -> None:
    class Broken(ScriptedSession):
        def run(self) -> None:
            raise SidekickError("No Vosk model found: run `sidekick models` to install one.")

    app = SidekickApp(Settings(), book=MOON, session_factory=Broken, voices=VOICES,
                      list_books=fixed_library)  # fmt: skip
    async with app.run_test(size=SIZE) as pilot:
        reader = reader_of(app)
        await wait_for(pilot, lambda: not reader.running)
        assert reader.banner.state == "error"
        assert "No Vosk model found" in text_of(app, "#notices")
        await pilot.press("n")  # the session is over: keys do nothing, no crash


# -- settings --------------------------------------------------------------------------------
@pilot_test
async def test_settings_saved_into_settings(tmp_path: Path) -> None:
    settings = Settings(voice="standard")
    app, _ = make_app(settings=settings)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, SettingsScreen))
        screen = app.screen
        assert screen.focused is screen.query_one("#share", RadioSet)
        await pilot.press("left", "left", "enter")  # Take turns -> A little
        assert "then Sidekick reads two" in str(screen.query_one("#share-help", Static).render())
        await pilot.press("tab", "backspace", "5")  # stall 3 -> 5
        await pilot.press("tab", "enter", "down", "enter")  # voice -> storyteller
        await pilot.press("tab", "backspace", "backspace", "backspace", "0", ".", "8")
        await pilot.pause()
        screen.query_one("#output-mode", Select).value = "folder"
        await pilot.pause()
        screen.query_one("#output-path", Input).value = str(tmp_path)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, LibraryScreen))
    assert settings.share is Share.A_LITTLE
    assert settings.stall_s == 5.0
    assert settings.voice == "storyteller"
    assert settings.rate == 0.8
    assert settings.child_audio == "mic"
    assert settings.speech_out == str(tmp_path)


@pilot_test
async def test_settings_rejects_bad_values() -> None:
    settings = Settings()
    app, _ = make_app(settings=settings)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, SettingsScreen))
        screen = app.screen
        await pilot.press("tab", "backspace", "4", "2")  # 42 seconds: out of range
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, SettingsScreen)
        assert "from 1 to 10" in str(screen.query_one("#settings-error", Static).render())
        screen.query_one("#stall", Input).value = "2"
        screen.query_one("#input-mode", Select).value = "file"
        await pilot.pause()
        screen.query_one("#input-path", Input).value = "/no/such/child.wav"
        await pilot.press("ctrl+s")
        assert "no WAV file or folder" in str(screen.query_one("#settings-error", Static).render())
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, LibraryScreen))
    assert settings == Settings()


def test_settings_lists_only_available_voices() -> None:
    screen = SettingsScreen(Settings(voice="storyteller"), ["standard"])
    assert screen.voices == ["standard"]
    app = SidekickApp(Settings(), voices=lambda: ["standard", "storyteller"])
    assert app.voices == ["standard", "storyteller"]


# -- snapshots -------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SCREEN_SIZES)
def test_snapshot_library(snap_compare, size, monkeypatch: pytest.MonkeyPatch) -> None:
    import sidekick.paths

    # The folder is shown on screen: the same one on every run.
    monkeypatch.setattr(sidekick.paths, "user_books_dir", lambda: Path("/home/ann/books"))
    app, _ = make_app()

    async def loaded(pilot: Pilot) -> None:
        table = app.screen.query_one("#books", DataTable)
        await wait_for(pilot, lambda: table.row_count == 2)

    assert snap_compare(app, terminal_size=size, run_before=loaded)


@pytest.mark.parametrize("size", SCREEN_SIZES)
def test_snapshot_reader_mid_turn(snap_compare, size) -> None:
    events = [*ALL_NOTICES, *MID_TURN[1:]]
    app, factory = make_app(book=FOX, events=events)

    async def mid_turn(pilot: Pilot) -> None:
        await wait_for(pilot, emitted_all(factory, len(events)))

    assert snap_compare(app, terminal_size=size, run_before=mid_turn)


@pytest.mark.parametrize("size", SCREEN_SIZES)
def test_snapshot_reader_sidekick_turn(snap_compare, size) -> None:
    events = [
        *ALL_NOTICES,
        TurnStart(1, "child", 1),
        *[WordRead(1, w.index, w.text, 1.0) for w in FOX.pages[0].words],
        Praise("Wonderful! You read the whole page."),
        TurnEnd(1, "child", 1, 11, 11, 0, 6.0),
        PageDone(1),
        TurnStart(2, "sidekick", 2),
        CurrentWord(2, 0),
        CurrentWord(2, 6),
    ]
    app, factory = make_app(book=FOX, events=events)

    async def sidekick_turn(pilot: Pilot) -> None:
        await wait_for(pilot, emitted_all(factory, len(events)))

    assert snap_compare(app, terminal_size=size, run_before=sidekick_turn)


@pytest.mark.parametrize("size", SCREEN_SIZES)
def test_snapshot_reader_end_of_book(snap_compare, size) -> None:
    from sidekick.turns.events import ReadingChecked

    page = FOX.pages[3]
    statuses = ["correct", "correct", "correct", "correct", "substituted", "correct", "correct"]
    words = [{"index": w.index, "word": w.text, "status": st, "heard": None}
             for w, st in zip(page.words, statuses, strict=True)]  # fmt: skip
    summary = {"wcpm": 51.4, "accuracy": 6 / 7, "words_correct": 6, "errors": 1,
               "duration_s": 7.0, "band": "frustration"}  # fmt: skip
    events = [
        TurnStart(1, "sidekick", 3),
        TurnEnd(1, "sidekick", 3, 8, 8, 0, 4.0),
        PageDone(3),
        TurnStart(2, "child", 4),
        ReadingChecked(2, 4, summary, words, [], []),
        Praise("Thanks for reading with me. Let's keep going together!"),
        TurnEnd(2, "child", 4, 6, 7, 0, 7.0),
        PageDone(4),
        BookDone(FOX.title),
    ]
    factory = ScriptedFactory(events)
    app = SidekickApp(Settings(), book=FOX, session_factory=factory, voices=VOICES,
                      list_books=fixed_library, start_page=3)  # fmt: skip

    async def the_end(pilot: Pilot) -> None:
        await wait_for(pilot, emitted_all(factory, len(events)))

    assert snap_compare(app, terminal_size=size, run_before=the_end)


@pytest.mark.parametrize("size", SCREEN_SIZES)
def test_snapshot_settings(snap_compare, size) -> None:
    app, _ = make_app()

    async def open_settings(pilot: Pilot) -> None:
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, SettingsScreen))

    assert snap_compare(app, terminal_size=size, run_before=open_settings)


@pytest.mark.parametrize("size", SCREEN_SIZES)
def test_snapshot_sound_check(snap_compare, size, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Check sound screen's layout; the devices are a fixed list here, so the picture
    does not depend on this computer's sound system (tests/test_sound_devices.py drives the
    screen through real devices)."""
    from sidekick import sound_check
    from sidekick.ui.screens.sound_check import SoundCheckScreen

    devices = [sound_check.Device(0, "USB microphone", 1, 0, default_input=True),
               sound_check.Device(1, "Speakers", 0, 2, default_output=True)]  # fmt: skip
    monkeypatch.setattr(sound_check, "list_devices", lambda: devices)
    app, _ = make_app()

    async def open_check(pilot: Pilot) -> None:
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, SettingsScreen))
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, SoundCheckScreen))
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=open_check)


@pytest.fixture(autouse=True)
def _no_real_session(monkeypatch: pytest.MonkeyPatch) -> None:
    """UI tests never start the real session (it would open audio devices)."""
    import sidekick.ui.app as app_module

    def refuse(*args, **kwargs):
        raise AssertionError("the real ReadingSession was started in a UI test")

    monkeypatch.setattr(app_module, "default_session_factory", refuse)
