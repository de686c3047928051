"""The ``sidekick`` command. Every user-facing failure is one line on stderr, no traceback."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sidekick.errors import SidekickError
from sidekick.paths import check_output_file
from sidekick.settings import Settings, Share
from sidekick.speaking.registry import default_voice

if TYPE_CHECKING:
    from sidekick.progress.records import Reader

EXAMPLES = """\
examples:
  sidekick                                  open the library and read with a child
  sidekick app sam-and-the-red-hat          open a book directly
  sidekick readers add Mia --grade 1        a reader profile; then: sidekick --reader Mia
  sidekick read BOOK --child-audio kid.wav --speaker-out out/ --json
  sidekick assess --book BOOK --page 1 --audio kid.wav    score a recorded reading
  sidekick report --format html -o class.html             progress of all readers
  sidekick say "Once upon a time." -o hello.wav
  sidekick models install                   get the English Vosk model (40 MB)
  sidekick listen-test --a voices/NAME      blind A/B test: which voice tells a story better?
  sidekick check                            check the microphone and speaker

Nothing is sent anywhere, and the child's voice is never written to disk.
"""


#: The numbers commands accept: option -> (flag, lowest, highest). Anything else (nan and
#: inf included) is refused with one plain line before any work starts.
RANGES: dict[str, tuple[str, float, float]] = {
    "rate": ("--rate", 0.5, 1.5),  # speaking rate
    "stall": ("--stall", 0.5, 30.0),  # seconds on a word before Sidekick says it
    "start_page": ("--start-page", 1, 100_000),
    "page": ("--page", 1, 100_000),
    "trials": ("--trials", 1, 1_000),
}
MAX_SAY_CHARS = 20_000  # the text of `sidekick say`


def check_numbers(args: argparse.Namespace) -> None:
    """Refuse a number out of its range (:data:`RANGES`) in plain words."""
    for name, (flag, low, high) in RANGES.items():
        value = getattr(args, name, None)
        if value is not None and not (math.isfinite(value) and low <= value <= high):
            raise SidekickError(f"{flag} must be a number from {low:g} to {high:g} (not {value}).")


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


SECOND_LISTENER_HELP = (
    "check readings with the recognizer alone, without Whisper's second opinion on doubtful "
    "words (about 1 s less at the end of each page on a slow computer)"
)


def _device(spec: str | None) -> int | str | None:
    """A device given on the command line: its number, or (part of) its name."""
    return int(spec) if spec is not None and spec.isdigit() else spec


def _settings(
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
        "vosk_model": args.vosk_model, "input_device": _device(args.input_device), **over,
    }  # fmt: skip
    for k, v in given.items():
        if v is not None:
            setattr(s, k, v)
    return s


def _open_reader(args: argparse.Namespace) -> tuple[Reader | None, list[str]]:
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
            _print_notes(store.notices)
            raise


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="sidekick",
        description="Sidekick: an offline reading companion. A child and Sidekick take turns "
        "reading a book aloud; local speech recognition follows the child's reading.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    app = sub.add_parser("app", help="the terminal app (the default command)")
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

    read = sub.add_parser(
        "read", help="read a book with no UI (scripted runs, demos)",
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

    say = sub.add_parser("say", help="speak text into a WAV file")
    say.add_argument("text")
    say.add_argument("-o", "--output", required=True, metavar="WAV", help="a new .wav file")
    say.add_argument("--voice", help="storyteller (default when installed) or standard")
    say.add_argument("--style", help="voice style, e.g. storytelling or neutral")
    say.add_argument("--rate", type=float, default=1.0, help="speaking rate, 0.5-1.5")

    assess = sub.add_parser(
        "assess", help="score a recorded reading: miscues, WCPM, accuracy",
        description="Check a recorded reading word by word, the way a teacher scores oral "
        "reading: each word correct, self-corrected, omitted, substituted or assisted (a "
        "hesitation longer than --stall), or unclear (not sure: the recording was too unclear "
        "to call it an error, so it counts as read), insertions and repetitions logged (not "
        "errors), and "
        "words correct per minute, accuracy and the band (independent >= 95%, instructional "
        "90-94%, frustration < 90%).",
    )  # fmt: skip
    what = assess.add_mutually_exclusive_group(required=True)
    what.add_argument("--book", help="book file or bundled book name (with --page)")
    what.add_argument("--text", help="the passage that was read")
    assess.add_argument("--page", type=int, default=1, help="page of --book (default 1)")
    assess.add_argument(
        "--audio",
        required=True,
        metavar="CLIP.wav",
        help="the reading: WAV, FLAC or OGG, any sample rate (stereo is mixed down)",
    )
    assess.add_argument(
        "--engine",
        choices=["vosk", "pocketsphinx"],
        help="recognizer (default: Vosk if an English model is found, else pocketsphinx)",
    )
    assess.add_argument("--vosk-model", metavar="PATH", help="Vosk model directory")
    assess.add_argument(
        "--stall",
        type=float,
        default=3.0,
        metavar="SECONDS",
        help="a pause longer than this before a word marks it assisted (0.5-30, default 3, DIBELS)",
    )
    assess.add_argument("--no-second-listener", action="store_true", help=SECOND_LISTENER_HELP)
    assess.add_argument("--json", action="store_true", help="print one JSON object")

    readers = sub.add_parser(
        "readers", help="reader profiles: list, add, remove",
        description="Reader profiles. Each child turn of a reader is stored on this computer "
        "(scores and words only, never audio) for progress reports.",
    )  # fmt: skip
    rsub = readers.add_subparsers(dest="action", metavar="ACTION")
    rsub.add_parser("list", help="list readers (the default)")
    add = rsub.add_parser("add", help="add a reader")
    add.add_argument("name")
    add.add_argument("--grade", help="school grade: K or 1-12")
    add.add_argument("--share", choices=[s.value for s in Share], default=Share.TAKE_TURNS.value)
    add.add_argument("--stall", type=float, default=3.0, metavar="SECONDS")
    rm = rsub.add_parser("remove", help="remove a reader and their history")
    rm.add_argument("name")
    rm.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    report = sub.add_parser(
        "report", help="progress report: one row per turn (CSV, JSON or HTML)",
        description="Write a progress report, one row per child turn: words correct per "
        "minute, accuracy and band, errors by type. Without --reader: all readers (a class "
        "export).",
    )  # fmt: skip
    report.add_argument("--reader", metavar="NAME")
    report.add_argument("--format", choices=["csv", "json", "html"], default="csv")
    report.add_argument("-o", "--output", metavar="FILE", help="default: standard output")

    books = sub.add_parser("books", help="list the books in the library")
    books.set_defaults(command="books")

    models = sub.add_parser("models", help="speech recognition models")
    models.add_argument(
        "action",
        choices=["install", "status"],
        help="install: download the small English Vosk model (checksum-verified)"
        "; status: which model would be used",
    )
    models.add_argument("--vosk-model", metavar="PATH")

    _listen_test_args(sub)

    check = sub.add_parser(
        "check", help="check the microphone and speaker (lists them, records 3 s, plays a "
        "sentence)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="""\
Check that Sidekick can hear and be heard:
  1. lists the microphones and speakers this computer has;
  2. records 3 seconds while you read a sentence aloud, then shows how loud it was and
     which words the recognizer understood;
  3. says a test sentence on the speaker.
Nothing is written to disk. Exits with 1 and the reasons when something needs fixing.""",
        epilog="""\
examples:
  sidekick check
  sidekick check --input-device 2 --output-device 2    numbers from the list it shows
  sidekick check --no-speaker                           only the microphone""",
    )  # fmt: skip
    check.add_argument("--input-device", metavar="DEVICE", help="microphone (number or name)")
    check.add_argument("--output-device", metavar="DEVICE", help="speaker (number or name)")
    check.add_argument("--seconds", type=float, default=3.0, help="how long to record (3)")
    check.add_argument("--engine", choices=["vosk", "pocketsphinx"], help="recognizer")
    check.add_argument("--voice", help="the voice for the test sentence")
    check.add_argument("--no-microphone", action="store_true", help="skip the microphone")
    check.add_argument("--no-speaker", action="store_true", help="skip the speaker")

    setup = sub.add_parser(
        "setup",
        help="install missing system packages (libportaudio2 for the microphone and speaker)",
    )
    setup.add_argument(
        "--for-tests",
        action="store_true",
        help="also what the tests need: flite (held-out voices), strace (the no-network "
        "test) and PulseAudio with ALSA's "
        "pulse plugin (the virtual microphone and speaker)",
    )
    return p


def _listen_test_args(sub: argparse._SubParsersAction) -> None:
    from sidekick.paths import data_dir

    results = data_dir() / "voice-preference"
    lt = sub.add_parser(
        "listen-test", help="blind A/B test: which voice would you rather hear read a story?",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="""\
A blind listening test of two voices. Each of N short passages (from the bundled books, or
--sentences FILE) is read in both voices, in a random order, as "Voice 1" then "Voice 2";
which voice is which is shown only at the end. For each passage, answer:
  Which voice would you rather hear read a story to a child?""",
        epilog=f"""\
keys:
  1  prefer Voice 1      2  prefer Voice 2      0 or n  no preference
  r  hear both again     Esc  stop (the answers so far are saved and shown)

results:
  The preferences per voice, the no-preference count and an exact two-sided sign test
  (binomial, p = 0.5, over the passages with a preference) are shown at the end and saved
  as JSON (answers and passages, never audio) in
  {results}/
  Both versions of a passage are played at the same loudness. With --speech-out, each
  version is written as a WAV file instead (numbered in play order); with no speaker,
  --speech-out is needed (nothing is written anywhere else).

examples:
  sidekick listen-test                          storyteller vs standard, 10 passages
  sidekick listen-test --a voices/tiny --trials 20 --seed 7
  sidekick listen-test --sentences lines.txt --speech-out ab/
""",
    )  # fmt: skip
    lt.add_argument("--a", metavar="VOICE", help="voice A: a name or a bundle folder "
                    "(default: storyteller)")  # fmt: skip
    lt.add_argument("--b", metavar="VOICE", default="standard",
                    help="voice B: a name or a bundle folder (default: standard)")  # fmt: skip
    lt.add_argument("--trials", type=int, default=10, metavar="N",
                    help="passages to judge (default 10)")  # fmt: skip
    lt.add_argument("--seed", type=int, metavar="S",
                    help="seed for the passages and orders (default: random, saved)")  # fmt: skip
    lt.add_argument("--sentences", metavar="FILE", help="passages to use, one per line")
    lt.add_argument("--speech-out", metavar="DIR",
                    help="write each version as a WAV file in DIR, not to the speaker")  # fmt: skip


def _cmd_listen_test(args: argparse.Namespace) -> int:
    from sidekick.speaking import preference
    from sidekick.speaking.registry import available_voices

    installed = available_voices()
    a = args.a
    if a is None:
        if "storyteller" not in installed:
            raise SidekickError(
                "The storyteller voice is not installed: choose voice A with --a NAME or "
                f"--a BUNDLE_FOLDER (installed: {', '.join(installed)})."
            )
        a = "storyteller"
    for spec in (a, args.b):
        preference.check_voice(spec, installed)
    if preference.voice_label(a) == preference.voice_label(args.b):
        raise SidekickError(f"--a and --b are both '{preference.voice_label(a)}'.")
    passages = preference.read_passages(args.sentences) if args.sentences else None
    test = preference.plan_test(a, args.b, trials=args.trials, seed=args.seed, passages=passages)
    speech_out = args.speech_out or "speaker"
    preference.check_output(speech_out)  # before the screen opens
    from sidekick.ui.screens.listen_test import run_listen_test

    result = run_listen_test(test, speech_out)
    if result is not None:
        print(result.headline())
        print(result.reading())
        print(result.statistics())
        if result.path is not None:
            print(f"Saved: {result.path}")
    return 0


def _cmd_say(args: argparse.Namespace) -> int:
    import numpy as np
    import soundfile as sf

    from sidekick.speaking.registry import load_voice

    out = check_output_file(args.output, (".wav",))
    if len(args.text) > MAX_SAY_CHARS:
        raise SidekickError(
            f"The text is too long to say ({len(args.text):,} characters); the limit is "
            f"{MAX_SAY_CHARS:,}."
        )
    voice = load_voice(args.voice or default_voice())
    parts = []
    for spoken in voice.speak(args.text, style=args.style, rate=args.rate):
        parts += [spoken.audio, np.zeros(int(0.3 * voice.sample_rate), dtype=np.float32)]
    if not parts:
        raise SidekickError("Nothing to say: the text has no words.")
    try:
        sf.write(out, np.concatenate(parts), voice.sample_rate)
    except (OSError, RuntimeError) as exc:
        raise SidekickError(f"Could not write {out}: {exc}") from exc
    print(out)
    return 0


def _cmd_assess(args: argparse.Namespace) -> int:
    import json

    from sidekick.audio.sources import WavFileSource
    from sidekick.books.library import find_book
    from sidekick.reading.assess import Assessor
    from sidekick.reading.degenerate import check_for_reading

    source = WavFileSource(Path(args.audio), realtime=False)  # the header, before the book
    if args.text is not None:
        from sidekick.books.parse import parse_book_text

        book = parse_book_text(args.text, name="--text")
        words = [w.text for p in book.pages for w in p.words]
    else:
        book = find_book(args.book)
        if not 1 <= args.page <= len(book.pages):
            raise SidekickError(f"'{book.title}' has pages 1 to {len(book.pages)}.")
        words = [w.text for w in book.pages[args.page - 1].words]
    for note in book.notes:
        print(f"note: {note}", file=sys.stderr)
    pcm = b"".join(source.chunks())
    check_for_reading(pcm)  # before the recognizer is loaded
    assessor = Assessor(args.engine, args.vosk_model, stall_s=args.stall)
    if assessor.notice and not args.json:
        print(f"note: {assessor.notice}", file=sys.stderr)
    result = assessor.assess_pcm(words, pcm)
    if args.json:
        print(json.dumps({"engine": assessor.engine_name, **result.to_json()}))
        return 0
    for w in result.words:
        status = "not sure" if w.status == "unclear" else w.status
        mark = "" if w.status == "correct" else f"  <- {status}"
        heard = f" (heard '{w.heard}')" if w.heard else ""
        print(f"{w.index:4}  {w.word:16}{heard}{mark}")
    for kind in ("insertions", "repetitions"):
        if items := getattr(result, kind):
            print(f"{kind}: {', '.join(i['word'] for i in items)}")
    s = result.summary()
    print(
        f"\n{s['words_correct']}/{len(words)} correct"
        + (f" ({s['unclear']} not sure)" if s["unclear"] else "")
        + f", {s['errors']} errors, "
        f"accuracy {s['accuracy']:.0%} ({s['band']}), {s['wcpm']} WCPM "
        f"over {s['duration_s']} s  [{assessor.engine_name}]"
    )
    return 0


def _print_notes(notices: list[str]) -> None:
    """What opening the progress store did that the user must hear of (``store.notices``),
    on stderr."""
    for line in notices:
        print(f"note: {line}", file=sys.stderr)


def _cmd_readers(args: argparse.Namespace) -> int:
    from sidekick.progress.store import ProgressStore

    with ProgressStore() as store:
        _print_notes(store.notices)
        if args.action == "add":
            grade: int | str | None = args.grade
            if isinstance(grade, str) and grade.isdigit():
                grade = int(grade)
            r = store.add_reader(args.name, grade=grade, share=args.share, stall_s=args.stall)
            print(f"Added {r.name}.")
        elif args.action == "remove":
            if not args.yes:
                if not sys.stdin.isatty():
                    raise SidekickError("Add --yes to remove a reader without a prompt.")
                answer = input(f"Remove {args.name} and all their reading history? [y/N] ")
                if answer.strip().lower() not in ("y", "yes"):
                    print("Nothing removed.")
                    return 0
            n = store.remove_reader(args.name)
            print(f"Removed {args.name} ({n} turns).")
        else:
            readers = store.list_readers()
            if not readers:
                print("No readers yet. Add one: sidekick readers add NAME --grade 2")
            for r in readers:
                turns = store.turn_count(r.name)
                print(f"{r.name:24} grade {r.grade_label or '-':3} {r.share:11} {turns:5} turns")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from sidekick.progress.reports import write_report
    from sidekick.progress.store import ProgressStore

    if args.output:
        check_output_file(args.output)  # before anything is read
    with ProgressStore() as store:
        _print_notes(store.notices)
        if args.reader:
            store.get_reader(args.reader)  # a clear error for an unknown name
        n = write_report(store, args.format, args.output or sys.stdout, reader=args.reader)
    if args.output:
        print(f"{n} turns -> {args.output}", file=sys.stderr)
    return 0


def _cmd_books() -> int:
    from sidekick.books.library import list_books

    books, problems = list_books()
    for b in books:
        where = "bundled" if b.bundled else str(b.path)
        print(f"{b.title:40} {b.level or '-':16} {len(b.pages):3} pages  {where}")
    for line in problems:
        print(f"problem: {line}", file=sys.stderr)
    return 0


def _cmd_models(args: argparse.Namespace) -> int:
    from sidekick.listening import models

    if args.action == "install":
        print(models.install_vosk_model())
        return 0
    found = models.find_vosk_model(args.vosk_model)
    print(
        f"Vosk English model: {found}"
        if found
        else "No English Vosk model: pocketsphinx is used. Run `sidekick models install`."
    )
    return 0


def run(argv: list[str]) -> int:
    from sidekick.private_files import sweep

    sweep()  # what a killed session left of a child's voice, before anything else
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        argv = ["app", *argv]  # `sidekick --reader Mia` is `sidekick app --reader Mia`
    args = build_parser().parse_args(argv)
    check_numbers(args)
    if getattr(args, "no_second_listener", False):
        from sidekick.listening.second_listener import disable

        disable()
    if args.command == "say":
        return _cmd_say(args)
    if args.command == "books":
        return _cmd_books()
    if args.command == "assess":
        return _cmd_assess(args)
    if args.command == "readers":
        return _cmd_readers(args)
    if args.command == "report":
        return _cmd_report(args)
    if args.command == "models":
        return _cmd_models(args)
    if args.command == "listen-test":
        return _cmd_listen_test(args)
    if args.command == "check":
        from sidekick.sound_check import run_check

        return run_check(
            _device(args.input_device), _device(args.output_device), seconds=args.seconds,
            engine=args.engine, voice=args.voice, microphone=not args.no_microphone,
            speaker=not args.no_speaker,
        )  # fmt: skip
    if args.command == "setup":
        from sidekick.setup_system import install_system_packages

        return install_system_packages(for_tests=args.for_tests)
    from sidekick.books.library import find_book

    reader, notices = _open_reader(args)
    if args.command == "read":
        _print_notes(notices)
        from sidekick.headless import run_headless

        book = find_book(args.book)
        settings = _settings(
            args, reader=reader, child_audio=args.child_audio, speech_out=args.speaker_out,
            realtime=args.realtime,
        )  # fmt: skip
        run_headless(book, settings, as_json=args.json, start_page=args.start_page or 1)
        return 0
    from sidekick.state import load_state
    from sidekick.ui.app import run_app

    book = find_book(args.book) if args.book else None
    state = load_state()
    state.run_with(lambda remembered: _settings(
        args, remembered, reader, child_audio=args.child_audio, speech_out=args.speaker_out
    ))  # fmt: skip
    run_app(state.settings, book, state, start_page=args.start_page, notices=notices)
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        return run(sys.argv[1:] if argv is None else argv)
    except SidekickError as exc:
        print(f"sidekick: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
