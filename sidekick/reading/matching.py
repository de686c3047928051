"""When does a heard word count as the written word?

Recognizers spell numbers and contractions their own way ("3" / "three", "dont" /
"don't"); a child saying either must not be marked wrong.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Sequence

_NUMBERS = {
    "0": "zero", "1": "one", "2": "two", "3": "three", "4": "four", "5": "five", "6": "six",
    "7": "seven", "8": "eight", "9": "nine", "10": "ten", "11": "eleven", "12": "twelve",
    "13": "thirteen", "14": "fourteen", "15": "fifteen", "16": "sixteen", "17": "seventeen",
    "18": "eighteen", "19": "nineteen", "20": "twenty", "30": "thirty", "40": "forty",
    "50": "fifty", "100": "hundred", "1st": "first", "2nd": "second", "3rd": "third",
}  # fmt: skip
_NON_WORD = re.compile(r"[^a-z0-9']+")


def normalize(word: str) -> str:
    """Lower case, curly quotes straightened, only letters, digits and apostrophes."""
    word = word.lower().replace("’", "'").replace("‘", "'")
    word = _NON_WORD.sub("", word).strip("'")
    return _NUMBERS.get(word, word)


def key(word: str) -> str:
    """The comparison key: normalized, apostrophes dropped ("don't" == "dont")."""
    return normalize(word).replace("'", "")


def spoken_form(word: str) -> str:
    """How a recognizer vocabulary spells a written word ("3" -> "three")."""
    return normalize(word)


def edit_distance(a: Sequence[Hashable], b: Sequence[Hashable]) -> int:
    """Levenshtein distance between two sequences (words of a transcript, phones, ...)."""
    d = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, d[0] = d[0], i
        for j, y in enumerate(b, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (x != y))
    return d[len(b)]


def same_word(heard: str, written: str) -> bool:
    return bool(heard) and key(heard) == key(written)
