"""The blind voice preference test (``sidekick listen-test``): each passage is played in both
voices, in a random order, as "Voice 1" and "Voice 2"; the listener answers with one key.

The test itself (passages, order, answers, statistics, the saved JSON) is
:mod:`sidekick.speaking.preference`; the audio (:class:`PreferencePlayer`: synthesis, the
speaker or WAV files) runs in a thread worker that posts :class:`ListenTestStep` and
:class:`ListenTestNotice`. The voices' names are shown only with the result.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from sidekick.errors import SidekickError
from sidekick.speaking.preference import (
    FIRST,
    NO_PREFERENCE,
    QUESTION,
    SECOND,
    PreferencePlayer,
    PreferenceResult,
    PreferenceTest,
    TestStopped,
    Trial,
)
from sidekick.ui.messages import ListenTestNotice, ListenTestStep, problem_text
from sidekick.ui.widgets.notice_panel import NoticePanel

KEYS_HINT = "1 = Voice 1   ·   2 = Voice 2   ·   0 or n = no preference   ·   r = hear both again"


class ListenTestScreen(Screen[PreferenceResult | None]):
    """One trial at a time, keyboard only; Esc stops (the answers so far are saved)."""

    DEFAULT_CSS = """
    ListenTestScreen #lt-body { padding: 1 2; }
    ListenTestScreen #lt-count { color: $foreground-muted; text-align: center; width: 1fr; }
    ListenTestScreen #lt-passage {
        margin: 1 4; padding: 1 3; text-align: center; text-style: bold;
        background: $surface; border: round $primary; width: 1fr;
    }
    ListenTestScreen #lt-question { text-align: center; width: 1fr; }
    ListenTestScreen #lt-status {
        text-align: center; text-style: bold; color: $accent; width: 1fr; margin: 1 0 0 0;
    }
    ListenTestScreen #lt-files { color: $foreground-muted; text-align: center; width: 1fr; }
    ListenTestScreen #lt-notices {
        margin: 1 4 0 4; padding: 0 1; height: auto;
        border: round $warning; color: $text-warning;
    }
    ListenTestScreen #lt-notices.-error { border: round $error; color: $text-error; }
    ListenTestScreen.-done #lt-passage { border: round $success; }
    """

    BINDINGS = [
        Binding("1", "prefer('first')", "Voice 1"),
        Binding("2", "prefer('second')", "Voice 2"),
        Binding("0", "prefer('none')", "No preference"),
        Binding("n", "prefer('none')", "No preference", show=False),
        Binding("r", "replay", "Hear both again"),
        Binding("escape", "stop", "Stop"),
    ]

    def __init__(
        self,
        test: PreferenceTest,
        speech_out: str = "speaker",
        *,
        player: PreferencePlayer | None = None,
        device: int | str | None = None,
    ) -> None:
        """``speech_out``: "speaker" or a folder for WAV files; ``device``: the speaker
        (None: the system's default); ``player``: the audio side (default: one made from
        ``test``, ``speech_out`` and ``device``)."""
        super().__init__()
        self.test = test
        self.player = player or PreferencePlayer(
            test, speech_out, self._notice_from_thread, device=device
        )
        self.index = 0
        self.state = "starting"  # preparing, playing, answer, done, error
        self.files: list[str] = []
        self.result: PreferenceResult | None = None

    @property
    def trial(self) -> Trial:
        return self.test.trials[self.index]

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="lt-body"):
            yield Static("", id="lt-count")
            yield Static("", id="lt-passage")
            yield Static(QUESTION, id="lt-question")
            yield Static("Getting ready…", id="lt-status")
            yield Static("", id="lt-files")
            yield NoticePanel(id="lt-notices")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Which voice? A blind listening test"
        self._start_trial()

    def on_unmount(self) -> None:
        self.player.stop()

    # -- the worker --------------------------------------------------------------------------
    def _notice_from_thread(self, text: str) -> None:
        self.post_message(ListenTestNotice(text))

    def _start_trial(self) -> None:
        self.state = "starting"
        self.files = []
        total = len(self.test.trials)
        self.query_one("#lt-count", Static).update(f"Passage {self.index + 1} of {total}")
        self.query_one("#lt-passage", Static).update(self.trial.passage)
        self.query_one("#lt-files", Static).update("")
        self._play()

    def _play(self) -> None:
        self.run_worker(self._play_both, thread=True, name="listen-test", group="listen-test",
                        exclusive=True, exit_on_error=False)  # fmt: skip

    def _play_both(self) -> None:
        """Thread worker: make both versions of the passage, then play 1 and 2."""
        trial, player = self.trial, self.player
        number = trial.number
        try:
            if not player.ready:
                player.prepare()
            self.post_message(ListenTestStep("preparing", number))
            player.render(trial)

            def playing(version: int) -> None:
                self.post_message(ListenTestStep("playing", number, version))

            files = player.play(trial, playing)
            self.post_message(ListenTestStep("answer", number, files=[str(f) for f in files]))
        except TestStopped:
            return  # the listener left: nothing more to show
        except Exception as exc:  # shown, never a crash
            self.post_message(ListenTestNotice(problem_text(exc), error=True))
            self.post_message(ListenTestStep("error", number))

    # -- messages ----------------------------------------------------------------------------
    def on_listen_test_step(self, message: ListenTestStep) -> None:
        if self.state == "done" or message.number != self.trial.number:
            return
        if message.files:
            self.files = message.files
        self._set_state(message.state, message.version)

    def on_listen_test_notice(self, message: ListenTestNotice) -> None:
        self.query_one("#lt-notices", NoticePanel).add(message.text, message.error)

    # -- display -----------------------------------------------------------------------------
    def _set_state(self, state: str, version: int = 0) -> None:
        self.state = state
        status = self.query_one("#lt-status", Static)
        writing = self.player.folder is not None
        if state == "preparing":
            status.update("Making the two versions…")
        elif state == "playing":
            status.update(f"Writing Voice {version}…" if writing else f"Listen: Voice {version}")
        elif state == "answer":
            status.update(KEYS_HINT)
            if self.files:
                names = "   ·   ".join(f"Voice {k}: {Path(f).name}"
                                       for k, f in enumerate(self.files, start=1))  # fmt: skip
                where = Path(self.files[0]).parent
                self.query_one("#lt-files", Static).update(f"Play them in order: {names}  "
                                                           f"(in {where})")  # fmt: skip
        elif state == "error":
            status.update("The test cannot go on. Press Esc (answers so far are saved).")
        self.refresh_bindings()

    def _finish(self) -> None:
        """Save the answers so far (if any) and show the result."""
        self.player.stop()
        self.state = "done"
        self.add_class("-done")
        test = self.test
        answered = len(test.answers)
        count = self.query_one("#lt-count", Static)
        files = self.query_one("#lt-files", Static)
        self.query_one("#lt-question", Static).update("")
        if not answered:
            count.update("Stopped")
            self.query_one("#lt-passage", Static).update("No answers were given.")
            self.query_one("#lt-status", Static).update("Nothing was saved. Esc to close.")
            files.update("")
            self.refresh_bindings()
            return
        try:
            self.result = test.save()
            files.update(f"Saved: {self.result.path}   ·   Esc to close")
        except SidekickError as exc:
            self.result = test.result()
            files.update(f"Not saved: {exc}   ·   Esc to close")
        total = len(test.trials)
        count.update("Result" if answered == total else f"Stopped: {answered} of {total} passages")
        self.query_one("#lt-passage", Static).update(self.result.headline())
        self.query_one("#lt-status", Static).update(self.result.reading())
        self.refresh_bindings()

    # -- keys --------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("prefer", "replay"):
            if self.state == "done":
                return False  # hidden: the test is over
            return True if self.state == "answer" else None
        return True

    def action_prefer(self, answer: str) -> None:
        if self.state != "answer" or answer not in (FIRST, SECOND, NO_PREFERENCE):
            return
        self.test.answer(self.trial.number, answer)
        self.player.forget(self.trial)
        if self.index + 1 >= len(self.test.trials):
            self._finish()
            return
        self.index += 1
        self._start_trial()

    def action_replay(self) -> None:
        if self.state == "answer":
            self.state = "starting"
            self._play()

    def action_stop(self) -> None:
        if self.state == "done":
            self.dismiss(self.result)
        else:
            self._finish()


class ListenTestApp(App[PreferenceResult | None]):
    """The listening test on its own (``sidekick listen-test``); returns the result."""

    TITLE = "Sidekick"
    CSS_PATH = "../app.tcss"
    ENABLE_COMMAND_PALETTE = False

    def __init__(
        self,
        test: PreferenceTest,
        speech_out: str = "speaker",
        *,
        player: PreferencePlayer | None = None,
        device: int | str | None = None,
    ) -> None:
        super().__init__()
        self.test = test
        self.speech_out = speech_out
        self.player = player
        self.device = device

    def on_mount(self) -> None:
        self.theme = "gruvbox"
        screen = ListenTestScreen(
            self.test, self.speech_out, player=self.player, device=self.device
        )
        self.push_screen(screen, callback=self.exit)


def run_listen_test(
    test: PreferenceTest, speech_out: str = "speaker", device: int | str | None = None
) -> PreferenceResult | None:
    """Run the test in the terminal, on the speaker ``device`` (None: the system's
    default); the result (None when nothing was answered)."""
    app = ListenTestApp(test, speech_out, device=device)
    app.run()
    return app.return_value
