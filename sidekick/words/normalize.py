"""When are two spellings the same word? One rule for the whole app.

* :func:`written_form`: the book's spelling of a word, case kept, with only letters, digits
  and straight apostrophes (curly ones straightened, punctuation dropped): ``"Sam,"`` ->
  ``"Sam"``. What a report shows.
* :func:`normalize_word`: the written form in lower case (``"Don’t,"`` -> ``"don't"``). How
  a book stores a word's ``norm`` and progress groups challenge words.
* :func:`key`: the comparison key. Recognizers spell numbers, contractions and accented
  letters their own way ("3" / "three", "dont" / "don't", "cafe" / "café"); a child saying
  either must not be marked wrong, so the key spells numbers out, drops apostrophes and
  folds accents. Two spellings are :func:`same_word` when their keys are equal.
* :func:`spoken_form`: how a recognizer vocabulary spells a written word (``"3"`` ->
  ``"three"``, ``"Café"`` -> ``"cafe"``; apostrophes kept, the dictionary has "don't").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Hashable, Sequence
from functools import lru_cache

#: The longest word read, checked and spoken ("pneumonoultramicroscopicsilicovolcanoconiosis"
#: has 45 letters); a longer run of letters is no word a child reads.
MAX_WORD_CHARS = 50

#: Characters written as an apostrophe inside a word ("don’t", "Mia‘s", "donʼt").
APOSTROPHES = "'\u2019\u2018\u02bc"
_APOSTROPHE_TABLE = str.maketrans({c: "'" for c in APOSTROPHES})
_NOT_WORD = re.compile(r"[^\w']|_")  # \w is str.isalnum() plus "_"

_NUMBERS = {
    "0": "zero", "1": "one", "2": "two", "3": "three", "4": "four", "5": "five", "6": "six",
    "7": "seven", "8": "eight", "9": "nine", "10": "ten", "11": "eleven", "12": "twelve",
    "13": "thirteen", "14": "fourteen", "15": "fifteen", "16": "sixteen", "17": "seventeen",
    "18": "eighteen", "19": "nineteen", "20": "twenty", "30": "thirty", "40": "forty",
    "50": "fifty", "100": "hundred", "1st": "first", "2nd": "second", "3rd": "third",
}  # fmt: skip


def written_form(text: str) -> str:
    """The word as written, case kept: letters, digits and straight apostrophes only, no
    apostrophe at either end (``"“Mia’s"`` -> ``"Mia's"``, ``"Sam,"`` -> ``"Sam"``)."""
    return _NOT_WORD.sub("", text.translate(_APOSTROPHE_TABLE)).strip("'")


@lru_cache(maxsize=65_536)  # a book repeats its words: one string per distinct word
def normalize_word(text: str) -> str:
    """The written form in lower case: ``"Don’t,"`` -> ``"don't"``. (Lowered first: a
    capital may lower to a letter and a combining mark, "İ" -> "i̇", and the mark goes.)"""
    return written_form(text.lower())


def _fold(word: str) -> str:
    """Accents dropped from Latin letters ("café" -> "cafe"); other letters kept."""
    if word.isascii():
        return word
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=65_536)
def spoken_form(word: str) -> str:
    """How a recognizer vocabulary spells a written word (``"3"`` -> ``"three"``)."""
    norm = _fold(normalize_word(word))
    return _NUMBERS.get(norm, norm)


@lru_cache(maxsize=65_536)
def key(word: str) -> str:
    """The comparison key: the spoken form without apostrophes (``"Don't"`` == ``"dont"``)."""
    return spoken_form(word).replace("'", "")


def same_word(heard: str, written: str) -> bool:
    """Whether a heard spelling is the written word (same :func:`key`, not empty)."""
    return bool(heard) and key(heard) == key(written)


def edit_distance(a: Sequence[Hashable], b: Sequence[Hashable]) -> int:
    """Levenshtein distance between two sequences (words of a transcript, phones, ...)."""
    d = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, d[0] = d[0], i
        for j, y in enumerate(b, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (x != y))
    return d[len(b)]
