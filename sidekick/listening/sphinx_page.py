"""pocketsphinx's model of one page: the decoder's settings, and the page's dictionary and
ARPA language model.

One decoder is kept; each page gets its own small dictionary and language model (the page's
words in reading order plus distractors) and the decoder is re-initialized on them, which
takes milliseconds (adding a language model to a decoder holding the full 126k-word
dictionary takes over a second).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sidekick.errors import ModelError
from sidekick.listening.models import DISTRACTORS, page_words, unique
from sidekick.private_files import MemoryFile
from sidekick.words.letter_to_sound import guess_pronunciation, pronunciations

PAGE_WEIGHT = 3  # the page as written counts this many times against each misreading
#: Extra pocketsphinx settings for every decoder. ``warp_params`` warps the frequency axis
#: (inverse linear) towards the higher formants of children's shorter vocal tracts; 1.2 is
#: the warp a reader starts with, before :data:`~sidekick.listening.sphinx_reader.
#: WARP_BY_PITCH` follows their voice. ``SIDEKICK_SPHINX_OPTIONS`` (JSON) overrides any
#: setting, for experiments.
_OVERRIDES: dict[str, Any] = json.loads(os.environ.get("SIDEKICK_SPHINX_OPTIONS", "{}"))
DECODER_OPTIONS: dict[str, Any] = {"warp_params": "1.2", **_OVERRIDES}
#: An explicit ``warp_params`` override keeps the warp fixed.
WARP_FIXED = "warp_params" in _OVERRIDES
_ALT = re.compile(r"\(\d+\)$")  # "to(3)": third pronunciation of "to"


def model_dir() -> Path:
    """pocketsphinx's bundled en-us model folder."""
    import pocketsphinx

    return Path(pocketsphinx.get_model_path("en-us"))


def base_word(entry: str) -> str:
    """The word of a dictionary entry: ``"to(3)"`` -> ``"to"``."""
    return _ALT.sub("", entry)


def accent_variants(words: Sequence[str], prons: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """Accent variants of the page ``words`` for the page dictionary ``prons``: those that
    are no pronunciation of it and no common word (:func:`sidekick.words.variants.
    page_variants`), so that a reader's accent is heard as the word and a misreading still
    as the other word."""
    from sidekick.words.pronounce import COMMON, lexicon, word_frequency
    from sidekick.words.variants import page_variants

    by_pron = lexicon().words_by_pron

    def common(pron: tuple[str, ...]) -> bool:
        return any(word_frequency(w) > COMMON for w in by_pron.get(pron, ()))

    return page_variants({w: prons[w] for w in words if w in prons}, common, taken=prons)


@dataclass(frozen=True)
class PageModel:
    """What a page's dictionary holds."""

    vocabulary: list[str]  # the words it can hear
    unknown_words: frozenset[str]  # page words no pronunciation was found for
    entries: dict[str, str]  # its entries ("to(2)": "T UW")


def write_page_model(
    words: list[str],
    misreadings: Mapping[str, Sequence[str]],
    dict_file: MemoryFile,
    lm_file: MemoryFile,
    *,
    distractors: bool,
    accents: bool,
) -> PageModel:
    """Write the page's dictionary and language model into ``dict_file`` and ``lm_file``.

    The dictionary: the page's words (CMU pronunciations, guessed ones for new words) and,
    with ``distractors``, the likely ``misreadings`` and common :data:`DISTRACTORS`; with
    ``accents``, the page words' accent variants (:func:`accent_variants`). The language
    model: the page's words in reading order (``<s> ... </s>``, :data:`PAGE_WEIGHT` times),
    each likely misreading in the context where it would be said, and each distractor once,
    so the text as written is most likely but a misread can still surface as another word.
    """
    prons: dict[str, list[str]] = {}
    unknown = set()
    for w in unique(words):
        guess = pronunciations(w) or ([g] if (g := guess_pronunciation(w)) else None)
        if guess:
            prons[w] = guess
        else:
            unknown.add(w)
    likely = [d for ds in misreadings.values() for d in page_words(list(ds))]
    extra = unique([*likely, *DISTRACTORS]) if distractors else []
    extra = [w for w in extra if w not in prons and pronunciations(w)]
    if not prons and not extra:
        extra = list(DISTRACTORS)  # nothing recognizable on the page: keep a valid model
    for w in extra:
        prons[w] = pronunciations(w)
    if accents:
        for w, alts in accent_variants(unique(words), prons).items():
            prons[w] = [*prons[w], *alts]

    entries = {
        w if i == 0 else f"{w}({i + 1})": phones
        for w, alts in prons.items()
        for i, phones in enumerate(alts)
    }
    dict_file.write("".join(f"{w} {phones}\n" for w, phones in entries.items()).encode("utf-8"))

    from pocketsphinx.lm import ArpaBoLM

    sequence = [w for w in words if w in prons]
    lines = [" ".join(sequence)] * PAGE_WEIGHT if sequence else []
    if distractors:  # each likely misreading in the context where it would be said
        for i, w in enumerate(sequence):
            for d in misreadings.get(w, ()):
                if d in prons:
                    lines.append(" ".join([*sequence[max(0, i - 1) : i], d,
                                           *sequence[i + 1 : i + 2]]))  # fmt: skip
    lm = ArpaBoLM(text="\n".join(lines) + "\n" if lines else None, add_start=True)
    for w in extra:
        lm.grams_1[w] += 1
    if "<s>" not in lm.grams_1:  # no page text: sentence marks for a valid model
        lm.grams_1["<s>"] += 1
        lm.grams_1["</s>"] += 1
    lm.compute()
    if not lm.write_file(lm_file.path):
        raise ModelError("Cannot write the page language model.")
    return PageModel(list(prons), frozenset(unknown), entries)
