"""``sidekick say`` (text into a WAV file) and ``sidekick listen-test`` (a blind A/B test of
two voices)."""

from __future__ import annotations

import argparse

from sidekick.cli.options import add_command, device
from sidekick.errors import SidekickError
from sidekick.paths import check_output_file
from sidekick.speaking.registry import default_voice

MAX_SAY_CHARS = 20_000  # the text of `sidekick say`


def add_say(sub: argparse._SubParsersAction) -> None:
    say = add_command(sub, "say", cmd_say, help="speak text into a WAV file")
    say.add_argument("text")
    say.add_argument("-o", "--output", required=True, metavar="WAV", help="a new .wav file")
    say.add_argument("--voice", help="storyteller (default when installed) or standard")
    say.add_argument("--style", help="voice style, e.g. storytelling or neutral")
    say.add_argument("--rate", type=float, default=1.0, help="speaking rate, 0.5-1.5")


def add_listen_test(sub: argparse._SubParsersAction) -> None:
    from sidekick.paths import data_dir

    results = data_dir() / "voice-preference"
    lt = add_command(
        sub, "listen-test", cmd_listen_test,
        help="blind A/B test: which voice would you rather hear read a story?",
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
  Both versions of a passage are played at the same loudness, on the speaker chosen in
  the app's Settings (or --output-device; else the system's default). With --speech-out,
  each version is written as a WAV file instead (numbered in play order); with no
  speaker, --speech-out is needed (nothing is written anywhere else).

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
    lt.add_argument("--output-device", metavar="DEVICE", help="speaker (number or name; "
                    "default: the one chosen in the app's Settings)")  # fmt: skip


def cmd_say(args: argparse.Namespace) -> int:
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


def cmd_listen_test(args: argparse.Namespace) -> int:
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
    from sidekick.state import load_state

    chosen = load_state().settings.output_device  # the speaker chosen in Settings
    output = device(args.output_device) if args.output_device else chosen
    preference.check_output(speech_out, output)  # before the screen opens
    from sidekick.ui.screens.listen_test import run_listen_test

    result = run_listen_test(test, speech_out, output)
    if result is not None:
        print(result.headline())
        print(result.reading())
        print(result.statistics())
        if result.path is not None:
            print(f"Saved: {result.path}")
    return 0
