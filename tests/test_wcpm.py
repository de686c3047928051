"""WCPM's reading time through the whole check (recognizer, second listener, doubt, the
reading-time passes) on a clean reading by a synthetic voice whose word times are known.

The reading is made by the evaluation's generator (tests/benchmarks/reading_eval): English
read by an MBROLA German voice, in pink noise through a laptop microphone, without a
miscue. The first recognizer hears none of the page's first words where they are said; the
second listener hears them read, so they are credited, and the reading time must cover them
(DIBELS: words correct x 60 / seconds from the first word's start to the last word's end).
"""

import pytest

pytestmark = pytest.mark.slow

TEXT = "A little bird hopped onto my window. I gave it some crumbs, and it sang a happy song."


def _voice():
    from tests.benchmarks.reading_eval import generate as g

    try:
        return g.make_backend("mb-de5-en")
    except SystemExit as e:  # espeak-ng or mbrola-de5 is not installed
        pytest.skip(str(e))


def test_a_clean_reading_whose_first_words_were_missed_is_timed_as_the_truth():
    import numpy as np

    from sidekick.reading.assessor import Assessor
    from tests.benchmarks.reading_eval import generate as g

    voice = _voice()
    cond = g.Condition("adult", 1.163, noise="pink", noise_snr_db=12.9, channel="laptop")
    rng = np.random.default_rng([7, 0])
    script = g.make_script(TEXT, rng, 0)  # read as written
    audio = g.render(script, voice, cond, rng, None)
    truth = g.truth_record("clip", TEXT, script, "mb-de5-en", "l2-german", cond, len(audio) / 16000)
    pcm = (np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes()

    result = Assessor("pocketsphinx").assess_pcm([w["word"] for w in truth["words"]], pcm)
    first = result.words[0]
    assert first.status == "correct" and first.start is None, "the case is no longer here"
    # The reading time, WCPM's denominator (the count of words credited is the listeners'
    # business: a false rejection moves WCPM 5% on this page).
    summary = result.summary()
    err = summary["duration_s"] / truth["duration_s"] - 1
    assert abs(err) <= 0.03, (
        f"WCPM {summary['wcpm']} ({summary['words_correct']} words in {summary['duration_s']} s),"
        f" truth {truth['wcpm_true']} ({truth['words_correct']} in {truth['duration_s']} s)"
    )
