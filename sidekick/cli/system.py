"""What this computer has: ``sidekick books`` (the library), ``sidekick models`` (speech
recognition models), ``sidekick check`` (microphone and speaker) and ``sidekick setup``
(missing system packages)."""

from __future__ import annotations

import argparse
import sys

from sidekick.cli.options import add_command, device


def add_books(sub: argparse._SubParsersAction) -> None:
    add_command(sub, "books", cmd_books, help="list the books in the library")


def add_models(sub: argparse._SubParsersAction) -> None:
    models = add_command(sub, "models", cmd_models, help="speech recognition models")
    models.add_argument(
        "action",
        choices=["install", "status"],
        help="install: download the small English Vosk model (checksum-verified)"
        "; status: which model would be used",
    )
    models.add_argument("--vosk-model", metavar="PATH")


def add_check(sub: argparse._SubParsersAction) -> None:
    check = add_command(
        sub, "check", cmd_check,
        help="check the microphone and speaker (lists them, records 3 s, plays a sentence)",
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


def add_setup(sub: argparse._SubParsersAction) -> None:
    setup = add_command(
        sub,
        "setup",
        cmd_setup,
        help="install missing system packages (libportaudio2 for the microphone and speaker)",
    )
    setup.add_argument(
        "--for-tests",
        action="store_true",
        help="also what the tests need: flite (held-out voices), strace (the no-network "
        "test) and PulseAudio with ALSA's "
        "pulse plugin (the virtual microphone and speaker)",
    )


def cmd_books(args: argparse.Namespace) -> int:
    from sidekick.books.library import list_books

    books, problems = list_books()
    for b in books:
        where = "bundled" if b.bundled else str(b.path)
        print(f"{b.title:40} {b.level or '-':16} {len(b.pages):3} pages  {where}")
    for line in problems:
        print(f"problem: {line}", file=sys.stderr)
    return 0


def cmd_models(args: argparse.Namespace) -> int:
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


def cmd_check(args: argparse.Namespace) -> int:
    from sidekick.sound_check import run_check

    return run_check(
        device(args.input_device), device(args.output_device), seconds=args.seconds,
        engine=args.engine, voice=args.voice, microphone=not args.no_microphone,
        speaker=not args.no_speaker,
    )  # fmt: skip


def cmd_setup(args: argparse.Namespace) -> int:
    from sidekick.setup_system import install_system_packages

    return install_system_packages(for_tests=args.for_tests)
