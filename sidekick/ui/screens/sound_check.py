"""Check sound (from Settings, ``c``): the microphones and speakers (which ones Sidekick uses
is chosen here, and remembered), a live level meter while the reader reads a sentence, what
the recognizer understood, and a test sentence on the speaker. The work is
:mod:`sidekick.sound_check` (the same as ``sidekick check``), run in thread workers so the
screen stays live."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Label, ProgressBar, Select, Static

from sidekick import sound_check as sc
from sidekick.errors import AudioDeviceError
from sidekick.settings import Settings

METER_FLOOR_DB = -60.0  # the meter's empty end
DEFAULT = "(the computer's default)"


class SoundCheckScreen(Screen[None]):
    """Dismissed with Esc; nothing recorded is kept."""

    BINDINGS = [
        Binding("r", "check_microphone", "Check microphone", priority=True),
        Binding("p", "check_speaker", "Play test sentence", priority=True),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings
        self.busy = False

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="sound-check"):
            yield Label("Sound devices on this computer", classes="heading")
            yield Static("Looking…", id="devices")
            yield Label("Microphone", classes="heading")
            yield self._choice("mic-choice")
            yield Static(
                f"Press r, then read this sentence aloud:\n  “{sc.CHECK_SENTENCE}”",
                id="mic-prompt",
            )
            yield ProgressBar(
                total=-METER_FLOOR_DB, show_eta=False, show_percentage=False, id="meter"
            )
            yield Static("", id="mic-result")
            yield Label("Speaker", classes="heading")
            yield self._choice("speaker-choice")
            yield Static(f"Press p to hear: “{sc.TEST_SENTENCE}”", id="speaker-result")
        yield Footer()

    @staticmethod
    def _choice(widget_id: str) -> Select[str]:
        return Select([(DEFAULT, DEFAULT)], value=DEFAULT, allow_blank=False, id=widget_id)

    def on_mount(self) -> None:
        self.sub_title = "Check sound"
        try:
            devices = sc.list_devices()
        except AudioDeviceError as exc:
            self.query_one("#devices", Static).update(str(exc))
            return
        lines = [d.line() for d in devices] or ["No microphone or speaker found."]
        self.query_one("#devices", Static).update("\n".join(lines))
        s = self.settings
        for selector, names, chosen in (
            ("#mic-choice", [d.name for d in devices if d.inputs], s.input_device),
            ("#speaker-choice", [d.name for d in devices if d.outputs], s.output_device),
        ):
            choice = self.query_one(selector, Select)
            choice.set_options([(DEFAULT, DEFAULT), *((n, n) for n in dict.fromkeys(names))])
            if isinstance(chosen, str) and chosen in names:
                choice.value = chosen

    def on_select_changed(self, event: Select.Changed) -> None:
        """Use the chosen device from now on, and remember it (by name: numbers change when
        devices come and go)."""
        device = None if event.value in (DEFAULT, Select.BLANK) else str(event.value)
        field = "input_device" if event.select.id == "mic-choice" else "output_device"
        if getattr(self.settings, field) == device:
            return
        setattr(self.settings, field, device)
        remember = getattr(self.app, "remember", None)
        if callable(remember):
            remember()

    # -- microphone ----------------------------------------------------------------------
    def action_check_microphone(self) -> None:
        if self.busy:
            return
        self.busy = True
        self.query_one("#mic-result", Static).update(
            f"Recording for {sc.RECORD_S:g} seconds: read now!"
        )
        self.run_worker(self._check_microphone, thread=True, group="sound-check")

    def _meter(self, peak_db: float) -> None:
        """A chunk's level (worker thread)."""
        self.app.call_from_thread(
            self.query_one("#meter", ProgressBar).update,
            progress=max(0.0, peak_db - METER_FLOOR_DB),
        )

    def _check_microphone(self) -> None:
        s = self.settings
        check = sc.check_microphone(s.input_device, engine=s.engine, on_level=self._meter)
        lines = check.lines() + ([] if check.ok else ["Press r to try again."])
        self.app.call_from_thread(self._done, "#mic-result", "\n".join(lines))

    # -- speaker -------------------------------------------------------------------------
    def action_check_speaker(self) -> None:
        if self.busy:
            return
        self.busy = True
        self.query_one("#speaker-result", Static).update("Playing…")
        self.run_worker(self._check_speaker, thread=True, group="sound-check")

    def _check_speaker(self) -> None:
        s = self.settings
        reason = sc.check_speaker(s.output_device, s.voice)
        text = reason or (
            f"Played “{sc.TEST_SENTENCE}” If you heard nothing, check the volume. "
            "Press p to play it again."
        )
        self.app.call_from_thread(self._done, "#speaker-result", text)

    def _done(self, widget: str, text: str) -> None:
        self.query_one(widget, Static).update(text)
        self.busy = False

    def action_back(self) -> None:
        self.workers.cancel_group(self, "sound-check")
        self.dismiss(None)
