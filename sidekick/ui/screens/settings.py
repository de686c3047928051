"""Settings: how much the child reads, wait time, voice, speed, audio in and out."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.validation import Number
from textual.widget import Widget
from textual.widgets import Button, Footer, Header, Input, Label, RadioButton, RadioSet, Select

from sidekick.settings import Settings, Share

STALL_RANGE = (1.0, 10.0)
#: Terminals narrower than this list the share choices one under the other.
NARROW_BELOW = 110
RATE_RANGE = (0.5, 1.5)

SHARE_HELP = {
    Share.SIDEKICK: "Sidekick reads every page; the child listens along.",
    Share.A_LITTLE: "The child reads one page, then Sidekick reads two.",
    Share.A_LOT: "The child reads up to four pages in a row, then Sidekick reads one.",
    Share.TAKE_TURNS: "Page by page, one each. The child starts.",
}

VOICE_LABELS = {
    "standard": "Standard (calm, neutral)",
    "storyteller": "Storyteller (lively, a bit slower)",
}
STORYTELLER_LEARNING = "Storyteller (still learning: often unclear in real books)"


def voice_label(name: str) -> str:
    """The voice's name in the picker; the storyteller says so while it misses the narrator
    bar (see :mod:`sidekick.speaking.narrator`)."""
    if name == "storyteller":
        from sidekick.speaking.registry import storyteller_shortfalls

        if storyteller_shortfalls():
            return STORYTELLER_LEARNING
    return VOICE_LABELS.get(name, name)


def _number(value: float) -> str:
    return f"{value:g}"


def _device_or_files(
    label: str, name: str, modes: list[tuple[str, str]], path: str | None, placeholder: str
) -> Horizontal:
    """A row: the device or files (``modes``: the device's, then the files', as the Select
    ``#NAME-mode``), and the path of the files (``#NAME-path``, editable when files are
    chosen); ``path`` None: the device is chosen."""
    device, files = modes[0][1], modes[1][1]
    return Horizontal(
        Label(label, classes="field-label"),
        Select(modes, value=device if path is None else files, allow_blank=False,
               id=f"{name}-mode"),
        Input(path or "", placeholder=placeholder, disabled=path is None, id=f"{name}-path"),
        classes="row",
    )  # fmt: skip


class SettingsScreen(Screen[bool]):
    """Edits ``settings`` in place when the user saves; dismisses with True on save."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save"),
        Binding("escape", "cancel", "Cancel"),
        Binding("c", "check_sound", "Check sound"),
    ]

    def __init__(self, settings: Settings, voices: list[str]) -> None:
        super().__init__()
        self.settings = settings
        self.voices = list(voices) or ["standard"]

    def compose(self) -> ComposeResult:
        s = self.settings
        file_in = s.child_audio != "mic"
        folder_out = s.speech_out != "speaker"
        voice = s.voice if s.voice in self.voices else self.voices[0]
        yield Header()
        with VerticalScroll(id="settings-form"):
            hint = "Tab moves between choices · Ctrl+S saves · Esc cancels"
            if s.reader:
                hint += f"\nWho reads and the wait before helping are saved as {s.reader}'s own."
            yield Label(hint, id="hint")
            with Horizontal(classes="row"):
                yield Label("Who reads", classes="field-label")
                with RadioSet(id="share"):
                    for share in Share:
                        yield RadioButton(
                            share.label, value=share == s.share, id=f"share-{share.value}"
                        )
            yield Label(SHARE_HELP[s.share], id="share-help")
            with Horizontal(classes="row"):
                yield Label("Wait before helping (1–10 s)", classes="field-label")
                yield Input(
                    _number(s.stall_s),
                    type="number",
                    validators=[Number(*STALL_RANGE)],
                    id="stall",
                )
            with Horizontal(classes="row"):
                yield Label("Sidekick's voice", classes="field-label")
                yield Select(
                    [(voice_label(v), v) for v in self.voices],
                    value=voice,
                    allow_blank=False,
                    id="voice",
                )
            with Horizontal(classes="row"):
                yield Label("Voice speed (0.5–1.5)", classes="field-label")
                yield Input(
                    _number(s.rate), type="number", validators=[Number(*RATE_RANGE)], id="rate"
                )
            yield _device_or_files(
                "Listen to the child", "input", [("Microphone", "mic"), ("File audio", "file")],
                s.child_audio if file_in else None, "WAV file or folder",
            )  # fmt: skip
            yield _device_or_files(
                "Sidekick speaks to", "output", [("Speaker", "speaker"), ("A folder", "folder")],
                s.speech_out if folder_out else None, "folder for WAV files",
            )  # fmt: skip
            yield Label("", id="settings-error")
        with Horizontal(id="buttons"):
            yield Button("Save", variant="primary", id="save")
            yield Button("Cancel", id="cancel")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Settings"
        self.on_resize()
        self.query_one("#settings-error").display = False
        share = self.query_one("#share", RadioSet)
        # Start the keyboard highlight on the chosen option (RadioSet starts on the first).
        if share.pressed_index >= 0 and hasattr(share, "_selected"):
            share._selected = share.pressed_index
        share.focus()

    def on_resize(self) -> None:
        self.set_class(self.app.size.width < NARROW_BELOW, "-narrow")

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        if event.pressed.id is not None:
            share = Share(event.pressed.id.removeprefix("share-"))
            self.query_one("#share-help", Label).update(SHARE_HELP[share])

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "input-mode":
            self.query_one("#input-path", Input).disabled = event.value != "file"
        elif event.select.id == "output-mode":
            self.query_one("#output-path", Input).disabled = event.value != "folder"

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    # -- saving --------------------------------------------------------------------------
    def _fail(self, widget: Widget, message: str) -> None:
        error = self.query_one("#settings-error", Label)
        error.update(message)
        error.display = True
        widget.focus()

    def _read_number(self, input_id: str, bounds: tuple[float, float], what: str) -> float | None:
        field = self.query_one(f"#{input_id}", Input)
        low, high = bounds
        try:
            value = float(field.value)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            self._fail(field, f"{what} must be a number from {_number(low)} to {_number(high)}.")
            return None
        return value

    def action_save(self) -> None:
        """Check every field; store them into the Settings object only when all are good."""
        stall = self._read_number("stall", STALL_RANGE, "Wait before helping")
        if stall is None:
            return
        rate = self._read_number("rate", RATE_RANGE, "Voice speed")
        if rate is None:
            return
        child_audio = "mic"
        if self.query_one("#input-mode", Select).value == "file":
            field = self.query_one("#input-path", Input)
            path = field.value.strip()
            if not path:
                self._fail(field, "File audio: type the path of a WAV file or folder.")
                return
            if not Path(path).expanduser().exists():
                self._fail(field, f"File audio: there is no WAV file or folder at '{path}'.")
                return
            child_audio = path
        speech_out = "speaker"
        if self.query_one("#output-mode", Select).value == "folder":
            field = self.query_one("#output-path", Input)
            path = field.value.strip()
            if not path:
                self._fail(field, "Speech output: type the folder for Sidekick's WAV files.")
                return
            folder = Path(path).expanduser()
            if folder.exists() and not folder.is_dir():
                self._fail(field, f"Speech output: '{path}' is a file, not a folder.")
                return
            speech_out = path
        pressed = self.query_one("#share", RadioSet).pressed_button
        s = self.settings
        if pressed is not None and pressed.id is not None:
            s.share = Share(pressed.id.removeprefix("share-"))
        s.stall_s = stall
        s.rate = rate
        s.voice = str(self.query_one("#voice", Select).value)
        s.child_audio = child_audio
        s.speech_out = speech_out
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)

    def action_check_sound(self) -> None:
        from sidekick.ui.screens.sound_check import SoundCheckScreen

        self.app.push_screen(SoundCheckScreen(self.settings))
