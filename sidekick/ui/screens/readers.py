"""Who is reading? Pick the reader whose turns are saved, or add one (keyboard only).

The choice goes into ``settings.reader`` (the session stores that reader's checked turns);
"Guest" reads without saving anything. The screen dismisses with True when a reader (or
Guest) was chosen, False on Esc. Readers are removed with ``sidekick readers remove``,
never from here, so a child cannot delete a history by accident.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, OptionList, Static
from textual.widgets.option_list import Option

from sidekick.errors import SidekickError
from sidekick.progress.records import Reader
from sidekick.progress.store import ProgressStore
from sidekick.settings import Settings

NOBODY = "__nobody__"
GUEST_LABEL = "Guest, not saved"


class ReadersScreen(Screen[bool]):
    """A list of readers: Enter chooses, ``a`` adds one (name and grade)."""

    BINDINGS = [
        Binding("a", "add", "Add a reader"),
        Binding("escape", "back", "Library"),
    ]

    def __init__(
        self, store: ProgressStore, settings: Settings, *, reading: str | None = None
    ) -> None:
        """``reading``: the title of the book about to be opened (asked before a session)."""
        super().__init__()
        self.store = store
        self.settings = settings
        self.reading = reading
        self.readers: list[Reader] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="readers-body"):
            title = f"Who is reading “{self.reading}”?" if self.reading else "Who is reading?"
            yield Static(title, id="readers-title")
            yield Static("Choose with ↑ ↓ and Enter. Each reader's turns are saved on this "
                         "computer only.", id="readers-hint")  # fmt: skip
            yield OptionList(id="reader-list")
            with Horizontal(id="add-row"):
                yield Static("Name:", classes="add-label")
                yield Input(placeholder="e.g. Mia", id="new-reader", max_length=40)
                yield Static("Grade (K, 1-12):", classes="add-label")
                yield Input(placeholder="optional", id="new-grade", max_length=12)
            yield Static("", id="readers-error")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Readers"
        self.query_one("#add-row").display = False
        self.refresh_list()
        self.query_one("#reader-list").focus()

    def refresh_list(self, select: str | None = None) -> None:
        """Reload the readers; highlight ``select`` (default: the current reader)."""
        try:
            self.readers = self.store.list_readers()
        except SidekickError as exc:
            self._error(str(exc))
            self.readers = []
        current = select or self.settings.reader
        options = [
            Option(
                f"{'✓ ' if r.name == self.settings.reader else '  '}{r.name}"
                + (f"  (grade {r.grade_label})" if r.grade_label else ""),
                id=f"reader-{i}",
            )
            for i, r in enumerate(self.readers)
        ]
        mark = "  " if self.settings.reader else "✓ "
        options.append(Option(f"{mark}{GUEST_LABEL} (reading is not remembered)", id=NOBODY))
        picker = self.query_one("#reader-list", OptionList)
        picker.clear_options()
        picker.add_options(options)
        names = [r.name for r in self.readers]
        picker.highlighted = names.index(current) if current in names else len(names)

    def _error(self, text: str) -> None:
        self.query_one("#readers-error", Static).update(text)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        option_id = event.option.id or ""
        if option_id == NOBODY:
            self.settings.use_reader(None)
            note = "Reading as a guest: nothing is saved."
        else:
            reader = self.readers[int(option_id.rpartition("-")[2])]
            self.settings.use_reader(reader.name, reader.share, reader.stall_s)
            note = f"{reader.name} is reading. Their turns are saved."
        if self.reading is None:  # before a book the reader's name is in its title instead
            self.notify(note, title="Readers")
        self.dismiss(True)

    def action_add(self) -> None:
        self.query_one("#add-row").display = True
        self.query_one("#new-reader", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        name_input = self.query_one("#new-reader", Input)
        grade_input = self.query_one("#new-grade", Input)
        if event.input is name_input and not grade_input.value.strip():
            grade_input.focus()  # Enter after the name goes on to the grade
            return
        grade = grade_input.value.strip() or None
        try:
            reader = self.store.add_reader(name_input.value.strip(), grade=grade)
        except SidekickError as exc:
            self._error(str(exc))
            return
        self._error("")
        name_input.value = grade_input.value = ""
        self.query_one("#add-row").display = False
        self.refresh_list(select=reader.name)
        self.query_one("#reader-list").focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # While a name is typed, "a" is a letter, not "Add a reader".
        return not (action == "add" and isinstance(self.focused, Input))

    def action_back(self) -> None:
        if self.query_one("#add-row").display:
            self.query_one("#add-row").display = False
            self._error("")
            self.query_one("#reader-list").focus()
            return
        self.dismiss(False)
