"""A word the check is not sure of (``unclear``): no error, never practised, never shown to
the child as a mistake, "not sure" for the teacher."""

from __future__ import annotations

import csv
import io
import shutil
import sqlite3
import subprocess
from pathlib import Path

import numpy as np
import pytest

from sidekick.books.model import Word
from sidekick.listening.base import HeardWord
from sidekick.progress.records import TurnRecord
from sidekick.progress.reports import write_report
from sidekick.progress.schema import MIGRATIONS, SCHEMA_VERSION
from sidekick.progress.store import ProgressStore
from sidekick.reading.assess import assess
from sidekick.reading.doubt import Thresholds, doubtful, settle_doubts
from sidekick.reading.result import CREDITED, ERRORS, Token
from sidekick.reading.second_opinion import ERROR_ABOVE
from sidekick.turns.praise import PraiseMaker
from tests.helpers.ui import FOX, ScriptedFactory, emitted_all, pilot_test, reader_of, wait_for

TEXT = "the enormous elephant sat on a wobbly chair".split()
RATE = 16000


def reading(heard: list[tuple[str, float]], snr_db: float = 30.0) -> tuple[list, bytes]:
    """Heard words (word, posterior), 0.3 s each with 0.1 s gaps, and audio to match: a tone
    in every word over a noise ``snr_db`` below it."""
    words, t = [], 0.5
    for word, conf in heard:
        words.append(HeardWord(word, round(t, 2), round(t + 0.3, 2), conf))
        t += 0.4
    rng = np.random.default_rng(0)
    n = int((t + 0.5) * RATE)
    x = rng.normal(0, 0.3 * 10 ** (-snr_db / 20), n)
    time = np.arange(n) / RATE
    for w in words:
        a, b = int(w.start * RATE), int(w.end * RATE)
        x[a:b] += 0.3 * np.sin(2 * np.pi * 220 * time[a:b])
    return words, (np.clip(x, -1, 1) * 32767).astype("<i2").tobytes()


def checked(heard: list[tuple[str, float]], thresholds: Thresholds, snr_db: float = 30.0):
    words, pcm = reading(heard, snr_db)
    result = assess(TEXT, [Token(w.word, w.start, w.end) for w in words])
    settle_doubts(result, words, pcm, thresholds)
    return result


SURE = [(w, 0.95) for w in TEXT]


def test_a_substitution_heard_with_a_low_posterior_is_unclear_not_an_error():
    heard = [*SURE[:2], ("elegant", 0.2), *SURE[3:]]
    result = checked(heard, Thresholds(conf=0.5))
    w = result.words[2]
    assert (w.status, w.heard) == ("unclear", "elegant")
    assert result.errors == 0 and "unclear" not in ERRORS
    summary = result.summary()
    # The benefit of the doubt: it counts as read in accuracy and WCPM.
    assert summary["unclear"] == 1 and summary["words_correct"] == len(TEXT)
    assert summary["accuracy"] == 1.0
    assert result.doubt["words"] == [{"index": 2, "status": "substituted", "conf": 0.2,
                                      "near": 0.95}]  # fmt: skip


def test_a_substitution_heard_surely_stays_an_error():
    heard = [*SURE[:2], ("elegant", 0.9), *SURE[3:]]
    result = checked(heard, Thresholds(conf=0.5))
    assert result.words[2].status == "substituted" and result.errors == 1
    assert result.summary()["unclear"] == 0


def test_one_word_heard_as_its_accent_variant_is_unclear():
    """ "dad" heard surely as "dodd" (the British open TRAP vowel), the page's only word
    heard that way: the reader's accent or a misreading, so not sure."""
    text = "my dad sat on the wobbly chair".split()
    heard = [(w, 0.95) for w in text]
    heard[1] = ("dodd", 0.95)
    words, pcm = reading(heard)
    for thresholds, status in (Thresholds(), "unclear"), (Thresholds(accent=False), "substituted"):
        result = assess(text, [Token(w.word, w.start, w.end) for w in words])
        settle_doubts(result, words, pcm, thresholds)
        assert (result.words[1].status, result.words[1].heard) == (status, "dodd")
        assert result.doubt["words"][0]["accent"] == ["open TRAP"]
    # Whisper preferring "dodd" (its ear for vowels is American) confirms nothing; a rival
    # that is not an accent variant does confirm the error.
    for heard_as, status in ("dodd", "unclear"), ("did", "substituted"):
        heard[1] = (heard_as, 0.95)
        words, pcm = reading(heard)
        result = assess(text, [Token(w.word, w.start, w.end) for w in words])
        result.words[1].second_ratio = ERROR_ABOVE + 3
        settle_doubts(result, words, pcm, Thresholds(conf=0.99))
        assert (result.words[1].status, result.words[1].heard) == (status, heard_as)


def test_doubt_tune_puts_back_only_what_doubt_decided():
    """Calibration on saved predictions: a word doubt made ``unclear`` goes back to its
    error; a word the second opinion made ``unclear`` stays; the accent evidence a
    prediction saved before it was kept is added."""
    from tests.benchmarks.reading_eval.doubt_tune import apply, undoubted

    words = [{"index": i, "word": w, "status": "correct", "heard": None, "start": 0.5 + i}
             for i, w in enumerate("my dad sat on the chair".split())]  # fmt: skip
    words[1].update(status="unclear", heard="dodd")  # by doubt (the accent)
    words[4]["status"] = "unclear"  # by the second opinion
    pred = {"words": words, "summary": {"wcpm": 60.0},
            "doubt": {"hearing": 0.9, "misses": 0.17,
                      "words": [{"index": 1, "status": "substituted", "near": 0.9}]}}  # fmt: skip
    before = undoubted(pred)
    assert [w["status"] for w in before["words"]][1::3] == ["substituted", "unclear"]
    assert before["doubt"]["words"][0]["accent"] == ["open TRAP"]
    assert apply(before, Thresholds())["words"][1]["status"] == "unclear"
    assert apply(before, Thresholds(accent=False))["words"][1]["status"] == "substituted"


def test_an_omission_between_poorly_heard_words_is_unclear():
    heard = [*SURE[:2], ("sat", 0.3), *SURE[4:]]  # "elephant" not heard; "sat" unsure
    assert checked(heard, Thresholds(conf=0.5)).words[2].status == "omitted"
    assert checked(heard, Thresholds(near=0.5)).words[2].status == "unclear"


def test_a_noisy_page_puts_its_errors_in_doubt():
    heard = [*SURE[:2], ("elegant", 0.9), *SURE[3:]]
    quiet = checked(heard, Thresholds(snr_db=15.0), snr_db=30.0)
    noisy = checked(heard, Thresholds(snr_db=15.0), snr_db=5.0)
    assert quiet.doubt["snr_db"] > 20 > 10 > noisy.doubt["snr_db"]
    assert quiet.words[2].status == "substituted"
    assert noisy.words[2].status == "unclear"


def test_a_page_heard_poorly_throughout_puts_its_errors_in_doubt():
    heard = [(w, 0.4) for w in TEXT[:2]] + [("elegant", 0.9)] + [(w, 0.4) for w in TEXT[3:]]
    result = checked(heard, Thresholds(hearing=0.6))
    assert result.doubt["hearing"] == 0.4 and result.words[2].status == "unclear"
    assert doubtful(result.doubt, 2, Thresholds()) is False  # the default never doubts


def test_the_words_after_the_reading_stopped_are_never_in_doubt():
    """A page left early: the words never reached stay omitted (a live turn scores the
    page up to the last word read or tried), however unsure the words heard were."""
    everything = Thresholds(conf=1.0, near=1.0, hearing=1.0, snr_db=99.0, misses=0.0)
    heard = [(w, 0.1) for w in TEXT[:2]] + [(TEXT[3], 0.1)]  # "elephant" skipped, then stop
    statuses = [w.status for w in checked(heard, everything).words]
    assert statuses == ["correct", "correct", "unclear", "correct"] + ["omitted"] * 4


def test_assisted_words_are_never_put_in_doubt():
    words, pcm = reading([(w, 0.1) for w in TEXT])
    result = assess(TEXT, [Token(w.word, w.start, w.end) for w in words], assisted={3})
    settle_doubts(result, words, pcm, Thresholds(conf=1.0, near=1.0, hearing=1.0))
    assert [w.status for w in result.words].count("assisted") == 1


# --------------------------------------------------------------------------- the teacher


def unclear_turn() -> TurnRecord:
    heard = [*SURE[:2], ("elegant", 0.2), *SURE[3:6], ("wobble", 0.9), SURE[7]]
    result = checked(heard, Thresholds(conf=0.5))
    assert [w.status for w in result.words][2::4] == ["unclear", "substituted"]
    return TurnRecord.from_assessment(result, book_title="Zoo", book_id="zoo", page=1)


def test_unclear_words_are_stored_reported_as_not_sure_and_never_practised(tmp_path: Path):
    with ProgressStore(tmp_path / "p.sqlite3") as store:
        store.add_reader("Ann")
        stored = store.record_turn("Ann", unclear_turn())
        assert (stored.errors, stored.unclear, stored.words_correct) == (1, 1, 7)
        back = store.turns("Ann")[0]
        assert [w.word for w in back.unclear_words] == ["elephant"]
        assert [w.word for w in back.challenge_words] == ["wobbly"]
        assert store.progress_summary("Ann").not_sure == 1
        out = io.StringIO()
        write_report(store, "csv", out)
        (row,) = csv.DictReader(io.StringIO(out.getvalue()))
        assert row["not_sure"] == "1" and row["errors"] == "1" and row["correct"] == "7"
        assert row["missed_words"] == "elephant (not sure); wobbly (read as wobble)"
        html = io.StringIO()
        write_report(store, "html", html)
        assert "elephant (not sure)" in html.getvalue()
        # Practice offers the error once missed on a second turn, never the word the
        # check was not sure of.
        assert store.challenge_words("Ann") == []
        store.record_turn("Ann", unclear_turn())
        assert [w.word for w in store.challenge_words("Ann")] == ["wobbly"]


def test_a_version_3_database_opens_and_takes_unclear_words(tmp_path: Path):
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    for step in MIGRATIONS[:3]:
        for statement in step:
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 3")
    conn.execute("INSERT INTO readers (id, name, name_key, created_at) VALUES (1, 'Bo', 'bo', "
                 "'2025-01-01T00:00:00+00:00')")  # fmt: skip
    conn.execute("INSERT INTO turns VALUES (1, 1, '2025-01-01T00:00:00+00:00', 'Zoo', 'zoo', 1,"
                 " 2, 1, 1, 0, 0, 0, 0, 30.0, 0.5, 4.0)")  # fmt: skip
    conn.execute("INSERT INTO turn_words VALUES (1, 1, 0, 'cat', 'assisted', NULL, 'Cat')")
    conn.commit()
    conn.close()
    with ProgressStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION == 4
        assert [w.word for w in store.challenge_words("Bo")] == ["Cat"]
        store.record_turns("Bo", [unclear_turn(), unclear_turn()])
        assert len(store.turns("Bo")) == 3
        assert {w.word for w in store.challenge_words("Bo")} == {"Cat", "wobbly"}


# --------------------------------------------------------------------------- the child


def test_praise_never_names_an_unclear_word():
    result = checked([*SURE[:2], ("elegant", 0.2), *SURE[3:]], Thresholds(conf=0.5))
    words = tuple(Word(w, w, 0, 0, i) for i, w in enumerate(TEXT))
    read = {w.index for w in result.words if w.status in CREDITED}
    correct = {w.index for w in result.words if w.status == "correct"}
    assert 2 in read and 2 not in correct
    for seed in range(30):
        said = PraiseMaker(seed=seed).praise(words, read, set(), correct=correct, accuracy=1.0)
        assert "elephant" not in said


@pilot_test
async def test_the_reading_screen_shows_an_unclear_word_neutrally() -> None:
    from sidekick.settings import Settings
    from sidekick.turns.events import BookDone, PageDone, ReadingChecked, TurnEnd, TurnStart
    from sidekick.ui.app import SidekickApp
    from tests.helpers.ui import SIZE, VOICES, fixed_library

    page = FOX.pages[3]
    statuses = ["correct", "correct", "unclear", "correct", "assisted", "correct", "correct"]
    words = [{"index": w.index, "word": w.text, "status": st, "heard": None}
             for w, st in zip(page.words, statuses, strict=True)]  # fmt: skip
    summary = {"wcpm": 51.4, "accuracy": 6 / 7, "words_correct": 6, "errors": 1, "unclear": 1,
               "duration_s": 7.0, "band": "frustration"}  # fmt: skip
    checked_event = ReadingChecked(1, 4, summary, words, [], [])
    events = [TurnStart(1, "child", 4), checked_event, TurnEnd(1, "child", 4, 6, 7, 0, 7.0)]
    factory = ScriptedFactory([*events, PageDone(4), BookDone(FOX.title)])
    app = SidekickApp(Settings(), book=FOX, session_factory=factory, voices=VOICES,
                      list_books=fixed_library, start_page=4)  # fmt: skip
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, emitted_all(factory, len(events) + 2))
        reader = reader_of(app)
        unclear = page.words[2].text
        assert unclear not in reader.page_view.words("helped")
        assert not reader.query_one("#word-card").display
        text = reader.summary_text()
        assert f"Words to practise: {page.words[4].text}" in text
        assert unclear not in text.split("Words to practise:")[1]
        assert "Accuracy: 86%" in text


# --------------------------------------------------------------------------- the evaluation


def test_the_scorer_counts_unclear_as_not_found_and_no_false_rejection():
    from tests.benchmarks.reading_eval.score import score
    from tests.helpers.reading_eval import TRUTH, perfect_prediction

    preds = {t["clip"]: perfect_prediction(t) for t in TRUTH}
    preds["a2"]["words"][3]["status"] = "unclear"  # a correct word: not rejected
    preds["a1"]["words"][8]["status"] = "unclear"  # a true substitution: not found
    g = score(TRUTH, preds)["groups"]["all"]
    assert g["false_rejections"] == 0 and g["miscue_recall"] == pytest.approx(2 / 3, abs=1e-4)
    assert g["miscue_precision"] == 1.0
    assert (g["unclear"], g["unclear_share"]) == (2, pytest.approx(2 / 30, abs=1e-4))


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")
def test_a_perfect_reading_in_a_british_accent_lists_nothing_to_practise(tmp_path: Path):
    """The real recognizer hears espeak-ng's British English "hat" as "hot" and "Sam" as
    "som": on weak evidence, so they are not sure, not wrong."""
    from sidekick.books.library import find_book
    from sidekick.reading.assessor import Assessor

    page = find_book("sam-and-the-red-hat").pages[0]
    wav = tmp_path / "en-gb.wav"
    subprocess.run(["espeak-ng", "-v", "en-gb", "-s", "140", "-w", str(wav), page.text],
                   check=True)  # fmt: skip
    result = Assessor("pocketsphinx").assess_wav(page.text, wav)
    turn = TurnRecord.from_result(result, book_title="Sam", book_id="sam", page=1)
    assert result["summary"]["errors"] == 0 and turn.challenge_words == ()
    assert result["summary"]["accuracy"] >= 0.95
    assert {w.word for w in turn.unclear_words} <= {w.text for w in page.words}
