"""The first reading check: following a reader through a page from hypotheses."""

from sidekick.listening.base import HeardWord, Hypothesis
from sidekick.reading.tracker import ReadingTracker
from sidekick.words import same_word

PAGE = "the big dog ran to the red barn and the cat sat down".split()


def hyp(text: str) -> Hypothesis:
    return Hypothesis(tuple(HeardWord(w) for w in text.split()))


def test_reading_in_order_marks_every_word_and_finishes():
    tr = ReadingTracker(PAGE)
    tr.update(hyp("the big dog"), 1.0)
    assert tr.read == {0, 1, 2} and tr.position == 3
    tr.update(hyp(" ".join(PAGE)), 4.0)
    assert tr.finished and tr.read == set(range(len(PAGE)))


def test_repetition_and_insertion_do_not_jump_ahead():
    tr = ReadingTracker(PAGE)
    tr.update(hyp("the big the big um dog ran"), 2.0)
    assert tr.read == {0, 1, 2, 3}
    # A repeated "the" must not be matched with the later "the" (index 5) on its own.
    tr.update(hyp("the big the big um dog ran the"), 2.5)
    assert 5 not in tr.read


def test_skipping_a_word_needs_the_next_word_to_confirm():
    tr = ReadingTracker(PAGE)
    tr.update(hyp("the big dog ran to red"), 2.0)  # "the" (5) omitted, "red" unconfirmed
    assert 6 not in tr.read
    tr.update(hyp("the big dog ran to red barn"), 2.5)
    assert {6, 7} <= tr.read and 5 not in tr.read


def test_stall_hands_the_word_to_sidekick_then_reader_continues():
    tr = ReadingTracker(PAGE, stall_s=3.0, first_word_grace_s=0.0)
    tr.update(hyp("the big"), 1.0)
    assert tr.update(hyp("the big"), 3.9).stuck is None
    p = tr.update(hyp("the big"), 4.0)
    assert p.stuck == 2 and 2 in tr.assisted
    tr.update(hyp("the big ran to"), 5.0)  # carries on after the helped word
    assert {3, 4} <= tr.read and tr.position == 5


def test_first_word_gets_extra_time():
    tr = ReadingTracker(PAGE, stall_s=3.0, first_word_grace_s=2.0)
    assert tr.update(hyp(""), 4.0).stuck is None
    assert tr.update(hyp(""), 5.0).stuck == 0


def test_help_current_marks_assisted():
    tr = ReadingTracker(PAGE)
    tr.update(hyp("the"), 0.5)
    assert tr.help_current(1.0) == 1 and tr.assisted == {1}


def test_equivalent_forms_match():
    assert same_word("three", "3")
    assert same_word("dont", "Don't")
    assert same_word("don't", "don’t")
    assert not same_word("then", "than")
    assert not same_word("", "a")
