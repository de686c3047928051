"""``sidekick app`` and ``sidekick read``: a child and Sidekick read a book, in the terminal
app or with no UI (scripted runs), with the options both share."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from sidekick.cli.options import SECOND_LISTENER_HELP, add_command, device
from sidekick.cli.progress import print_notes
from sidekick.errors import SidekickError
from sidekick.settings import Settings, Share

if TYPE_CHECKING:
    from sidekick.progress.records import Reader


def add_app(sub: argparse._SubParsersAction) -> None:
    app = add_command(sub, "app", cmd_app, help="the terminal app (the default command)")
    app.add_argument("book", nargs="?", help="open this book directly (file or bundled name)")
    app.add_argument(
        "--child-audio",
        default="mic",
        metavar="WAV_OR_DIR",
        help="use WAV files instead of the microphone",
    )
    app.add_argument(
        "--speaker-out",
        default="speaker",
        metavar="DIR",
        help="write Sidekick's speech to WAV files in DIR instead of the speaker",
    )
    _session_args(app)


def add_read(sub: argparse._SubParsersAction) -> None:
    read = add_command(
        sub, "read", cmd_read, help="read a book with no UI (scripted runs, demos)",
        description="Run the turn loop without the terminal UI. Child turns come from WAV files "
        "(in name order, one per child turn); Sidekick's speech is written as WAV files.",
    )  # fmt: skip
    read.add_argument("book", help="book file or bundled book name")
    read.add_argument(
        "--child-audio",
        required=True,
        metavar="WAV_OR_DIR",
        help="the child's reading: a WAV file, or a folder of WAV files (one per "
        "child turn, in name order); 'mic' for the microphone",
    )
    read.add_argument(
        "--speaker-out",
        required=True,
        metavar="DIR",
        help="folder for Sidekick's speech (one WAV file per turn)",
    )
    read.add_argument("--json", action="store_true", help="one JSON object per event and line")
    read.add_argument(
        "--realtime",
        action="store_true",
        help="feed child audio at real-time pace (default: as fast as possible)",
    )
    _session_args(read)


def _session_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("reading")
    g.add_argument(
        "--share", choices=[s.value for s in Share],
        help="how much the child reads: sidekick = Sidekick reads everything, a-little = the "
        "child reads one page in three, a-lot = up to four pages in a row, take-turns = "
        "alternate pages (default: the reader's own choice, else take-turns)",
    )  # fmt: skip
    g.add_argument(
        "--stall",
        type=float,
        metavar="SECONDS",
        help="wait this long on a word before Sidekick says it (0.5-30; default: the "
        "reader's own choice, else 3)",
    )
    g.add_argument("--start-page", type=int, metavar="N",
                   help="start on this page (default: the app goes on where the reader "
                   "stopped; `read` starts at 1)")  # fmt: skip
    g.add_argument(
        "--reader",
        metavar="NAME",
        help="store this reader's turns in their progress history and use their share and "
        "stall time (see `sidekick readers`)",
    )
    g = p.add_argument_group("voice and listening")
    g.add_argument(
        "--voice", help="Sidekick's voice: storyteller (default when installed) or standard"
    )
    g.add_argument("--rate", type=float, help="speaking rate, 0.5-1.5 (default 1)")
    g.add_argument(
        "--engine",
        choices=["vosk", "pocketsphinx"],
        help="recognizer (default: Vosk if an English model is found)",
    )
    g.add_argument("--vosk-model", metavar="PATH", help="Vosk model directory")
    g.add_argument("--input-device", metavar="DEVICE", help="microphone (sounddevice name/index)")
    g.add_argument("--no-second-listener", action="store_true", help=SECOND_LISTENER_HELP)


def session_settings(
    args: argparse.Namespace, base: Settings | None = None, reader: Reader | None = None,
    **over: object,
) -> Settings:  # fmt: skip
    """``base`` (default: the defaults) with the options given on the command line; the
    ``reader``'s own share and stall time apply unless --share / --stall say otherwise."""
    s = base if base is not None else Settings()  # numbers were checked: check_numbers
    if reader is not None:
        s.use_reader(reader.name, reader.share, reader.stall_s)
    given = {
        "share": Share(args.share) if args.share else None, "stall_s": args.stall,
        "voice": args.voice, "rate": args.rate, "engine": args.engine,
        "vosk_model": args.vosk_model, "input_device": device(args.input_device), **over,
    }  # fmt: skip
    for k, v in given.items():
        if v is not None:
            setattr(s, k, v)
    return s


def open_reader(args: argparse.Namespace) -> tuple[Reader | None, list[str]]:
    """The profile of ``--reader`` (an unknown name is a clear error now, not in the middle of
    a book), and the progress file's notices: the first command after damage says so,
    whichever it is."""
    if not args.reader:
        return None, []
    from sidekick.progress.store import ProgressStore

    with ProgressStore() as store:
        try:
            return store.get_reader(args.reader), store.notices
        except SidekickError:
            print_notes(store.notices)
            raise


def cmd_read(args: argparse.Namespace) -> int:
    from sidekick.books.library import find_book
    from sidekick.headless import run_headless

    reader, notices = open_reader(args)
    print_notes(notices)
    book = find_book(args.book)
    settings = session_settings(
        args, reader=reader, child_audio=args.child_audio, speech_out=args.speaker_out,
        realtime=args.realtime,
    )  # fmt: skip
    run_headless(book, settings, as_json=args.json, start_page=args.start_page or 1)
    return 0


def cmd_app(args: argparse.Namespace) -> int:
    from sidekick.books.library import find_book
    from sidekick.state import load_state
    from sidekick.ui.app import run_app

    reader, notices = open_reader(args)
    book = find_book(args.book) if args.book else None
    state = load_state()
    state.run_with(lambda remembered: session_settings(
        args, remembered, reader, child_audio=args.child_audio, speech_out=args.speaker_out
    ))  # fmt: skip
    run_app(state.settings, book, state, start_page=args.start_page, notices=notices)
    return 0
