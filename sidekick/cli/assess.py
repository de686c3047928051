"""``sidekick assess``: score a recorded reading word by word, the way a teacher scores oral
reading."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sidekick.cli.options import SECOND_LISTENER_HELP, add_command
from sidekick.errors import SidekickError


def add_assess(sub: argparse._SubParsersAction) -> None:
    assess = add_command(
        sub, "assess", cmd_assess, help="score a recorded reading: miscues, WCPM, accuracy",
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


def cmd_assess(args: argparse.Namespace) -> int:
    import json

    from sidekick.audio.sources import WavFileSource
    from sidekick.books.library import find_book
    from sidekick.reading.assessor import Assessor
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
