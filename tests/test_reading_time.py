"""The reading time's edges from the audio (reading/reading_time.py): words credited without
a time of their own, and a last word split into an extra word. Tones stand in for words
here; tests/test_wcpm.py checks the same on synthetic voices through the whole check."""

from sidekick.reading.assess import assess
from sidekick.reading.reading_time import cover_credited_words
from sidekick.reading.result import Token
from tests.helpers.audio import tone_pcm

WRITTEN = list("abcdefgh")
READ = [(0.5 + 0.6 * k, 0.9 + 0.6 * k) for k in range(8)]  # 0.5 .. 5.1 s


def _heard(spans, words=WRITTEN):
    return [Token(w, s, e) for w, (s, e) in zip(words, spans, strict=True)]


def test_first_words_credited_without_a_time_count_in_the_reading_time():
    pcm = tone_pcm([(s, e, -20.0) for s, e in READ], 6.0, noise_db=-50.0)
    # The recognizer missed "a b"; the second listener heard them read (credited, no time).
    a = assess(WRITTEN, _heard(READ[2:], WRITTEN[2:]))
    for w in a.words[:2]:
        assert w.status == "omitted" and w.start is None
        w.status = "correct"
    assert abs(a.duration_s - 3.4) < 1e-6  # from "c": the two words read are left out
    cover_credited_words(a, pcm)
    assert a.reading_start is not None and abs(a.reading_start - 0.5) <= 0.03
    assert abs(a.duration_s - 4.6) <= 0.03
    assert [w.start for w in a.words[:2]] == [None, None]  # the words keep no invented time


def test_a_last_word_credited_without_a_time_counts_in_the_reading_time():
    pcm = tone_pcm([(s, e, -20.0) for s, e in READ], 6.0, noise_db=-50.0)
    a = assess(WRITTEN, _heard(READ[:7], WRITTEN[:7]))
    a.words[-1].status = "unclear"  # not sure, so given the benefit of the doubt
    cover_credited_words(a, pcm)
    assert a.reading_end is not None and 5.1 <= a.reading_end <= 5.1 + 0.25


def test_an_error_or_a_far_noise_does_not_stretch_the_reading_time():
    # A knock 3 s before the reading: an untimed credited word moves the start at most a
    # second beyond the words heard.
    read = [(s + 3.0, e + 3.0) for s, e in READ]
    pcm = tone_pcm([(0.2, 0.4, -18.0), *[(s, e, -20.0) for s, e in read]], 9.0, noise_db=-50.0)
    a = assess(WRITTEN, _heard(read[1:], WRITTEN[1:]))
    a.words[0].status = "correct"
    cover_credited_words(a, pcm)
    assert a.reading_start is not None and abs(a.reading_start - (read[1][0] - 1.0)) < 1e-6
    # A word not read (an error) is no part of the reading time.
    b = assess(WRITTEN, _heard(READ[2:], WRITTEN[2:]))
    cover_credited_words(b, tone_pcm([(s, e, -20.0) for s, e in READ], 6.0, noise_db=-50.0))
    assert b.reading_start is None and abs(b.duration_s - 3.4) < 1e-6


def test_the_end_of_the_last_word_heard_as_an_extra_word_ends_the_reading():
    # "h" is read from 4.7 to 5.4 s; the recognizer heard "h" to 5.0 and "to" after it.
    read = [*READ[:-1], (4.7, 5.4)]
    pcm = tone_pcm([(s, e, -20.0) for s, e in read], 6.5, noise_db=-50.0)
    split = [*READ[:-1], (4.7, 5.0), (5.0, 5.4)]
    a = assess(WRITTEN, _heard(split, [*WRITTEN, "to"]))
    assert [x["word"] for x in a.insertions] == ["to"] and abs(a.duration_s - 4.5) < 1e-6
    cover_credited_words(a, pcm)
    assert a.reading_end == 5.4 and abs(a.duration_s - 4.9) < 1e-6
    # Babble 20 dB under the reading, taken for a word after the last one: not the reading.
    faint = tone_pcm([*[(s, e, -20.0) for s, e in READ], (5.1, 5.6, -40.0)], 6.5, noise_db=-60.0)
    b = assess(WRITTEN, _heard([*READ, (5.1, 5.6)], [*WRITTEN, "to"]))
    cover_credited_words(b, faint)
    assert b.reading_end is None and abs(b.duration_s - 4.6) < 1e-6
    # An extra word after a pause is said after the page, not part of its last word.
    apart = tone_pcm([*[(s, e, -20.0) for s, e in READ], (5.5, 5.9, -20.0)], 6.5, noise_db=-60.0)
    c = assess(WRITTEN, _heard([*READ, (5.5, 5.9)], [*WRITTEN, "to"]))
    cover_credited_words(c, apart)
    assert c.reading_end is None and abs(c.duration_s - 4.6) < 1e-6
