"""The progress screen, practice mode and the library's reading-level column.

The progress screen reads a real SQLite store (in the test's SIDEKICK_HOME) filled with real
:class:`TurnRecord`s. Practice mode runs the real voice, the real pocketsphinx recognizer and
real WAV files of the standard voice saying the words as the child's microphone.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Static, Tabs

from sidekick.paths import data_dir
from sidekick.progress.records import MissedWord, TurnRecord
from sidekick.progress.store import ProgressStore
from sidekick.settings import Settings
from sidekick.ui.app import SidekickApp
from sidekick.ui.screens import library as library_screen
from sidekick.ui.screens.library import LibraryScreen, reading_levels
from sidekick.ui.screens.practice import TRY_AGAIN, PracticeScreen
from sidekick.ui.screens.progress import ProgressScreen
from sidekick.ui.screens.readers import ReadersScreen
from sidekick.ui.widgets.trend import BandStrip, TrendPlot
from tests.helpers.ui import (
    FOX,
    MOON,
    SCREEN_SIZES,
    SIZE,
    VOICES,
    fixed_library,
    pilot_test,
    wait_for,
)

WCPM = [38.0, 42.0, 41.0, 47.0, 52.0, 50.0, 55.0, 61.0]
ACCURACY = [0.85, 0.9, 0.88, 0.92, 0.95, 0.93, 0.96, 0.98]


def fox_turn(i: int) -> TurnRecord:
    """A child turn on The Fox and the Kite, day ``i`` of March 2025 (noon UTC)."""
    words = 40
    correct = round(words * ACCURACY[i])
    misses = [MissedWord("kite", "substituted", "kit", 4)] if i % 2 == 0 else []
    misses += [MissedWord("strong", "assisted", None, 10)] if i < 5 else []
    misses += [MissedWord("Pond!", "omitted", None, 20)] if i % 3 == 0 else []
    return TurnRecord(
        book_title=FOX.title, book_id="the-fox-and-the-kite.md", page=1 + i % 4,
        words_total=words, words_correct=correct, substituted=sum(m.kind == "substituted"
        for m in misses), omitted=sum(m.kind == "omitted" for m in misses),
        assisted=sum(m.kind == "assisted" for m in misses), wcpm=WCPM[i],
        accuracy=correct / words, duration_s=30.0, challenge_words=tuple(misses),
        started_at=f"2025-03-{1 + 2 * i:02d}T12:00:00+00:00",
    )  # fmt: skip


def filled_store(path: Path) -> ProgressStore:
    """Mia (grade 2): eight turns on one book and one on another; Theo (K): none."""
    store = ProgressStore(path)
    store.add_reader("Mia", grade=2)
    store.add_reader("Theo", grade="K")
    store.record_turns("Mia", [fox_turn(i) for i in range(len(WCPM))])
    store.record_turn("Mia", TurnRecord(
        book_title=MOON.title, book_id="moon-soup.md", page=1, words_total=6, words_correct=6,
        wcpm=58.0, accuracy=1.0, duration_s=6.2, started_at="2025-03-16T12:00:00+00:00",
    ))  # fmt: skip
    store.record_practice("Mia", "kite", True)
    return store


@pytest.fixture
def store(tmp_path: Path) -> ProgressStore:
    with filled_store(tmp_path / "progress.sqlite3") as s:
        yield s


def make_app(store: ProgressStore | None, **settings) -> SidekickApp:
    return SidekickApp(Settings(**settings), voices=VOICES, list_books=fixed_library, store=store)


def progress_of(app: SidekickApp) -> ProgressScreen:
    assert isinstance(app.screen, ProgressScreen)
    return app.screen


async def open_progress(pilot: Pilot, app: SidekickApp) -> ProgressScreen:
    table = app.screen.query_one("#books", DataTable)
    await wait_for(pilot, lambda: table.row_count == 2)
    await pilot.press("p")
    await wait_for(pilot, lambda: isinstance(app.screen, ProgressScreen) and app.screen.loaded)
    return progress_of(app)


def text_of(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def rows(table: DataTable) -> list[list[str]]:
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


# -- progress ---------------------------------------------------------------------------------
@pilot_test
async def test_progress_screen_shows_the_readers_history(store: ProgressStore) -> None:
    app = make_app(store, reader="mia")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_progress(pilot, app)
        assert screen.reader == "Mia"
        assert text_of(screen, "#progress-reader") == "Mia  ·  grade 2"
        totals = text_of(screen, "#progress-totals")
        assert "2 books · 5 pages read · 9 turns" in totals
        assert "326 words · 92% read right · 4 minutes of reading" in totals
        trend = screen.query_one("#wcpm-trend", TrendPlot)
        assert [v for _, v in trend.points] == [*WCPM, 58.0]
        assert (trend.points[0][0], trend.points[-1][0]) == ("2025-03-01", "2025-03-16")
        assert "latest" in trend.summary and "best 61" in trend.summary
        bands = [b for _, b in screen.query_one("#band-strip", BandStrip).days]
        assert bands[:3] == ["frustration", "instructional", "frustration"]
        assert bands.count("independent") == 4
        books = rows(screen.query_one("#progress-books", DataTable))
        assert books == [
            ["Moon Soup", "1", "1", "2025-03-16"],
            ["The Fox and the Kite", "4", "8", "2025-03-15"],
        ]
        words = rows(screen.query_one("#challenge-words", DataTable))
        assert words[:3] == [
            ["strong", "0", "5", "—"],
            ["kite", "4", "0", "1/1"],
            ["Pond", "3", "0", "—"],  # as the book writes it
        ]
        assert screen.practice_words() == ["strong", "kite", "Pond"]
        assert "practise the first 3" in text_of(screen, "#practice-hint")

        # Two readers: a tab each; → switches to Theo, who has not read yet.
        tabs = screen.query_one("#readers", Tabs)
        assert tabs.display and tabs.tab_count == 2
        await pilot.press("right")
        await wait_for(pilot, lambda: screen.reader == "Theo")
        assert text_of(screen, "#progress-reader") == "Theo  ·  grade K"
        assert "No reading stored yet" in text_of(screen, "#progress-totals")
        assert screen.query_one("#challenge-words", DataTable).row_count == 0
        assert screen.check_action("practise", ()) is None  # nothing to practise
        await pilot.press("t")
        assert isinstance(app.screen, ProgressScreen)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, LibraryScreen))


@pilot_test
async def test_progress_with_one_reader_has_no_picker(tmp_path: Path) -> None:
    with ProgressStore(tmp_path / "one.sqlite3") as store:
        store.add_reader("Ada")
        app = make_app(store)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_progress(pilot, app)
            assert screen.reader == "Ada"
            assert not screen.query_one("#readers", Tabs).display
            assert "No tricky words yet" in text_of(screen, "#practice-hint")


@pilot_test
async def test_progress_opens_the_default_store_lazily() -> None:
    app = make_app(None)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_progress(pilot, app)
        assert "No readers yet" in text_of(screen, "#progress-reader")
        assert app.store.path == data_dir() / "progress.sqlite3"
        assert app.store.list_readers() == []


@pilot_test
async def test_progress_unknown_reader_shows_the_first(store: ProgressStore) -> None:
    app = make_app(store, reader="Nobody")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_progress(pilot, app)
        assert screen.reader == "Mia"


@pilot_test
async def test_progress_with_10000_turns(tmp_path: Path) -> None:
    """10,000 stored turns are summarized on the screen (its speed is measured by
    tests/benchmarks/bench_progress.py, not here)."""
    with ProgressStore(tmp_path / "big.sqlite3") as big:
        big.add_reader("Mia")
        turns = []
        for k in range(10_000):
            base = fox_turn(k % len(WCPM))
            day = 1 + k * 180 // 10_000
            turns.append(TurnRecord(**{
                **base.__dict__, "reader": "", "id": None, "page": 1 + k % 40,
                "started_at": f"2025-{1 + day // 31:02d}-{1 + day % 28:02d}T12:00:00+00:00",
            }))  # fmt: skip
        big.record_turns("Mia", turns)
        app = make_app(big, reader="Mia")
        async with app.run_test(size=SIZE) as pilot:
            table = app.screen.query_one("#books", DataTable)
            await wait_for(pilot, lambda: table.row_count == 2)
            for _ in range(2):
                await pilot.press("p")
                await wait_for(pilot, lambda: isinstance(app.screen, ProgressScreen)
                               and app.screen.shown_after_s is not None, timeout=10)  # fmt: skip
                screen = progress_of(app)
                assert screen.summary is not None and screen.summary.turns == 10_000
                assert len(screen.query_one("#wcpm-trend", TrendPlot).points) > 100
                await pilot.press("escape")
                await wait_for(pilot, lambda: isinstance(app.screen, LibraryScreen))


def test_band_strip_shows_the_most_recent_days_that_fit() -> None:
    strip = BandStrip()
    strip.set_days([(f"2025-01-{d:02d}", "independent") for d in range(1, 11)])
    cell, shown = strip.cells(60)  # ten days fit in wide cells
    assert cell == "██ " and len(shown) == 10
    many = [(f"day {d}", "frustration" if d % 2 else "instructional") for d in range(300)]
    strip.set_days(many)
    cell, shown = strip.cells(60)  # one character a day, the latest days
    assert cell == "█" and shown == many[-(60 - 6) :]
    assert strip.cells(3) == ("█", [])


@pytest.mark.parametrize("size", SCREEN_SIZES)
def test_snapshot_progress(snap_compare, store: ProgressStore, size) -> None:
    app = make_app(store, reader="Mia")

    async def opened(pilot: Pilot) -> None:
        await open_progress(pilot, app)

    assert snap_compare(app, terminal_size=size, run_before=opened)


# -- practice ---------------------------------------------------------------------------------
@pytest.fixture
def child_words(tmp_path: Path, speak_to_wav) -> Path:
    """The child's attempts, one WAV per attempt: "string" for "strong" (a miss), "strong"
    (right on the second try), then "kite" (right)."""
    folder = tmp_path / "child"
    folder.mkdir()
    for name, word in [("001", "string"), ("002", "strong"), ("003", "kite")]:
        speak_to_wav(word, folder / f"{name}.wav", varied=False)
    return folder


def practice_settings(child: Path, out: Path) -> dict:
    return dict(reader="Mia", child_audio=str(child), speech_out=str(out),
                engine="pocketsphinx", realtime=False)  # fmt: skip


async def wait_state(pilot: Pilot, screen: PracticeScreen, state: str) -> None:
    await wait_for(pilot, lambda: screen.state in (state, "error"), timeout=60)
    assert screen.state == state, text_of(screen, "#practice-notices")


@pytest.mark.slow
@pilot_test
async def test_practice_says_words_and_checks_the_reading(
    store: ProgressStore, child_words: Path, tmp_path: Path
) -> None:
    out = tmp_path / "speech"
    app = make_app(store, **practice_settings(child_words, out))
    async with app.run_test(size=SIZE) as pilot:
        progress = await open_progress(pilot, app)
        progress.words = [w for w in progress.words if w.word in ("kite", "strong")]
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, PracticeScreen))
        screen = app.screen
        assert isinstance(screen, PracticeScreen)
        assert screen.words == ["strong", "kite"]
        # "strong", read as "string": warm words, and a second try.
        await wait_state(pilot, screen, "result")
        assert text_of(screen, "#practice-word") == "strong"
        assert text_of(screen, "#practice-count") == "Word 1 of 2"
        assert not screen.results[-1].correct
        assert screen.results[-1].heard == "string"
        assert text_of(screen, "#practice-status").startswith(TRY_AGAIN)
        assert "Listening: pocketsphinx" in text_of(screen, "#practice-engine")
        await pilot.press("r")
        await wait_state(pilot, screen, "result")
        assert screen.results[-1].correct and screen.results[-1].word == "strong"
        assert text_of(screen, "#practice-status").startswith("★")

        await pilot.press("enter")  # "kite", read right the first time
        await wait_state(pilot, screen, "result")
        assert text_of(screen, "#practice-word") == "kite"
        assert screen.results[-1].correct
        await pilot.press("enter")
        assert screen.state == "done"
        assert "All done! You practised 2 words" in text_of(screen, "#practice-status")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ProgressScreen))
        await wait_for(pilot, lambda: any(w.word == "strong" and w.practiced for w in
                                          progress.words))  # fmt: skip
        table = rows(progress.query_one("#challenge-words", DataTable))
        assert ["strong", "0", "5", "1/2"] in table and ["kite", "4", "0", "2/2"] in table
    # Sidekick said each word and answered each attempt: 3 attempts x 2 WAV files.
    assert len(list(out.glob("sidekick-*.wav"))) == 6
    practised = {w.word: (w.practiced, w.practiced_correct) for w in store.challenge_words("Mia")}
    assert practised["strong"] == (2, 1) and practised["kite"] == (2, 2)


@pilot_test
async def test_practice_ends_when_the_child_audio_runs_out(
    store: ProgressStore, tmp_path: Path, speak_to_wav
) -> None:
    child = tmp_path / "one"
    child.mkdir()
    speak_to_wav("strong", child / "001.wav", varied=False)
    app = make_app(store, **practice_settings(child, tmp_path / "speech"))
    async with app.run_test(size=SIZE) as pilot:
        app.open_practice("Mia", ["strong", "kite"])
        await wait_for(pilot, lambda: isinstance(app.screen, PracticeScreen))
        screen = app.screen
        assert isinstance(screen, PracticeScreen)
        await wait_state(pilot, screen, "result")
        await pilot.press("enter")
        await wait_state(pilot, screen, "done")
        assert "No more child audio files" in text_of(screen, "#practice-notices")
        assert "You practised 1 word." in text_of(screen, "#practice-status")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, LibraryScreen))


@pilot_test
async def test_practice_without_microphone_or_speaker(
    store: ProgressStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No audio devices: Sidekick's voice goes to a silent sink, the words are said together
    and nothing is stored as a guess."""
    from sidekick.audio import devices

    monkeypatch.setattr(
        devices, "probe_input", lambda device=None: "No microphone found on this computer"
    )
    monkeypatch.setattr(
        devices, "probe_output", lambda device=None: "No speaker found on this computer"
    )
    app = make_app(store, reader="Mia")
    async with app.run_test(size=SIZE) as pilot:
        app.open_practice("Mia", ["kite"])
        await wait_for(pilot, lambda: isinstance(app.screen, PracticeScreen))
        screen = app.screen
        await wait_state(pilot, screen, "said")
        notices = text_of(screen, "#practice-notices")
        assert "No microphone found on this computer. Say the words together" in notices
        assert "No speaker" in notices
        assert type(screen.coach.sink).__name__ == "SilentSink"
        assert "Say it together!" in text_of(screen, "#practice-status")
        await pilot.press("enter")
        assert screen.state == "done"
        assert "You practised 1 word." in text_of(screen, "#practice-status")
    assert {w.word: w.practiced for w in store.challenge_words("Mia")}["kite"] == 1  # as before


@pytest.mark.parametrize("size", SCREEN_SIZES)
def test_snapshot_practice_try_again(
    snap_compare, store: ProgressStore, child_words: Path, tmp_path: Path, size
) -> None:
    app = make_app(store, **practice_settings(child_words, tmp_path / "speech"))

    async def missed(pilot: Pilot) -> None:
        await wait_for(pilot, lambda: isinstance(app.screen, LibraryScreen))
        app.open_practice("Mia", ["strong", "kite"])
        await wait_for(pilot, lambda: isinstance(app.screen, PracticeScreen))
        await wait_state(pilot, app.screen, "result")  # "string" for "strong"

    assert snap_compare(app, terminal_size=size, run_before=missed)


# -- who is reading ------------------------------------------------------------------------
@pilot_test
async def test_readers_screen_chooses_and_adds_readers(store: ProgressStore) -> None:
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one("#books", DataTable)
        await wait_for(pilot, lambda: table.row_count == 2)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ReadersScreen))
        await pilot.press("up", "enter")  # Mia, Theo, Guest (the current choice): Theo
        await wait_for(pilot, lambda: isinstance(app.screen, LibraryScreen))
        assert app.settings.reader == "Theo"
        assert text_of(app.screen, "#settings-summary").startswith("Reader: Theo  ·  ")

        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ReadersScreen))
        screen = app.screen
        await pilot.press("a", *"Ada", "enter", "2", "enter")  # Enter goes on to the grade
        await wait_for(pilot, lambda: len(screen.readers) == 3)
        assert [(r.name, r.grade) for r in store.list_readers()][0] == ("Ada", 2)
        assert [r.name for r in store.list_readers()] == ["Ada", "Mia", "Theo"]
        await pilot.press("a", *"mia", "enter", "enter")  # names are unique, ignoring case
        assert "already a reader named 'Mia'" in text_of(screen, "#readers-error")
        await pilot.press("escape")  # closes the name box
        assert isinstance(app.screen, ReadersScreen)
        await pilot.press("enter")  # the new reader is highlighted
        await wait_for(pilot, lambda: isinstance(app.screen, LibraryScreen))
        assert app.settings.reader == "Ada"

        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ReadersScreen))
        await pilot.press("end", "enter")  # Guest: read without saving
        await wait_for(pilot, lambda: isinstance(app.screen, LibraryScreen))
        assert app.settings.reader is None


@pytest.mark.parametrize("size", SCREEN_SIZES)
def test_snapshot_readers(snap_compare, store: ProgressStore, size) -> None:
    app = make_app(store, reader="Mia")

    async def adding(pilot: Pilot) -> None:
        table = app.screen.query_one("#books", DataTable)
        await wait_for(pilot, lambda: table.row_count == 2)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ReadersScreen))
        await pilot.press("a", *"Ada", "enter", "1")

    assert snap_compare(app, terminal_size=size, run_before=adding)


# -- the library's reading levels -------------------------------------------------------------
@pilot_test
async def test_library_shows_reading_level_estimates() -> None:
    app = make_app(None)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one("#books", DataTable)
        await wait_for(pilot, lambda: table.row_count == 2)
        assert [str(c) for c in table.get_row_at(0)][1:3] == ["early reader", "K–1"]
        assert [str(c) for c in table.get_row_at(1)][1:3] == ["grade 1", "K–1"]


def test_reading_levels_are_cached_per_file(tmp_path: Path, monkeypatch) -> None:
    from sidekick.books import load_book

    path = tmp_path / "hard.md"
    path.write_text(
        "# Hard\n\nThe extraordinary phenomenon of photosynthesis necessitates "
        "considerable illumination, consequently vegetation accumulates carbohydrates."
    )
    assert reading_levels([load_book(path)]) == ["grade 4+"]
    cache = json.loads((data_dir() / "levels.json").read_text())
    assert cache[str(path)]["label"] == "grade 4+"

    def refuse(book):
        raise AssertionError("estimated again")

    monkeypatch.setattr(library_screen, "_estimate", refuse)
    monkeypatch.setattr(library_screen, "_levels_memory", {})  # a fresh start: from the file
    assert reading_levels([load_book(path)]) == ["grade 4+"]
    path.write_text("# Easy\n\nSam ran. Sam sat.")  # changed: estimated again
    monkeypatch.setattr(library_screen, "_estimate", lambda book: "K–1")
    assert reading_levels([load_book(path)]) == ["K–1"]
