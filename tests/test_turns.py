"""Reading plans and praise."""

import pytest

from sidekick.books.model import Word
from sidekick.settings import Share
from sidekick.turns.plan import reading_plan
from sidekick.turns.praise import PraiseMaker


@pytest.mark.parametrize(
    ("share", "expected"),
    [
        (Share.SIDEKICK, ["sidekick"] * 6),
        (Share.TAKE_TURNS, ["child", "sidekick"] * 3),
        (Share.A_LITTLE, ["child", "sidekick", "sidekick"] * 2),
        (Share.A_LOT, ["child"] * 4 + ["sidekick", "child"]),
    ],
)
def test_plans(share, expected):
    assert reading_plan(share, 6) == expected


def test_plan_from_a_later_page():
    assert reading_plan(Share.TAKE_TURNS, 5, start_page=4) == ["child", "sidekick"]


def _words(text: str) -> tuple[Word, ...]:
    out, pos = [], 0
    for i, w in enumerate(text.split()):
        start = text.index(w, pos)
        out.append(Word(w, w.lower(), start, start + len(w), i))
        pos = start + len(w)
    return tuple(out)


NEGATIVE = ("wrong", "bad", "no,", "try harder", "mistake", "incorrect")


def test_praise_is_specific_varied_and_never_negative():
    words = _words("The enormous elephant sat on a tiny chair")
    maker = PraiseMaker(seed=1)
    texts = [maker.praise(words, set(range(len(words))), set()) for _ in range(12)]
    assert any("enormous" in t or "elephant" in t for t in texts)  # names a real word
    assert all(a != b for a, b in zip(texts, texts[1:], strict=False))  # no repeats in a row
    for t in texts:
        assert not any(n in t.lower() for n in NEGATIVE)


def test_praise_never_names_a_helped_word():
    words = _words("The enormous elephant sat")
    maker = PraiseMaker(seed=3)
    for _ in range(20):
        t = maker.praise(words, {0, 1, 3}, assisted={1, 2})
        assert "enormous" not in t and "elephant" not in t


def test_praise_when_nothing_was_heard_is_still_warm():
    words = _words("The cat sat")
    t = PraiseMaker(seed=0).praise(words, set(), set())
    assert t and not any(n in t.lower() for n in NEGATIVE)


def test_praise_names_only_words_the_check_found_correct():
    # "solve" was self-corrected (or mis-heard); only a `correct` word may be named.
    words = _words("We can solve anything together")
    read = {0, 1, 2, 3, 4}
    for seed in range(30):
        t = PraiseMaker(seed=seed).praise(words, read, set(), correct={0, 1, 3}, accuracy=0.96)
        assert "solve" not in t and "together" not in t


def test_low_accuracy_turn_gets_encouragement_not_amazing():
    # 6 of 49 words: the frustration band. No "Amazing!", no "reading star", no count.
    words = _words(" ".join(["elephant"] * 6 + ["the"] * 43))
    read = set(range(6))
    for seed in range(30):
        t = PraiseMaker(seed=seed).praise(words, read, set(), correct=read, accuracy=6 / 49)
        assert "amazing" not in t.lower() and "star" not in t.lower()
        assert "6 words" not in t and "elephant" not in t
        assert not any(n in t.lower() for n in NEGATIVE)


def test_accurate_turn_still_names_a_correct_hard_word():
    words = _words("The enormous elephant sat")
    texts = [
        PraiseMaker(seed=s).praise(words, {0, 1, 2, 3}, set(), correct={0, 1, 3}, accuracy=0.95)
        for s in range(20)
    ]
    assert any("enormous" in t for t in texts)
    assert not any("elephant" in t for t in texts)
