"""The blind voice preference test (``sidekick listen-test``): statistics, trial plans, the
saved results, the CLI, and the Textual screen driven with real voices writing WAV files.
"""

from __future__ import annotations

import json
import random
from fractions import Fraction
from math import comb
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given
from hypothesis import strategies as st
from textual.widgets import Static

from sidekick.cli import main
from sidekick.errors import SidekickError
from sidekick.paths import data_dir
from sidekick.speaking import preference as pref
from sidekick.speaking.preference import (
    FIRST,
    NO_PREFERENCE,
    SECOND,
    PreferencePlayer,
    PreferenceTest,
    Trial,
    sign_test_p,
)
from sidekick.ui.screens.listen_test import ListenTestApp, ListenTestScreen
from tests import test_bundle_voice
from tests.helpers.ui import SCREEN_SIZES, pilot_test, wait_for

bundle = test_bundle_voice.bundle  # the session fixture: a tiny trained voice bundle
SIZE = (110, 32)
SYNTH_TIMEOUT = 180.0  # the machine may be busy: synthesis of two short passages


# -- the sign test ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("k", "n", "p"),
    [(7, 7, 0.015625), (0, 7, 0.015625), (6, 6, 0.03125), (5, 5, 0.0625), (8, 10, 0.109375),
     (1, 10, 0.021484375), (9, 10, 0.021484375), (3, 6, 1.0), (0, 0, 1.0), (0, 1, 1.0),
     (15, 20, 0.04138946533203125)],
)  # fmt: skip
def test_sign_test_known_values(k: int, n: int, p: float) -> None:
    assert sign_test_p(k, n) == pytest.approx(p, abs=1e-12)


@given(st.integers(0, 200).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_sign_test_is_the_exact_two_sided_binomial(kn: tuple[int, int]) -> None:
    k, n = kn
    p = sign_test_p(k, n)
    assert 0.0 <= p <= 1.0
    assert p == sign_test_p(n - k, n)
    if 2 * k == n:
        assert p == 1.0
    # Two-sided: the probability of every outcome at most as likely as the one observed.
    exact = sum(Fraction(comb(n, i), 2**n) for i in range(n + 1) if comb(n, i) <= comb(n, k))
    assert p == pytest.approx(float(min(exact, 1)), rel=1e-9)
    if k < n / 2:  # a more lopsided split is never less significant
        assert sign_test_p(k, n) <= sign_test_p(k + 1, n)


def test_sign_test_rejects_impossible_counts() -> None:
    for k, n in ((3, 2), (-1, 4), (0, -1)):
        with pytest.raises(ValueError):
            sign_test_p(k, n)


# -- passages and trial plans -----------------------------------------------------------------
def test_book_passages_are_short_runs_of_sentences() -> None:
    pool = pref.book_passages()
    assert len(pool) >= pref.DEFAULT_TRIALS and len(set(pool)) == len(pool)
    for passage in pool:
        assert pref.MIN_WORDS <= len(passage.split()) <= pref.MAX_WORDS, passage
    assert "Sam has a new hat. The hat is red. It has a big blue dot on top." in pool


@given(st.lists(st.integers(1, 20), max_size=30))
def test_group_sentences_joins_whole_consecutive_sentences(lengths: list[int]) -> None:
    sentences = [" ".join(f"w{i}x{j}" for j in range(n)) + "." for i, n in enumerate(lengths)]
    passages = pref.group_sentences(sentences, min_words=8, max_words=20)
    start = 0
    for p in passages:  # each passage is sentences[i:j], in order, never overlapping
        i = next(i for i in range(start, len(sentences)) if p.startswith(sentences[i]))
        j = next(j for j in range(i + 1, len(sentences) + 1) if " ".join(sentences[i:j]) == p)
        start = j
        assert len(p.split()) >= 8
        assert len(p.split()) <= 20 or j == i + 1  # only a single long sentence is longer
    if sum(lengths) >= 20:
        assert passages


def test_read_passages_one_per_line(tmp_path: Path) -> None:
    f = tmp_path / "lines.txt"
    f.write_text("Once upon a time.\n\n  The   end.  \nOnce upon a time.\n", encoding="utf-8")
    assert pref.read_passages(f) == ["Once upon a time.", "The end."]
    (tmp_path / "empty.txt").write_text("\n \n")
    with pytest.raises(SidekickError, match="no passages"):
        pref.read_passages(tmp_path / "empty.txt")
    with pytest.raises(SidekickError, match="Cannot read"):
        pref.read_passages(tmp_path / "missing.txt")


def test_choose_passages_needs_enough() -> None:
    rng = random.Random(1)
    assert sorted(pref.choose_passages(["x", "y", "z"], 3, rng)) == ["x", "y", "z"]
    with pytest.raises(SidekickError, match="Only 3 passages"):
        pref.choose_passages(["x", "y", "z"], 4, rng)
    with pytest.raises(SidekickError, match="at least 1"):
        pref.choose_passages(["x"], 0, rng)


@given(st.integers(1, 40), st.integers(0, 2**31))
def test_orders_are_random_but_balanced(n: int, seed: int) -> None:
    passages = [f"Passage {i}." for i in range(n)]
    trials = pref.plan_trials(passages, random.Random(seed))
    assert [t.number for t in trials] == list(range(1, n + 1))
    assert [t.passage for t in trials] == passages
    assert {t.order for t in trials} <= {("a", "b"), ("b", "a")}
    a_first = sum(t.order == ("a", "b") for t in trials)
    assert abs(a_first - (n - a_first)) <= 1
    assert trials == pref.plan_trials(passages, random.Random(seed))


def test_plan_test_is_reproducible_from_its_seed() -> None:
    one = pref.plan_test("storyteller", "standard", trials=6, seed=42)
    two = pref.plan_test("storyteller", "standard", trials=6, seed=42)
    assert one.trials == two.trials and one.seed == 42
    orders = {t.order for t in pref.plan_test("x", "y", trials=6).trials}
    assert orders == {("a", "b"), ("b", "a")}  # balanced, so both appear
    assert pref.plan_test("x", "y", trials=6).seed != pref.plan_test("x", "y", trials=6).seed


# -- answers, results, saving -----------------------------------------------------------------
def test_answers_map_back_through_the_order() -> None:
    ab, ba = Trial(1, "p", ("a", "b")), Trial(2, "q", ("b", "a"))
    assert (ab.preferred(FIRST), ab.preferred(SECOND), ab.preferred(NO_PREFERENCE)) == (
        "a", "b", None)  # fmt: skip
    assert (ba.preferred(FIRST), ba.preferred(SECOND)) == ("b", "a")
    with pytest.raises(ValueError):
        ab.preferred("maybe")
    test = PreferenceTest("voices/storyteller", "standard", [ab, ba], seed=3)
    assert test.answer(1, SECOND) == "standard"
    assert test.answer(2, SECOND) == "storyteller"
    r = test.result()
    assert (r.voice_a, r.a, r.b, r.no_preference, r.trials, r.planned) == (
        "storyteller", 1, 1, 0, 2, 2)  # fmt: skip


def test_result_lines() -> None:
    trials = [Trial(i + 1, f"p{i}", ("a", "b") if i % 2 else ("b", "a")) for i in range(10)]
    answers = {t.number: FIRST if t.order[0] == "a" else SECOND for t in trials[:7]}
    answers |= {8: NO_PREFERENCE, 9: NO_PREFERENCE, 10: NO_PREFERENCE}
    r = pref.summarize("storyteller", "standard", trials, answers)
    assert r.headline() == (
        "Storyteller preferred in 7 of 10 (70%), standard in 0 (0%), no preference 3"
    )
    assert r.statistics().endswith("p = 0.016")
    assert r.share_a == 1.0 and "clearly preferred storyteller" in r.reading()
    even = pref.summarize("storyteller", "standard", trials[:2], {1: FIRST, 2: FIRST})
    assert (even.a, even.b, even.p_value) == (1, 1, 1.0)
    assert even.reading().startswith("An even split")
    lead = pref.summarize("storyteller", "standard", trials[:3], {1: FIRST, 2: SECOND, 3: FIRST})
    assert (lead.a, lead.b, lead.p_value) == (0, 3, 0.25)
    assert lead.reading().startswith("Not enough trials to tell: standard leads")
    none = pref.summarize("a", "b", trials, {})
    assert none.trials == 0 and none.share_a is None and "nothing to tell" in none.reading()


def test_save_writes_answers_and_statistics_never_audio() -> None:
    test = pref.plan_test("voices/storyteller", "standard", trials=4, seed=5)
    for t in test.trials[:3]:
        test.answer(t.number, FIRST if t.order[0] == "a" else SECOND)
    result = test.save()
    assert result.path is not None and result.path.parent == data_dir() / "voice-preference"
    saved = json.loads(result.path.read_text())
    assert saved["voices"] == {"a": "storyteller", "b": "standard"}
    assert saved["counts"] == {"a": 3, "b": 0, "no_preference": 0}
    assert saved["p_value"] == 0.25 and saved["complete"] is False and saved["seed"] == 5
    assert [t["preferred"] for t in saved["trials"]] == ["storyteller"] * 3 + [None]
    assert saved["summary"] == result.headline()
    assert not any(k.endswith(("audio", "wav")) for t in saved["trials"] for k in t)
    assert test.save().path != result.path  # a second save never overwrites the first


def test_loudness_is_matched() -> None:
    t = np.linspace(0, 1, 22050, dtype=np.float32)
    quiet = 0.05 * np.sin(2 * np.pi * 220 * t)
    loud = np.concatenate([np.zeros(5000, np.float32), 0.9 * np.sin(2 * np.pi * 330 * t)])
    one, two = pref.match_loudness([quiet, loud])
    rms = [
        float(np.sqrt(np.mean(x[np.abs(y) > 1e-3] ** 2))) for x, y in ((one, quiet), (two, loud))
    ]
    assert rms[0] == pytest.approx(rms[1], rel=1e-3)
    assert max(np.abs(one).max(), np.abs(two).max()) <= pref.PEAK + 1e-6


def no_speaker(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No speaker on this computer; the temp folder is a fresh one, to look into after."""
    import tempfile

    from sidekick.audio import devices

    monkeypatch.setattr(
        devices, "probe_output", lambda device=None: "No speaker found on this computer"
    )
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    monkeypatch.setenv("TMPDIR", str(temp))
    return temp


def test_no_speaker_writes_nothing_and_asks_for_a_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    temp = no_speaker(monkeypatch, tmp_path)
    notices: list[str] = []
    test = PreferenceTest("x", "y", [Trial(1, "Hi.", ("a", "b"))], seed=1)
    player = PreferencePlayer(test, "speaker", notices.append, voices={"a": 1, "b": 2})
    with pytest.raises(SidekickError, match=r"^No speaker found on this computer\. .*"
                       r"add --speech-out FOLDER\.$"):  # fmt: skip
        player.prepare()
    assert player.folder is None and not player.ready and notices == []
    assert list(temp.iterdir()) == []
    out = tmp_path / "ab"  # a folder asked for: the versions go there
    player = PreferencePlayer(test, str(out), notices.append, voices={"a": 1, "b": 2})
    player.prepare()
    assert player.folder == out and notices == []


def test_cli_with_no_speaker_says_so_before_the_test_starts(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    temp = no_speaker(monkeypatch, tmp_path)

    def started(*_args: object) -> None:
        raise AssertionError("the listening test started with nowhere to play")

    monkeypatch.setattr("sidekick.ui.screens.listen_test.run_listen_test", started)
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "voice.json").write_text("{}")
    assert main(["listen-test", "--a", str(fake)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--speech-out FOLDER" in err, err
    assert list(temp.iterdir()) == []


class PiecesVoice:
    """A streaming voice stand-in: every sentence in two pieces of ones (the last `final`)."""

    name, sample_rate, narration_style = "pieces", 100, "storytelling"

    def __init__(self) -> None:
        self.styles_asked: list[str | None] = []

    def speak(self, text: str, *, style: str | None = None, rate: float = 1.0):
        from sidekick.speaking.base import SpokenSentence, utterances

        self.styles_asked.append(style)
        for sentence in utterances(text):
            for final in (False, True):
                yield SpokenSentence(sentence, np.ones(10, np.float32), 100, final=final)


class RecordingSink:
    def __init__(self) -> None:
        self.played: list[np.ndarray] = []

    def play(self, audio: np.ndarray, sample_rate: int) -> None:
        self.played.append(audio)

    def stop(self) -> None:
        pass


def test_player_joins_pieces_pauses_between_sentences_and_stops() -> None:
    test = PreferenceTest("x", "y", [Trial(1, "One. Two.", ("b", "a"))], seed=1)
    voice, sink = PiecesVoice(), RecordingSink()
    player = PreferencePlayer(test, voices={"a": voice, "b": voice}, sink=sink)
    player.prepare()
    heard: list[int] = []
    assert player.play(test.trials[0], heard.append) == []  # no files from the speaker
    assert heard == [1, 2] and len(sink.played) == 2
    pause = int(pref.SENTENCE_PAUSE_S * 100)
    assert [len(a) for a in sink.played] == [40 + pause] * 2
    assert (sink.played[0][20 : 20 + pause] == 0).all() and (sink.played[0][:20] != 0).all()
    assert voice.styles_asked == ["storytelling", "storytelling"]  # the narration style
    player.stop()
    player.play(test.trials[0])
    assert len(sink.played) == 2  # stopped for good


def test_preference_logic_does_not_import_textual() -> None:
    import subprocess
    import sys

    code = "import sys, sidekick.speaking.preference; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


# -- the CLI ------------------------------------------------------------------------------------
def test_cli_help_teaches(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["listen-test", "--help"])
    out = capsys.readouterr().out
    for text in ("Which voice would you rather hear read a story to a child?", "1  prefer Voice 1",
                 "0 or n  no preference", "Esc  stop", "sign test", "never audio",
                 str(data_dir() / "voice-preference"), "--speech-out DIR"):  # fmt: skip
        assert text in out, text


def test_cli_needs_a_storyteller_or_a_voice(capsys: pytest.CaptureFixture[str],
                                            tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    # A checkout without the storyteller bundle (e.g. a voice developer removed it).
    monkeypatch.setattr("sidekick.speaking.registry.BUNDLED_VOICES", tmp_path / "no-voices")
    assert main(["listen-test"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "storyteller voice is not installed" in err and "installed: standard" in err
    assert main(["listen-test", "--a", "robot"]) == 2
    assert "Unknown voice 'robot'" in capsys.readouterr().err
    assert main(["listen-test", "--a", str(tmp_path)]) == 2
    assert "not a voice bundle" in capsys.readouterr().err
    assert main(["listen-test", "--a", "standard"]) == 2
    assert "both 'standard'" in capsys.readouterr().err
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "voice.json").write_text("{}")
    assert main(["listen-test", "--a", str(fake), "--trials", "0"]) == 2
    assert "--trials must be a number from 1 to" in capsys.readouterr().err
    assert main(["listen-test", "--a", str(fake), "--trials", "500"]) == 2
    assert "passages are available for 500 trials" in capsys.readouterr().err


# -- the screen ---------------------------------------------------------------------------------
def screen_text(app: ListenTestApp) -> str:
    return "\n".join(str(s.render()) for s in app.screen.query(Static))


def same_audio(path: Path, audio: np.ndarray) -> bool:
    """The WAV holds ``audio`` up to a gain (the loudness matching) and 16-bit rounding."""
    written, _ = sf.read(path, dtype="float32")
    if len(written) != len(audio):
        return False
    return float(np.corrcoef(written, audio)[0, 1]) > 0.99


@pytest.mark.slow
@pilot_test
async def test_screen_runs_a_blind_test_with_real_voices(bundle: Path, tmp_path: Path) -> None:
    """The tiny trained bundle against the standard voice, 2 passages, WAV output: each
    version is written, the screen never names a voice before the end, the answers map
    back through the random order, and the result is shown and saved."""
    from sidekick.speaking.bundle_voice import BundleVoice

    passages = ["The little fox ran all the way home.", "An owl sat on the round moon."]
    test = pref.plan_test(str(bundle), "standard", trials=2, seed=11, passages=passages)
    assert {t.order for t in test.trials} == {("a", "b"), ("b", "a")}
    tiny = BundleVoice(bundle)
    out = tmp_path / "ab"
    app = ListenTestApp(test, str(out))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, ListenTestScreen)
        for k in (1, 2):
            await wait_for(pilot, lambda k=k: screen.state == "answer" and screen.trial.number
                           == k, timeout=SYNTH_TIMEOUT)  # fmt: skip
            text = screen_text(app)
            assert f"Passage {k} of 2" in text and screen.trial.passage in text
            assert "tiny" not in text.lower() and "standard" not in text.lower()
            files = [Path(f) for f in screen.files]
            assert len(files) == 2 and all(f.is_file() and f.parent == out for f in files)
            assert f"Voice 1: {files[0].name}" in text and f"Voice 2: {files[1].name}" in text
            # Which file is the tiny voice, found from the audio alone:
            spoken = list(tiny.speak(screen.trial.passage, style=tiny.narration_style))
            assert [s.final for s in spoken][-1] and sum(s.final for s in spoken) == 1
            is_tiny = [same_audio(f, np.concatenate([s.audio for s in spoken])) for f in files]
            assert sorted(is_tiny) == [False, True], is_tiny
            await pilot.press("1" if is_tiny[0] else "2")  # always prefer the tiny voice
        await wait_for(pilot, lambda: screen.state == "done")
        text = screen_text(app)
        headline = "Tiny preferred in 2 of 2 (100%), standard in 0 (0%), no preference 0"
        assert headline in text
        assert "Not enough trials to tell" in text
        assert sorted(p.name for p in out.iterdir()) == [f"sidekick-00{i}.wav" for i in range(1, 5)]
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.return_value is not None)
    result = app.return_value
    assert (result.a, result.b, result.no_preference, result.p_value) == (2, 0, 0, 0.5)
    saved = json.loads(result.path.read_text())
    assert result.path.parent == data_dir() / "voice-preference"
    assert saved["counts"] == {"a": 2, "b": 0, "no_preference": 0} and saved["p_value"] == 0.5
    assert saved["voices"] == {"a": "tiny", "b": "standard"} and saved["complete"] is True
    assert [t["preferred"] for t in saved["trials"]] == ["tiny", "tiny"]
    assert [t["answer"] for t in saved["trials"]] == [
        FIRST if t.order[0] == "a" else SECOND for t in test.trials]  # fmt: skip


@pilot_test
async def test_screen_replay_no_preference_and_early_stop(tmp_path: Path) -> None:
    """Bookkeeping only (the standard voice as both A and B): a replay writes no new files,
    `n` is no preference, Esc mid-test saves and shows the partial result, Esc again quits."""
    from sidekick.speaking.registry import load_voice

    standard = load_voice("standard")
    passages = ["One two three four.", "Five six.", "Seven eight."]
    test = pref.plan_test("standard", "standard-copy", trials=3, seed=2, passages=passages)
    out = tmp_path / "ab"
    player = PreferencePlayer(test, str(out), voices={"a": standard, "b": standard})
    app = ListenTestApp(test, str(out), player=player)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: screen.state == "answer", timeout=SYNTH_TIMEOUT)
        first_files = list(screen.files)
        await pilot.press("r")
        await wait_for(pilot, lambda: screen.state == "answer", timeout=SYNTH_TIMEOUT)
        assert screen.files == first_files and len(list(out.iterdir())) == 2
        await pilot.press("n")
        await wait_for(pilot, lambda: screen.trial.number == 2 and screen.state == "answer",
                       timeout=SYNTH_TIMEOUT)  # fmt: skip
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen.state == "done")
        text = screen_text(app)
        assert "Stopped: 1 of 3 passages" in text
        assert "Standard preferred in 0 of 1 (0%), standard-copy in 0 (0%), no preference 1" in text
        assert "No preferences yet" in text and "Saved:" in text
        await pilot.press("1")  # answers are over
        assert test.answers == {1: NO_PREFERENCE}
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.return_value is not None)
    saved = json.loads(app.return_value.path.read_text())
    assert saved["complete"] is False and saved["trials_answered"] == 1
    assert saved["counts"] == {"a": 0, "b": 0, "no_preference": 1} and saved["p_value"] == 1.0


def test_leaving_the_test_stops_synthesis_at_once() -> None:
    """Esc mid-synthesis: the player makes no further piece of speech (the CPU is freed),
    and render() says it was stopped instead of finishing both versions."""
    from sidekick.speaking.registry import load_voice

    standard = load_voice("standard")
    made: list[int] = []

    class Counting:
        name, sample_rate = standard.name, standard.sample_rate
        narration_style = instruction_style = None

        def speak(self, text: str, **kw):
            for piece in standard.speak(text, **kw):
                made.append(1)
                yield piece

    passage = " ".join(f"Sentence number {i} is here." for i in range(12))
    test = PreferenceTest("a", "b", [Trial(1, passage, ("a", "b"))], seed=1)
    player = PreferencePlayer(test, "speaker", voices={"a": Counting(), "b": Counting()})
    original = Counting.speak

    def stop_after_first(self, text: str, **kw):
        for piece in original(self, text, **kw):
            player.stop()  # the listener pressed Esc while the first piece was made
            yield piece

    Counting.speak = stop_after_first
    with pytest.raises(pref.TestStopped):
        player.render(test.trials[0])
    assert len(made) == 1


@pytest.mark.parametrize("size", SCREEN_SIZES)
def test_snapshot_listen_test(snap_compare, size) -> None:
    """A passage heard in both versions, waiting for the answer (a stand-in voice and sink:
    this shows the screen, not the voices)."""
    passages = ["The little fox ran all the way home.", "An owl sat on the round moon."]
    test = pref.plan_test("x", "y", trials=2, seed=3, passages=passages)
    voice = PiecesVoice()
    player = PreferencePlayer(test, voices={"a": voice, "b": voice}, sink=RecordingSink())
    app = ListenTestApp(test, player=player)

    async def answering(pilot) -> None:
        await wait_for(pilot, lambda: app.screen.state == "answer")

    assert snap_compare(app, terminal_size=size, run_before=answering)
