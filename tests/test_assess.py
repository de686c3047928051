"""The reading check's scoring, on recognized words with times (no audio here)."""

from sidekick.reading.assess import align, assess
from sidekick.reading.result import Token, band
from tests.helpers.audio import tone_pcm

TEXT = "the big brown dog ran to the red barn".split()


def tokens(spec: str, gap: float = 0.1, word_s: float = 0.3, start: float = 0.5) -> list[Token]:
    """'the big ... dog' -> tokens; '...' inserts a 4 s silence."""
    out, t = [], start
    for w in spec.split():
        if w == "...":
            t += 4.0
            continue
        out.append(Token(w, round(t, 2), round(t + word_s, 2)))
        t += word_s + gap
    return out


def statuses(a):
    return [w.status for w in a.words]


def test_clean_reading_is_all_correct_with_fluency():
    a = assess(TEXT, tokens(" ".join(TEXT)))
    assert statuses(a) == ["correct"] * 9
    s = a.summary()
    assert s["words_correct"] == 9 and s["errors"] == 0 and s["band"] == "independent"
    assert s["duration_s"] == 3.5 and s["wcpm"] == round(9 * 60 / 3.5, 1)


def test_substitution_omission_and_insertion():
    a = assess(TEXT, tokens("the big brown dig ran very to the barn"))
    by = {w.word + str(w.index): w for w in a.words}
    assert by["dog3"].status == "substituted" and by["dog3"].heard == "dig"
    assert by["red7"].status == "omitted"
    assert [i["word"] for i in a.insertions] == ["very"]
    assert a.errors == 2


def test_repetitions_and_restarts_are_not_errors():
    a = assess(TEXT, tokens("the big brown the big brown dog ran to the red barn"))
    assert a.errors == 0 and len(a.repetitions) == 3 and not a.insertions


def test_self_correction_counts_as_correct():
    a = assess(TEXT, tokens("the big brown dig dog ran to the red barn"))
    w = a.words[3]
    assert w.status == "self_corrected" and w.heard == "dig"
    assert a.errors == 0 and a.words_correct == 9


def test_long_hesitation_means_the_word_was_supplied():
    a = assess(TEXT, tokens("the big brown ... ran to the red barn"))
    assert a.words[3].status == "assisted" and a.words[3].hesitation_s >= 3.0
    assert a.words[4].status == "correct"  # the pause was the skipped word's, not this one's
    a = assess(TEXT, tokens("the big brown ... dog ran to the red barn"))
    assert a.words[3].status == "assisted"
    a = assess(TEXT, tokens("the big brown dog ran to the red barn"), assisted={5})
    assert a.words[5].status == "assisted"


def test_a_stalled_word_squeezed_in_before_the_silence_is_still_the_stalled_one():
    # The reader stalls before "to", then reads on; the recognizer put "to" in 80 ms at the
    # end of "ran" and aligned the reading after the silence with the words after it.
    heard = tokens("the big brown dog ran") + [Token("to", 2.4, 2.48)]
    heard += [Token(w, 6.4 + 0.4 * i, 6.7 + 0.4 * i) for i, w in enumerate("the red barn".split())]
    a = assess(TEXT, heard)
    assert a.words[5].status == "assisted" and a.words[5].hesitation_s > 3.0
    assert statuses(a)[6:] == ["correct"] * 3
    # A word heard for a normal length before the silence was read: the stall is the next's.
    heard[5] = Token("to", 2.4, 2.7)
    a = assess(TEXT, heard)
    assert a.words[5].status == "correct" and a.words[6].status == "assisted"


def test_homophones_and_numbers_are_the_same_word():
    a = assess(["I", "see", "their", "3", "cats"], tokens("i sea there three cats"))
    assert statuses(a) == ["correct"] * 5


def test_second_look_clears_a_false_alarm_but_keeps_a_real_miscue():
    def second_look(word, heard, start, end, before, after):  # a recognizer re-decides
        return word == "dog"

    a = assess(TEXT, tokens("the big brown dug ran to the rod barn"), second_look=second_look)
    assert a.words[3].status == "correct" and a.words[7].status == "substituted"


def test_align_prefers_the_correction():
    pairs = align(["dog"], ["dig", "dog"])
    assert pairs == [(None, 0), (0, 1)]


def test_bands():
    assert band(0.95) == "independent" and band(0.93) == "instructional"
    assert band(0.899) == "frustration"


def test_noise_heard_in_a_long_silence_is_no_reading_of_the_word():
    # The reader stalls on "dog"; the recognizer hears "red" (not a misreading of "dog")
    # in the silence. Taking that token away leaves a silence longer than a stall.
    def second_look(word, heard, start, end, before, after):  # would clear anything
        return True

    toks = tokens("the big brown") + [Token("red", 2.5, 2.8)] + tokens("ran to the red barn",
                                                                        start=5.0)  # fmt: skip
    a = assess(TEXT, toks, second_look=second_look)
    dog = a.words[3]
    assert dog.status == "assisted" and dog.heard is None and dog.start is None
    assert dog.hesitation_s > 3.0
    assert a.words[4].status == "correct" and a.words[4].hesitation_s == 0.0


def test_noise_heard_for_a_word_gets_a_second_look_for_a_skip():
    looks = []

    def second_look(word, heard, start, end, before, after):  # a recognizer re-decides
        looks.append((word, heard, before, after))
        return word != "brown"  # "brown" was skipped; anything else was read

    # "pen" is neither close to "brown" nor to "dog": recognizer noise either way.
    a = assess(TEXT, tokens("the big pen dog ran to the rod barn"), second_look=second_look)
    assert a.words[2].status == "omitted" and a.words[2].start is None
    assert ("brown", None, "big", "dog") in looks  # the stretch between its neighbours
    a = assess(TEXT, tokens("the big brown pen ran to the red barn"), second_look=second_look)
    assert a.words[3].status == "correct" and a.errors == 0


def test_an_odd_word_in_a_quiet_recording_gets_a_look_of_its_own():
    # "pen" is no plausible misreading of "brown". In a quiet recording the odd look decides;
    # where the recording is noisy (no odd look), it is recognizer noise.
    def second_look(word, heard, start, end, before, after):  # would clear anything
        return True

    def odd_look(word, heard, start, end, before, after):  # the recognizer heard "pen"
        return heard != "pen"

    heard = tokens("the big pen dog ran to the red barn")
    a = assess(TEXT, heard, second_look=second_look, odd_look=odd_look)
    assert a.words[2].status == "substituted" and a.words[2].heard == "pen"
    assert a.errors == 1
    a = assess(TEXT, heard, second_look=second_look)
    assert a.words[2].status == "correct" and a.errors == 0


def test_unmatched_tokens_outside_the_reading_do_not_lengthen_it():
    # Noise heard as words before the first written word and after the last one.
    toks = [Token("yellow", 0.0, 0.4), *tokens(" ".join(TEXT)), Token("hot", 4.5, 5.0)]
    a = assess(TEXT, toks)
    assert statuses(a) == ["correct"] * 9 and len(a.insertions) == 2
    assert a.summary()["duration_s"] == 3.5  # 0.5 .. 4.0, as without the noise
    # An insertion inside the reading is part of its time.
    a = assess(TEXT, tokens("the big brown very dog ran to the red barn"))
    assert a.summary()["duration_s"] == 3.9


def test_speech_onset_finds_where_the_first_word_begins():
    from sidekick.reading.timing import speech_onset

    words = [(1.0, 1.4), (1.6, 2.0), (2.2, 2.6)]
    pcm = tone_pcm([(s, e, -20.0) for s, e in words], 3.5, noise_db=-45.0)
    # The recognizer stretched the first word back over the lead-in: moved to its sound.
    spans = [(0.3, 1.4), *words[1:]]
    assert abs(speech_onset(pcm, 0.3, 1.4, spans) - 1.0) <= 0.03
    # A start that is already right stays (it is never moved earlier).
    assert abs(speech_onset(pcm, 1.0, 1.4, words) - 1.0) <= 0.03
    assert speech_onset(pcm, 1.05, 1.4, words) == 1.05
    # Noise taken for the first word, the word itself heard as something else: the reading
    # starts where speech as loud as the rest begins, before the next word.
    pcm = tone_pcm([(0.2, 0.3, -38.0), *[(s, e, -20.0) for s, e in words]], 3.5, noise_db=-50.0)
    assert abs(speech_onset(pcm, 0.2, 0.3, [(0.2, 0.3), *words[1:]]) - 1.0) <= 0.03


def test_refine_start_moves_only_the_first_words_start():
    from sidekick.reading.reading_time import refine_start

    words = [(1.0, 1.4), (1.6, 2.0), (2.2, 2.6)]
    pcm = tone_pcm([(s, e, -20.0) for s, e in words], 3.5, noise_db=-45.0)
    a = assess(["a", "b", "c"], [Token("a", 0.3, 1.4), Token("b", 1.6, 2.0), Token("c", 2.2, 2.6)])
    refine_start(a, pcm)
    assert abs((a.words[0].start or 0) - 1.0) <= 0.03 and a.words[0].end == 1.4
    assert abs(a.words[0].hesitation_s - 1.0) <= 0.03  # the lead-in is silence before it
    assert [(w.start, w.end) for w in a.words[1:]] == words[1:]
    assert statuses(a) == ["correct"] * 3


def test_first_words_heard_in_the_noise_before_the_reading_do_not_lengthen_it():
    from sidekick.reading.reading_time import refine_start

    # Babble 10 dB under the reading from the start; the reader begins at 1.5 s. The
    # recognizer heard "a b" in the babble (0.1-0.9 s) and the reader's own "a b" as
    # other words: the reading time runs from 1.5 s, not 0.1 s.
    read = [(1.5 + 0.6 * k, 1.9 + 0.6 * k) for k in range(8)]
    babble = [(0.1 + 0.3 * k, 0.3 + 0.3 * k, -30.0) for k in range(4)]
    pcm = tone_pcm([*babble, *[(s, e, -20.0) for s, e in read]], 7.0, noise_db=-50.0)
    heard = [(0.1, 0.4), (0.4, 0.9), *read[2:]]
    written = list("abcdefgh")
    a = assess(written, [Token(w, s, e) for w, (s, e) in zip(written, heard, strict=True)])
    assert abs(a.duration_s - 6.0) < 1e-6
    refine_start(a, pcm)
    assert a.reading_start is not None and abs(a.reading_start - 1.5) <= 0.03
    assert abs(a.duration_s - 4.6) <= 0.03
    assert statuses(a) == ["correct"] * 8  # what was heard stands; only the time changes
    # A reading whose first word is where the voice begins keeps its time.
    b = assess(written, [Token(w, s, e) for w, (s, e) in zip(written, read, strict=True)])
    refine_start(b, pcm)
    assert b.reading_start is None and abs(b.duration_s - 4.6) < 1e-6


def test_a_last_word_stretched_over_the_noise_after_the_reading_does_not_lengthen_it():
    from sidekick.reading.reading_time import refine_end

    # The reader stops at 5.1 s; babble 15 dB under the reading goes on, and the recognizer
    # stretched the last word to 6.2 s. The reading ends a soft ending after the voice.
    read = [(0.5 + 0.6 * k, 0.9 + 0.6 * k) for k in range(8)]
    babble = [(5.3 + 0.3 * k, 5.5 + 0.3 * k, -35.0) for k in range(4)]
    pcm = tone_pcm([*[(s, e, -20.0) for s, e in read], *babble], 6.5, noise_db=-50.0)
    heard = [*read[:-1], (read[-1][0], 6.2)]
    written = list("abcdefgh")
    a = assess(written, [Token(w, s, e) for w, (s, e) in zip(written, heard, strict=True)])
    assert abs(a.duration_s - 5.7) < 1e-6
    refine_end(a, pcm)
    assert a.reading_end is not None and 5.1 <= a.reading_end <= 5.1 + 0.25
    assert statuses(a) == ["correct"] * 8 and a.words[-1].end == 6.2  # the word is as heard
    # A last word heard where the voice ends keeps the reading's end.
    b = assess(written, [Token(w, s, e) for w, (s, e) in zip(written, read, strict=True)])
    refine_end(b, pcm)
    assert b.reading_end is None and abs(b.duration_s - 4.6) < 1e-6


def test_a_word_heard_in_a_long_silence_was_a_stall():
    from sidekick.reading.assess import stalls_in_silence

    # "a b" read, 4.5 s of babble-like noise 20 dB under the reading, then "d e". The
    # recognizer took the noise for "c" (the stalled word) and for an attempt at "d".
    loud = [(1.0, 1.4), (1.6, 2.0), (6.6, 7.0), (7.2, 7.6)]
    pcm = tone_pcm([(s, e, -20.0) for s, e in loud] + [(2.2, 6.4, -40.0)], 8.0, noise_db=-60.0)
    heard = [Token("a", 1.0, 1.4), Token("b", 1.6, 2.0), Token("c", 3.0, 3.3),
             Token("do", 5.0, 5.3), Token("d", 6.6, 7.0), Token("e", 7.2, 7.6)]  # fmt: skip
    a = assess(list("abcde"), heard)
    assert statuses(a) == ["correct", "correct", "correct", "self_corrected", "correct"]
    stalls_in_silence(a, pcm, 3.0)
    assert statuses(a) == ["correct", "correct", "assisted", "self_corrected", "correct"]
    c = a.words[2]
    assert c.start is None and c.hesitation_s > 3.0
    # The same noise between words read at a normal pace is no stall.
    a = assess(list("abcde"), heard)
    stalls_in_silence(a, tone_pcm([(s, e, -20.0) for s, e in [*loud[:2], (3.0, 3.3), *loud[2:]]]
                              + [(3.4, 6.4, -40.0)], 8.0, noise_db=-60.0), 3.0)  # fmt: skip
    assert "assisted" not in statuses(a)


def test_a_word_read_before_the_silence_is_not_the_stall():
    from sidekick.reading.assess import stalls_in_silence

    # "b" read at 1.6 s and heard again (noise) in the silence after it: "c" is the stall.
    loud = [(1.0, 1.4), (1.6, 2.0), (6.6, 7.0), (7.2, 7.6), (7.8, 8.2)]
    pcm = tone_pcm([(s, e, -20.0) for s, e in loud] + [(2.2, 6.4, -40.0)], 8.5, noise_db=-60.0)
    heard = [Token("a", 1.0, 1.4), Token("b", 1.6, 2.0), Token("b", 3.0, 3.3),
             Token("c", 4.5, 4.8), Token("d", 6.6, 7.0), Token("e", 7.2, 7.6),
             Token("f", 7.8, 8.2)]  # fmt: skip
    a = assess(list("abcdef"), heard)
    assert a.words[1].start == 3.0 and len(a.repetitions) == 1  # the later "b" taken
    stalls_in_silence(a, pcm, 3.0)
    assert statuses(a) == ["correct", "correct", "assisted", "correct", "correct", "correct"]
    assert (a.words[1].start, a.words[1].end) == (1.6, 2.0)
    assert a.repetitions == []  # the copy in the silence was noise


def test_a_heard_word_unfit_for_children_is_not_shown_unless_the_page_has_it():
    """A recognizer without a grammar can hear any word; reports never show such a one."""
    from sidekick.words.pronounce import HIDDEN_WORD

    a = assess(TEXT, tokens("the big brown stupid ran idiot to the red barn"))
    assert a.words[3].status == "substituted" and a.words[3].heard == HIDDEN_WORD
    assert [i["word"] for i in a.insertions] == [HIDDEN_WORD]
    page = "the giant said kill the dragon".split()
    a = assess(page, tokens("the giant said kill kill the dragon"))
    assert a.errors == 0 and [r["word"] for r in a.repetitions] == ["kill"]  # the book's own
