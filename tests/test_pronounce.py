"""Likely misreadings (sidekick.words.pronounce) on the real CMU dictionary and LM."""

from __future__ import annotations

from sidekick.words.pronounce import distractors, is_sight_word, lexicon, likely_miscues


def test_vowel_change_keeps_the_consonants_in_place() -> None:
    lex = lexicon()
    assert lex.vowel_change("hat", "hot") and lex.vowel_change("ran", "run")
    assert lex.vowel_change("cheese", "chose")
    assert not lex.vowel_change("hat", "hat")  # the same word is no change
    assert not lex.vowel_change("hat", "cat")  # a consonant changed
    assert not lex.vowel_change("hat", "hate_not_a_word")
    assert not lex.vowel_change("bus", "buy")  # a sound lost, not a vowel changed


def test_distractors_put_vowel_changes_first_and_never_repeat_a_sound() -> None:
    lex = lexicon()
    for word in ("hat", "ran", "nut", "way", "duck", "boat", "stopped"):
        out = distractors(word)
        assert 0 < len(out) <= 6 and word not in out
        assert all(w in lex.neighbours(word) for w in out)
        changes = [lex.vowel_change(word, w) for w in out]
        assert changes == sorted(changes, reverse=True), (word, out)  # vowel changes first
        assert not any(lex.same_sound(a, b) for i, a in enumerate(out) for b in out[i + 1 :])
    assert "hot" in distractors("hat") and "run" in distractors("ran")
    assert distractors("up") == []  # too short to guess a misreading from


def test_sight_words_keep_their_commonest_neighbours() -> None:
    assert is_sight_word("the") and not is_sight_word("hat")
    assert "though" not in distractors("the")  # a vowel change nobody reads "the" as
    assert distractors("the")[0] in {"to", "a", "that", "they"}


def test_page_words_do_not_take_a_misreadings_slot() -> None:
    alone = distractors("hat")
    assert len(alone) == 6
    page = set(alone[:2])
    shifted = distractors("hat", exclude=page)
    assert len(shifted) == 6 and not page & set(shifted)
    assert shifted[:4] == alone[2:]
    miscues = likely_miscues(["the", "hat", "hot", "hit"])
    assert not {"hot", "hit"} & set(miscues["hat"]) and len(miscues["hat"]) == 6


def test_no_rude_or_violent_word_is_offered_as_a_misreading() -> None:
    """Inflected forms too: they are neighbours of ordinary words of children's books."""
    rude = {"fucked", "fucking", "pissed", "rapes", "raped", "sucks", "killing", "killer",
            "queer", "heroin", "cunt", "pussy"}  # fmt: skip
    for word in ("tucked", "picked", "ropes", "wraps", "wrapped", "socks", "ducks",
                 "sucking", "kicking", "willing", "collar", "passed", "queen", "heroic",
                 "count", "canoe", "can't", "fussy"):  # fmt: skip
        assert not rude & set(distractors(word, limit=50)), word
    assert "butter" in distractors("better", limit=50)  # "butt" is blocked, "butter" is not
