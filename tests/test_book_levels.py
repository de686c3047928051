"""Reading-level estimates of a book's text: syllables, common words, the grade band."""

from __future__ import annotations

import pytest

from sidekick.books.levels import COMMON_WORDS, estimate_level, is_common, syllables


def test_syllables_from_cmudict_with_fallback():
    assert [syllables(w) for w in ("the", "reading", "elephant", "Puddle's")] == [1, 2, 3, 2]
    assert syllables("caterpillar") == 4
    assert syllables("zorbleflimp") >= 3  # not in cmudict: heuristic
    assert syllables("grumbled") == 2 and syllables("xyzzq") == 1


def test_common_words_and_inflections():
    assert 1000 <= len(COMMON_WORDS) <= 1500
    for w in ("the", "jumped", "puppies", "running", "biggest", "Dog's", "happily"):
        assert is_common(w), w
    for w in ("photosynthesis", "ecosystem", "serendipity"):
        assert not is_common(w), w


def test_levels_order_simple_before_hard():
    simple = estimate_level("The cat sat on the mat. It was fun.")
    middle = estimate_level(
        "Pip found a big puddle by the gate. She jumped in with both feet and laughed. "
        "Her boots were full of water, but she did not mind at all."
    )
    hard = estimate_level(
        "Photosynthesis transforms electromagnetic radiation into chemical energy, "
        "sustaining the overwhelming majority of terrestrial ecosystems. Consequently, "
        "atmospheric composition depends substantially on vegetation."
    )
    assert simple.grade < middle.grade < hard.grade
    assert simple.words_per_sentence < middle.words_per_sentence < hard.words_per_sentence
    assert simple.rare_word_share < hard.rare_word_share
    assert simple.label == "K–1" and hard.label == "grade 4+"
    assert hard.rare_word_share > 0.4
    assert simple.words == 9


def test_levels_edge_cases():
    assert estimate_level("").label == "unknown"
    assert estimate_level("  ... 123 !!").words == 0
    # Names are not rare words; headings without punctuation are their own sentence.
    named = estimate_level("Chapter One\n\nZanzibar ran. Zanzibar sat down.")
    assert named.rare_word_share == 0.0
    assert named.words_per_sentence == pytest.approx(7 / 3, abs=0.05)
    assert estimate_level("Run! Run, Tom, run.").label == "K–1"
