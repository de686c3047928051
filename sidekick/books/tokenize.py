"""Sentences and words with character offsets.

Rules (also documented in ``books/README.md``):

* A word is a run of letters and/or digits. An apostrophe between letters keeps a word
  together ("don't", "Sam's"); so do ``.`` and ``,`` between digits ("3.5", "1,000").
  Everything else separates words, hyphens included: "tip-toe" is the two words "tip" and
  "toe". Numbers such as "3" are words.
* A word's ``norm`` is its lower-case form with only letters, digits and straight
  apostrophes (curly apostrophes become ``'``).
* Sentences come from nltk's Punkt tokenizer, used without any downloaded data and told a
  few common abbreviations (Mr., Mrs., Dr., St., ...). A piece that starts with a lower-case
  letter stays with the sentence before it, so ``"Where?" asked Mia.`` is one sentence.
  A sentence never splits a word, and a sentence without words is dropped.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nltk.tokenize.punkt import PunktSentenceTokenizer

from .model import Sentence, Word

ABBREVIATIONS = frozenset(
    {"mr", "mrs", "ms", "dr", "st", "jr", "sr", "prof", "mt", "capt", "e.g", "i.e", "vs"}
)

_APOSTROPHES = "'\u2019\u2018\u02bc"
_WORD_RE = re.compile(
    r"[^\W_]+(?:(?:['\u2019\u2018]|(?<=\d)[.,](?=\d))[^\W_]+)*",
)
_APOSTROPHE_TABLE = str.maketrans({c: "'" for c in _APOSTROPHES})


@lru_cache(maxsize=1)
def _punkt() -> PunktSentenceTokenizer:
    from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer  # slow: lazily

    params = PunktParameters()
    params.abbrev_types = set(ABBREVIATIONS)
    return PunktSentenceTokenizer(params)


def normalize_word(text: str) -> str:
    """Lower case, letters/digits/apostrophes only: ``"Don’t,"`` -> ``"don't"``."""
    lowered = text.translate(_APOSTROPHE_TABLE).lower()
    norm = "".join(c for c in lowered if c.isalnum() or c == "'")
    return norm or "".join(c for c in text if c.isalnum())


def word_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of every word in ``text``."""
    return [m.span() for m in _WORD_RE.finditer(text)]


def words(text: str) -> list[str]:
    """The normalized words of ``text`` (handy for comparing with recognized speech)."""
    return [normalize_word(m.group()) for m in _WORD_RE.finditer(text)]


_OPENERS = "\"'\u201c\u2018([{ \t\n"


def _cuts(text: str) -> list[int]:
    """Where Punkt starts a new sentence, minus cuts inside a word or before lower case."""
    try:
        spans = list(_punkt().span_tokenize(text))
    except Exception:  # Punkt has odd corners; one sentence is a safe answer.
        return []
    inside = {i for ws, we in word_spans(text) for i in range(ws + 1, we)}
    cuts = []
    for start, _end in spans[1:]:
        head = text[start:].lstrip(_OPENERS)[:1]
        if start not in inside and not head.islower():
            cuts.append(start)
    return cuts


def _segments(text: str) -> list[tuple[int, int, list[tuple[int, int]]]]:
    """``(start, end, word spans)`` per sentence; whitespace trimmed, wordless ones dropped."""
    spans = word_spans(text)
    if not spans:
        return []
    edges = [0, *_cuts(text), len(text)]
    result = []
    i = 0
    for lo, hi in zip(edges, edges[1:], strict=False):
        found = []
        while i < len(spans) and spans[i][0] < hi:
            found.append(spans[i])
            i += 1
        if found:
            chunk = text[lo:hi]
            start = lo + len(chunk) - len(chunk.lstrip())
            end = lo + len(chunk.rstrip())
            result.append((start, end, found))
    return result


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence in ``text`` that contains at least one word."""
    return [(start, end) for start, end, _words in _segments(text)]


def build_sentences(text: str, *, offset: int = 0, first_index: int = 0) -> list[Sentence]:
    """Sentences (with their words) of ``text``.

    Offsets are shifted by ``offset`` (the position of ``text`` inside the page text) and
    word indexes start at ``first_index``.
    """
    sentences: list[Sentence] = []
    index = first_index
    for start, end, spans in _segments(text):
        found = []
        for ws, we in spans:
            found.append(
                Word(text[ws:we], normalize_word(text[ws:we]), ws + offset, we + offset, index)
            )
            index += 1
        sentences.append(Sentence(text[start:end], start + offset, end + offset, tuple(found)))
    return sentences
