"""Sentences and words with character offsets: the one sentence splitter of the app.

Books are cut into sentences here, the voices speak sentence by sentence from here, and the
training text is split into sentences here too, so a sentence is the same sentence
everywhere. Rules (also documented in ``books/README.md``):

* A word is a run of letters and/or digits. An apostrophe between letters keeps a word
  together ("don't", "Sam's"); so do ``.`` and ``,`` between digits ("3.5", "1,000").
  Everything else separates words, hyphens included: "tip-toe" is the two words "tip" and
  "toe". Numbers such as "3" are words.
* A run of letters longer than :data:`MAX_WORD_CHARS` is no word a child reads: it is not
  a word here (a book shows it shortened, and it is not checked, offered as a misreading or
  spoken).
* A word's ``norm`` is :func:`sidekick.words.normalize_word`: its lower-case form with only
  letters, digits and straight apostrophes (curly apostrophes become ``'``).
* Sentences come from nltk's Punkt tokenizer, used without any downloaded data and told a
  few common abbreviations (Mr., Mrs., Dr., St., ...). A piece that starts with a lower-case
  letter stays with the sentence before it, so ``"Where?" asked Mia.`` is one sentence.
  A sentence never splits a word, and a sentence without words is dropped. A "sentence" of
  more than :data:`MAX_SENTENCE_WORDS` words (text without sentence ends) is cut into pieces
  of that many words.

nltk is imported on the first split (it takes a second or more on a slow machine), not when
this module is imported; :func:`warm_up` does it ahead of time.
"""

from __future__ import annotations

import bisect
import re
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nltk.tokenize.punkt import PunktSentenceTokenizer

from sidekick.words.normalize import MAX_WORD_CHARS, normalize_word

ABBREVIATIONS = frozenset(
    {"mr", "mrs", "ms", "dr", "st", "jr", "sr", "prof", "mt", "capt", "e.g", "i.e", "vs"}
)

#: A longer "sentence" (a text without sentence ends) is cut into pieces of this many words.
MAX_SENTENCE_WORDS = 120

#: A word, or a run of letters too long to be one (:func:`word_spans` leaves those out).
WORD_RE = re.compile(
    r"[^\W_]+(?:(?:['\u2019\u2018]|(?<=\d)[.,](?=\d))[^\W_]+)*",
)


@lru_cache(maxsize=1)
def _punkt() -> PunktSentenceTokenizer:
    from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer  # slow: lazily

    params = PunktParameters()
    params.abbrev_types = set(ABBREVIATIONS)
    return PunktSentenceTokenizer(params)


def warm_up() -> None:
    """Load the sentence splitter now (for a caller that must not wait for it later)."""
    _punkt()


def word_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of every word in ``text`` (not a lone mark such as "ʼ", a modifier
    letter that normalizes to nothing)."""
    spans = map(re.Match.span, WORD_RE.finditer(text))
    return [(a, b) for a, b in spans if b - a <= MAX_WORD_CHARS and normalize_word(text[a:b])]


def words(text: str) -> list[str]:
    """The normalized words of ``text`` (handy for comparing with recognized speech)."""
    return [normalize_word(text[a:b]) for a, b in word_spans(text)]


def has_words(text: str) -> bool:
    """Whether ``text`` holds at least one word (stops at the first)."""
    return any(
        m.end() - m.start() <= MAX_WORD_CHARS and normalize_word(m.group())
        for m in WORD_RE.finditer(text)
    )


_OPENERS = "\"'\u201c\u2018([{ \t\n"


#: A sentence: ``(start, end, word spans)``, offsets into the text it was found in.
Segment = tuple[int, int, list[tuple[int, int]]]


def _cuts(text: str, words: list[tuple[int, int]]) -> list[int]:
    """Where Punkt starts a new sentence, minus cuts inside a word or before lower case."""
    try:
        spans = list(_punkt().span_tokenize(text))
    except Exception:  # Punkt has odd corners; one sentence is a safe answer.
        return []
    starts = [ws for ws, _we in words]
    cuts = []
    for start, _end in spans[1:]:
        k = bisect.bisect_left(starts, start) - 1  # the last word starting before the cut
        inside = k >= 0 and words[k][1] > start
        head = text[start : start + 64].lstrip(_OPENERS)[:1]
        if not inside and not head.islower():
            cuts.append(start)
    return cuts


def _pieces(lo: int, hi: int, found: list[tuple[int, int]]) -> list[Segment]:
    """A sentence's ``(start, end, words)`` cut every :data:`MAX_SENTENCE_WORDS` words."""
    if len(found) <= MAX_SENTENCE_WORDS:
        return [(lo, hi, found)]
    out = []
    for k in range(0, len(found), MAX_SENTENCE_WORDS):
        part = found[k : k + MAX_SENTENCE_WORDS]
        end = found[k + MAX_SENTENCE_WORDS][0] if k + MAX_SENTENCE_WORDS < len(found) else hi
        out.append((lo if k == 0 else part[0][0], end, part))
    return out


def sentence_segments(text: str) -> list[Segment]:
    """The sentences of ``text``; whitespace trimmed, wordless ones dropped."""
    spans = word_spans(text)
    if not spans:
        return []
    edges = [0, *_cuts(text, spans), len(text)]
    result = []
    i = 0
    for lo, hi in zip(edges, edges[1:], strict=False):
        found = []
        while i < len(spans) and spans[i][0] < hi:
            found.append(spans[i])
            i += 1
        for a, b, part in _pieces(lo, hi, found) if found else ():
            chunk = text[a:b]
            start = a + len(chunk) - len(chunk.lstrip())
            end = a + len(chunk.rstrip())
            result.append((start, end, part))
    return result


def shift_segments(segments: list[Segment], by: int) -> list[Segment]:
    """``segments`` with every offset moved by ``by`` (for a piece cut out of the text)."""
    return [(a + by, b + by, [(ws + by, we + by) for ws, we in found]) for a, b, found in segments]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence in ``text`` that contains at least one word."""
    return [(start, end) for start, end, _words in sentence_segments(text)]
