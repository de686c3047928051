"""The terminal app driven end to end with the REAL session: library -> reader -> a child turn
read from a WAV file (the standard voice reading page 1), recognized by pocketsphinx, words
lit up on screen, praise shown, then Sidekick's turn written to a WAV file."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

from sidekick.books.library import list_books
from sidekick.settings import Settings, Share
from sidekick.ui.app import SidekickApp
from sidekick.ui.screens.reader import ReaderScreen
from tests.helpers.ui import SIZE, pilot_test, wait_for

pytestmark = pytest.mark.slow


@pilot_test
async def test_library_to_reader_to_turns_with_real_session(tmp_path, speak_to_wav) -> None:
    books = [b for b in list_books()[0] if b.bundled]
    book = next(b for b in books if "early" in b.level)
    child = tmp_path / "child"
    child.mkdir()
    speak_to_wav(book.pages[0].text, child / "001.wav")
    out = tmp_path / "speech"
    settings = Settings(share=Share.TAKE_TURNS, child_audio=str(child), speech_out=str(out),
                        engine="pocketsphinx", realtime=True)  # fmt: skip
    app = SidekickApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one("#books", DataTable)
        await wait_for(pilot, lambda: table.row_count == len(books))
        await pilot.press(*["down"] * books.index(book), "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReaderScreen))
        reader = app.screen
        assert isinstance(reader, ReaderScreen)
        # The child's turn (real time): words light up as pocketsphinx hears them.
        page1 = book.pages[0]
        await wait_for(pilot, lambda: len(reader.page_view.words("read")) > 0, timeout=30)
        assert reader.page_view.page.number == 1
        lit = [0]  # the most words seen lit on page 1 (the turn may end as the last ones light)

        def page1_lit_or_done() -> bool:
            if reader.page_view.page.number == 1:
                lit.append(len(reader.page_view.words("read")))
            return max(lit) >= 0.9 * len(page1.words) or reader.plan_bar.current == 2

        await wait_for(pilot, page1_lit_or_done, timeout=60)
        assert max(lit) >= 0.9 * len(page1.words)
        await wait_for(pilot, lambda: reader.plan_bar.current == 2, timeout=60)
        assert 1 in reader.plan_bar.done
        assert str(reader.query_one("#praise").render()).strip()
        assert "pocketsphinx" in str(reader.query_one("#engine").render())
        # Sidekick's turn goes to a WAV file; then the child audio runs out and the run ends.
        await wait_for(pilot, lambda: not reader.running, timeout=120)
        assert sorted(p.name for p in out.glob("*.wav")) == ["sidekick-001.wav"]
