"""One rule for "the same word" (sidekick.words), used by books, the recognizers, the
check, the live tracker and progress alike."""

from sidekick.books import parse_book_text
from sidekick.listening import page_words
from sidekick.words import key, normalize_word, same_word, spoken_form, written_form


def test_written_and_normalized_forms() -> None:
    assert written_form("“Mia’s") == "Mia's"
    assert written_form("Sam,") == "Sam"
    assert written_form("'tis") == "tis"
    assert normalize_word("Don’t,") == "don't"
    assert normalize_word("donʼt") == "don't"  # modifier-letter apostrophe
    assert normalize_word("ROCK’N’ROLL") == "rock'n'roll"
    assert normalize_word("—") == ""


def test_keys_spell_numbers_drop_apostrophes_and_fold_accents() -> None:
    assert key("3") == "three" and key("1st") == "first"
    assert key("Don't") == key("dont") == "dont"
    assert key("Café") == "cafe" and spoken_form("Café!") == "cafe"
    assert spoken_form("don’t") == "don't"  # the dictionary spells it with the apostrophe
    assert same_word("cafe", "café") and same_word("three", "3")
    assert not same_word("", "a") and not same_word("then", "than")


def test_every_layer_agrees_on_a_book_word() -> None:
    """A book's word, the recognizer's vocabulary entry for it and the stored challenge
    word are the same word (before, "café" lost its "é" in the check but not in the book)."""
    page = parse_book_text("“Mia’s café,” said Sam. It is 3 o’clock.", name="t").pages[0]
    for w in page.words:
        assert w.norm == normalize_word(w.text)
        (spoken,) = page_words([spoken_form(w.text)])
        assert same_word(spoken, w.text) and same_word(w.norm, w.text)
    assert [w.norm for w in page.words] == [
        "mia's", "café", "said", "sam", "it", "is", "3", "o'clock"
    ]  # fmt: skip
