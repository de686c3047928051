"""User settings for a reading session (the settings screen and the CLI both fill this)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from sidekick.speaking.registry import default_voice


class Share(str, Enum):
    """How much of the book the child reads (after Alexa Reading Sidekick's choices)."""

    SIDEKICK = "sidekick"  # Sidekick reads every page; the child listens
    A_LITTLE = "a-little"  # the child reads one page, Sidekick reads the next two
    A_LOT = "a-lot"  # the child reads up to four pages in a row, then Sidekick reads one
    TAKE_TURNS = "take-turns"  # strict alternation, child first

    @property
    def label(self) -> str:
        return {
            "sidekick": "Sidekick reads",
            "a-little": "A little",
            "a-lot": "A lot",
            "take-turns": "Take turns",
        }[self.value]


@dataclass
class Settings:
    share: Share = Share.TAKE_TURNS
    stall_s: float = 3.0  # seconds without progress before Sidekick says the stuck word
    voice: str = field(default_factory=default_voice)  # the storyteller when installed
    rate: float = 1.0  # speaking rate multiplier for Sidekick's voice
    #: "mic" for the microphone, or a WAV file / folder of WAV files (one per child turn).
    child_audio: str = "mic"
    #: "speaker", or a folder where Sidekick's speech is written as WAV files.
    speech_out: str = "speaker"
    input_device: int | str | None = None  # sounddevice device; None = system default
    output_device: int | str | None = None  # sounddevice device; None = system default
    vosk_model: str | None = None  # explicit Vosk model directory
    engine: str | None = None  # "vosk" or "pocketsphinx"; None = best available
    realtime: bool = True  # feed WAV child audio at real-time pace (False: as fast as possible)
    #: The reader (profile) whose turns are stored in the progress history; None: a guest,
    #: whose turns are not stored.
    reader: str | None = None

    def use_reader(self, name: str | None, share: str | None = None,
                   stall_s: float | None = None) -> None:  # fmt: skip
        """Read as ``name`` (None: a guest) with that reader's own share and stall time."""
        self.reader = name
        if share is not None:
            self.share = Share(share)
        if stall_s is not None:
            self.stall_s = float(stall_s)
