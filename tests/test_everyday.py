"""Living with the app: every footer key works, the end of a book, remembered settings,
readers and positions, and each reader's own share and stall time (app and headless).

The reader is driven by the scripted session of :mod:`tests.helpers.ui` (real event objects, no
audio); the remembered state is a real file in the test's SIDEKICK_HOME, and readers live in
a real progress store.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, OptionList

from sidekick.cli import build_parser
from sidekick.cli.reading import open_reader, session_settings
from sidekick.progress.recorder import open_history
from sidekick.progress.store import ProgressStore
from sidekick.settings import Settings, Share
from sidekick.state import AppState, load_state, state_path
from sidekick.turns.events import (
    BookDone,
    CurrentWord,
    PageDone,
    Praise,
    ReadingChecked,
    SessionStart,
    StuckWordHelped,
    TurnEnd,
    TurnStart,
    WordRead,
)
from sidekick.turns.plan import reading_plan
from sidekick.turns.session import ReadingSession
from sidekick.ui.app import SidekickApp
from sidekick.ui.screens.library import LibraryScreen
from sidekick.ui.screens.reader import ReaderScreen
from sidekick.ui.screens.readers import ReadersScreen
from sidekick.ui.screens.settings import SettingsScreen
from tests.helpers.ui import (
    ALL_NOTICES,
    FOX,
    MID_TURN,
    SCREEN_SIZES,
    SIZE,
    VOICES,
    ScriptedFactory,
    emitted_all,
    fixed_library,
    footer_keys,
    make_app,
    pilot_test,
    reader_of,
    text_of,
    wait_for,
)


@pytest.fixture(autouse=True)
def _no_real_session(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests never start the real session (it would open audio devices)."""
    import sidekick.ui.app as app_module

    def refuse(*args, **kwargs):
        raise AssertionError("the real ReadingSession was started in a UI test")

    monkeypatch.setattr(app_module, "default_session_factory", refuse)


def app_from_disk(factory: ScriptedFactory, **kw) -> SidekickApp:
    """The app as `sidekick` starts it: the remembered state, loaded from the file."""
    state = load_state()
    return SidekickApp(state.settings, session_factory=factory, voices=VOICES,
                       list_books=fixed_library, state=state, **kw)  # fmt: skip


def _check(page: int, statuses: list[str], seconds: float) -> ReadingChecked:
    words = [
        {"index": i, "word": w.text, "status": s, "heard": None}
        for i, (w, s) in enumerate(zip(FOX.pages[page - 1].words, statuses, strict=False))
    ]
    correct = sum(s == "correct" for s in statuses)
    summary = {"wcpm": 0, "accuracy": correct / len(words), "words_correct": correct,
               "errors": len(words) - correct, "duration_s": seconds, "band": ""}  # fmt: skip
    return ReadingChecked(1, page, summary, words, [], [])


# -- keys ------------------------------------------------------------------------------------
@pilot_test
async def test_q_quits_from_the_library() -> None:
    app = SidekickApp(Settings(), session_factory=ScriptedFactory(), voices=VOICES,
                      list_books=fixed_library)  # fmt: skip
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, LibraryScreen))
        assert "q" in footer_keys(app)
        await pilot.press("q")
        await wait_for(pilot, lambda: not app.is_running)


@pilot_test
async def test_no_speaker_w_shows_the_word_large_and_spelled_out() -> None:
    events = [SessionStart(FOX.title, "vosk", "standard", ["child"], silent=True),
              TurnStart(1, "child", 1), CurrentWord(1, 3)]  # fmt: skip
    factory = ScriptedFactory(events)
    app = SidekickApp(Settings(), book=FOX, session_factory=factory, voices=VOICES,
                      list_books=fixed_library)  # fmt: skip
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, emitted_all(factory, 3))
        reader = reader_of(app)
        assert not reader.query_one("#word-card").display
        await pilot.press("w")
        assert factory.sessions[0].calls == ["help_word"]
        factory.sessions[0].feed(StuckWordHelped(1, 3, "found", 4.0))  # what the session says
        await wait_for(pilot, emitted_all(factory, 4))
        card = reader.query_one("#word-card")
        assert card.display
        lines = str(card.render()).splitlines()
        assert lines[-1] == "f - o - u - n - d"
        assert len(lines) >= 4 and "found" not in lines[0]  # big letters above the spelling
        assert card.size.width >= 40  # a good part of the page's width
        factory.sessions[0].feed(WordRead(1, 3, "found", 4.5), TurnEnd(1, "child", 1, 4, 11, 1, 5))
        await wait_for(pilot, emitted_all(factory, 6))
        assert not card.display


@pytest.mark.parametrize("size", SCREEN_SIZES)
def test_snapshot_no_speaker_word_card(snap_compare, size) -> None:
    """All notices, the child stuck on "found" and no speaker: the word in big letters,
    spelled out under them, and the page text still in view."""
    events = [SessionStart(FOX.title, "vosk", "standard", ["child"], silent=True),
              *ALL_NOTICES, *MID_TURN[1:], StuckWordHelped(1, 3, "found", 4.0)]  # fmt: skip
    app, factory = make_app(book=FOX, events=events)

    async def stuck(pilot) -> None:
        await wait_for(pilot, emitted_all(factory, len(events)))

    assert snap_compare(app, terminal_size=size, run_before=stuck)


def test_end_of_book_summary_groups_words_however_the_book_writes_them() -> None:
    """Page 2's "The" and page 3's "the" are one word to practise, shown in lower case; the
    name "Fox" keeps its capital. A word missed on one page only ("pond") is none yet."""
    screen = ReaderScreen(FOX, Settings(), ScriptedFactory([]))
    screen.pages_read = {2: "child", 3: "child", 4: "child"}
    screen.checks = [
        _check(2, ["omitted"] + ["correct"] * 5 + ["substituted"], 6.0),  # The ... Fox
        _check(3, ["correct"] * 2 + ["omitted"] + ["correct"] * 4 + ["omitted"], 6.0),  # the
        _check(4, ["omitted"] + ["correct"] * 6, 6.0),  # Fox
    ]
    assert "Words to practise: the, Fox\n" in screen.summary_text()


@pilot_test
async def test_end_of_book_summary_hides_dead_keys_and_praise() -> None:
    page4 = FOX.pages[3]
    events = [
        TurnStart(1, "child", 4),
        _check(4, ["correct"] * 4 + ["substituted", "correct", "assisted"], 7.0),
        Praise("Wow, you read 'laughed'!"),
        TurnEnd(1, "child", 4, 5, len(page4.words), 1, 7.0),
        PageDone(4),
        BookDone(FOX.title),
    ]
    factory = ScriptedFactory(events)
    app = SidekickApp(Settings(), book=FOX, session_factory=factory, voices=VOICES,
                      list_books=fixed_library, start_page=4)  # fmt: skip
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, emitted_all(factory, len(events)))
        reader = reader_of(app)
        assert "The end" in reader.banner.message
        assert not reader.query_one("#praise").display  # no praise left under "The end"
        assert footer_keys(app) <= {"escape", "x"}
        summary = text_of(app, "#summary")
        assert "Pages: 1 (you read 1, Sidekick read 0)" in summary
        assert "Words correct a minute: 43" in summary  # 5 correct in 7 s
        assert "Accuracy: 71%, hard for now (frustration band)" in summary
        assert "Words to practise: day\n" in summary  # said for the child; "What" misread once
        assert "library" in summary
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, LibraryScreen))


@pilot_test
async def test_short_terminal_keeps_the_page_text_visible() -> None:
    from sidekick.turns.events import Notice

    events = [Notice("No microphone found on this computer. Press Enter when the page is read."),
              Notice("Listening with pocketsphinx: a bigger English model listens better."),
              Notice("No speaker found on this computer: Sidekick's reading is shown."),
              TurnStart(1, "child", 1), Praise("You read 'little' all by yourself!")]  # fmt: skip
    factory = ScriptedFactory(events)
    app = SidekickApp(Settings(), book=FOX, session_factory=factory, voices=VOICES,
                      list_books=fixed_library)  # fmt: skip
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, emitted_all(factory, len(events)))
        reader = reader_of(app)
        scroll = reader.query_one("#page-scroll")
        assert scroll.content_region.height >= 8  # the page text has room
        assert reader.query_one("#notices").outer_size.height == 1  # one line
        assert "(+2 more" in text_of(app, "#notices")
        await pilot.press("x")
        assert not reader.query_one("#notices").display
        assert "x" not in footer_keys(app)
        await pilot.resize_terminal(120, 40)  # comfortable: the page keeps even more room
        await pilot.pause()
        assert not reader.query_one("#notices").display  # hidden stays hidden
        assert scroll.content_region.height >= 20


# -- remembered between starts --------------------------------------------------------------
@pilot_test
async def test_restart_keeps_settings_reader_and_position() -> None:
    with ProgressStore() as store:
        store.add_reader("Zoë", grade=2)
    factory = ScriptedFactory([TurnStart(1, "child", 1), PageDone(1), TurnStart(2, "sidekick", 2),
                               PageDone(2)])  # fmt: skip
    app = app_from_disk(factory)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one("#books", DataTable)
        await wait_for(pilot, lambda: table.row_count == 2)
        await pilot.press("enter")  # no reader yet: "Who is reading?" comes first
        await wait_for(pilot, lambda: isinstance(app.screen, ReadersScreen))
        options = app.screen.query_one("#reader-list", OptionList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert prompts[0] == "  Zoë  (grade 2)" and "Guest, not saved" in prompts[-1]
        await pilot.press("up", "enter")  # Zoë (the list starts on Guest)
        await wait_for(pilot, lambda: isinstance(app.screen, ReaderScreen))
        await wait_for(pilot, emitted_all(factory, 4))
        assert "Zoë" in app.screen.sub_title
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, LibraryScreen))
        await pilot.press("s")  # Zoë's share and stall time, saved in her profile
        await wait_for(pilot, lambda: isinstance(app.screen, SettingsScreen))
        app.screen.query_one("#share-a-little").value = True
        app.screen.query_one("#stall", Input).value = "6"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, LibraryScreen))
    saved = json.loads(state_path().read_text(encoding="utf-8"))
    assert saved["settings"]["reader"] == "Zoë"
    assert not list(state_path().parent.glob("*.tmp"))  # written atomically
    with ProgressStore() as store:
        zoe = store.get_reader("Zoë")
    assert (zoe.share, zoe.stall_s) == ("a-little", 6.0)

    again = ScriptedFactory()
    app = app_from_disk(again)
    assert app.settings.reader == "Zoë"
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one("#books", DataTable)
        await wait_for(pilot, lambda: table.row_count == 2)
        assert "Reader: Zoë" in text_of(app, "#settings-summary")
        assert "A little" in text_of(app, "#settings-summary")
        await pilot.press("enter")  # the reader is known: straight to the book
        await wait_for(pilot, lambda: isinstance(app.screen, ReaderScreen))
        assert again.sessions[0].start_page == 3  # pages 1 and 2 were done
        assert again.sessions[0].settings.share == Share.A_LITTLE
        assert again.sessions[0].settings.stall_s == 6.0


def test_state_file_round_trip_and_damage(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    state = AppState(settings=Settings(share=Share.A_LOT, stall_s=4.5, reader="Zoë"), path=path)
    state.set_position("Zoë", FOX.title, 3)
    state.set_position(None, FOX.title, 2)
    assert state.save() is None
    back = load_state(path)
    assert (back.settings.share, back.settings.stall_s, back.settings.reader) == (
        Share.A_LOT, 4.5, "Zoë")  # fmt: skip
    assert back.position("Zoë", FOX.title) == 3 and back.position(None, FOX.title) == 2
    assert back.position("Zoë", "Another book") == 1
    back.set_position("Zoë", FOX.title, 1)  # finished: start over next time
    back.save()
    assert load_state(path).position("Zoë", FOX.title) == 1
    path.write_text("{not json", encoding="utf-8")
    broken = load_state(path)
    assert broken.settings.share == Share.TAKE_TURNS and broken.problem
    path.write_text(json.dumps({"settings": {"share": "lots", "stall_s": -1}}), "utf-8")
    odd = load_state(path)
    assert (odd.settings.share, odd.settings.stall_s) == (Share.TAKE_TURNS, 3.0)


# -- each reader's own share and stall ------------------------------------------------------
@pilot_test
async def test_per_reader_share_and_stall_apply_in_the_app() -> None:
    with ProgressStore() as store:
        store.add_reader("Zoë", share="a-lot", stall_s=5)
        store.add_reader("Max", share="sidekick", stall_s=2)
    factory = ScriptedFactory()
    app = SidekickApp(Settings(reader="Zoë"), session_factory=factory, voices=VOICES,
                      list_books=fixed_library)  # fmt: skip
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one("#books", DataTable)
        await wait_for(pilot, lambda: table.row_count == 2)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReaderScreen))
        settings = factory.sessions[0].settings
        assert (settings.share, settings.stall_s) == (Share.A_LOT, 5.0)
        await pilot.press("escape", "r")
        await wait_for(pilot, lambda: isinstance(app.screen, ReadersScreen))
        await pilot.press("home", "enter")  # Max (readers sorted: Max, Zoë, Guest)
        await wait_for(pilot, lambda: isinstance(app.screen, LibraryScreen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(factory.sessions) == 2)
        settings = factory.sessions[1].settings
        assert (settings.reader, settings.share, settings.stall_s) == ("Max", Share.SIDEKICK, 2.0)


def test_per_reader_share_and_stall_apply_headless(tmp_path: Path) -> None:
    with ProgressStore() as store:
        store.add_reader("Zoë", share="a-lot", stall_s=5)
    args = build_parser().parse_args(
        [
            "read",
            "sam-and-the-red-hat",
            "--reader",
            "zoë",
            "--child-audio",
            str(tmp_path),
            "--speaker-out",
            str(tmp_path),
        ]  # fmt: skip
    )
    reader, _ = open_reader(args)
    settings = session_settings(args, reader=reader, child_audio=args.child_audio,
                                speech_out=args.speaker_out)  # fmt: skip
    assert (settings.reader, settings.share, settings.stall_s) == ("Zoë", Share.A_LOT, 5.0)
    session = ReadingSession(FOX, settings, lambda e: None)
    assert session.plan() == reading_plan(Share.A_LOT, len(FOX.pages))
    # An option given on the command line wins over the reader's own choice.
    args = build_parser().parse_args(
        [
            "read",
            "x",
            "--reader",
            "Zoë",
            "--share",
            "take-turns",
            "--child-audio",
            "a",
            "--speaker-out",
            "b",
        ]  # fmt: skip
    )
    settings = session_settings(args, reader=open_reader(args)[0])
    assert (settings.share, settings.stall_s) == (Share.TAKE_TURNS, 5.0)


def test_session_goes_back_a_page_and_on(tmp_path: Path) -> None:
    """The real session (real voice, speech written to WAV files): `b` on page 2 goes back to
    page 1, which is read again, then the book goes on to its end."""
    from sidekick.turns.events import Event

    starts: list[int] = []
    done: list[int] = []
    ended: list[str] = []
    session: ReadingSession

    def on_event(event: Event) -> None:
        match event:
            case TurnStart(page=page):
                starts.append(page)
                if page == 2 and starts.count(2) == 1:
                    session.previous_page()
            case PageDone(page=page):
                done.append(page)
            case BookDone(title=title):
                ended.append(title)

    book = FOX.__class__(FOX.title, FOX.pages[:3])
    settings = Settings(share=Share.SIDEKICK, voice="standard", speech_out=str(tmp_path))
    session = ReadingSession(book, settings, on_event)
    session.run()
    assert starts == [1, 2, 1, 2, 3]
    assert done == [1, 1, 2, 3] and ended == [FOX.title]


def test_command_line_options_are_for_one_run(tmp_path: Path) -> None:
    """`sidekick app --child-audio kid.wav --rate 1.2` uses them now, but the next plain start
    has the remembered microphone and rate again; the reader given is remembered."""
    with ProgressStore() as store:
        store.add_reader("Zoë", share="a-lot", stall_s=5)
    args = build_parser().parse_args(["app", "--child-audio", "kid.wav", "--rate", "1.2",
                                      "--reader", "Zoë"])  # fmt: skip
    state = load_state()
    reader, _ = open_reader(args)
    state.run_with(lambda s: session_settings(args, s, reader, child_audio=args.child_audio))
    assert (state.settings.child_audio, state.settings.rate) == ("kid.wav", 1.2)
    assert state.settings.share == Share.A_LOT
    assert state.save() is None
    again = load_state()
    assert (again.settings.child_audio, again.settings.rate) == ("mic", 1.0)
    assert (again.settings.reader, again.settings.share) == ("Zoë", Share.A_LOT)


@pytest.mark.slow  # 4-5 s on 2 cores
def test_pages_left_early_are_scored_only_on_what_was_read(tmp_path: Path, speak_to_wav) -> None:
    """The real session, recognizer and progress store, hearing real speech from WAV files:
    `n` part-way through a page checks (and stores) only the words the child reached; `n`
    before any reading, and `b`, store nothing and show no "no reading heard" notice."""
    from sidekick.turns.events import Event, Notice

    pages = FOX.pages[:3]
    child = tmp_path / "child"
    child.mkdir()
    speak_to_wav("A little fox found a red kite.", child / "1.wav")  # page 1, half of it
    speak_to_wav(pages[1].text, child / "2.wav")  # page 2, skipped at once
    speak_to_wav(pages[2].text, child / "3.wav")  # page 3, `b` while reading it
    speak_to_wav(pages[1].text, child / "4.wav")  # page 2 again, read to the end
    starts: list[int] = []
    checked: list[ReadingChecked] = []
    notices: list[str] = []
    session: ReadingSession

    def on_event(event: Event) -> None:
        match event:
            case TurnStart(page=page):
                starts.append(page)
                if page == 2 and starts.count(2) == 1:
                    session.next_page()  # skipped before a word is read
            case WordRead(page=1, index=index) if index >= 3:
                session.next_page()
            case WordRead(page=3):
                session.previous_page()
            case ReadingChecked():
                checked.append(event)
            case Notice(text=text):
                notices.append(text)

    with ProgressStore() as store:
        store.add_reader("Ann")
    settings = Settings(share=Share.A_LOT, voice="standard", speech_out=str(tmp_path),
                        child_audio=str(child), realtime=False, reader="Ann")  # fmt: skip
    book = FOX.__class__(FOX.title, pages)
    session = ReadingSession(book, settings, on_event, history=open_history)
    session.run()
    assert starts == [1, 2, 3, 2]  # then the child audio files run out
    assert [c.page for c in checked] == [1, 2]
    reached = len(checked[0].words)
    assert 4 <= reached < len(pages[0].words)  # the rest of page 1 is not "omitted"
    assert checked[0].words[-1]["status"] != "omitted"
    assert len(checked[1].words) == len(pages[1].words)
    assert not [n for n in notices if "reading" in n.lower()], notices
    with ProgressStore() as store:
        turns = store.turns("Ann")
    assert sorted((t.page, t.words_total) for t in turns) == [(1, reached), (2, 10)]
