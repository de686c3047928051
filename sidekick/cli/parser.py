"""The command line of ``sidekick``: one sub-command each, added by the module that runs it."""

from __future__ import annotations

import argparse

from sidekick.cli import assess, progress, reading, system, voices

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


def build_parser() -> argparse.ArgumentParser:
    """Every command, each parsed into ``args.run(args)``, the function that runs it."""
    p = argparse.ArgumentParser(
        prog="sidekick",
        description="Sidekick: an offline reading companion. A child and Sidekick take turns "
        "reading a book aloud; local speech recognition follows the child's reading.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for add in (
        reading.add_app, reading.add_read, voices.add_say, assess.add_assess,
        progress.add_readers, progress.add_report, system.add_books, system.add_models,
        voices.add_listen_test, system.add_check, system.add_setup,
    ):  # fmt: skip
        add(sub)
    return p
