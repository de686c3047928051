"""Pronunciations (the CMU Pronouncing Dictionary shipped with pocketsphinx's en-us model).

Used to tell "the same word said another way" (homophones, alternative pronunciations)
from "close but different" (a likely misreading), and to build likely-miscue distractors
for the recognizer: real, common words one sound or one letter away from a page word.
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from collections.abc import Callable, Collection
from functools import lru_cache
from pathlib import Path

from sidekick.words.normalize import MAX_WORD_CHARS, edit_distance, key

_ALT = re.compile(r"\(\d+\)$")
VOWELS = frozenset("AA AE AH AO AW AY EH ER EY IH IY OW OY UH UW".split())  # ARPAbet
_SUFFIXES = ("s", "es", "ed", "d", "ing", "er", "ly", "y")


def cmudict_path() -> Path:
    from pocketsphinx import get_model_path

    return Path(get_model_path()) / "en-us" / "cmudict-en-us.dict"


class Lexicon:
    """Word -> pronunciations (stressless ARPAbet), and the reverse index."""

    def __init__(self, path: Path | None = None) -> None:
        self.prons: dict[str, list[tuple[str, ...]]] = defaultdict(list)
        self.words_by_pron: dict[tuple[str, ...], set[str]] = defaultdict(set)
        with open(path or cmudict_path(), encoding="utf-8") as f:
            for line in f:
                head, _, rest = line.partition(" ")
                word = _ALT.sub("", head)
                pron = tuple(rest.split())
                self.prons[word].append(pron)
                self.words_by_pron[pron].add(word)
        self.phones = sorted({p for prons in self.prons.values() for pr in prons for p in pr})

    def __contains__(self, word: str) -> bool:
        return word in self.prons

    def same_sound(self, a: str, b: str) -> bool:
        """True when the two spellings share a pronunciation ("their"/"there")."""
        return bool(set(self.prons.get(a, ())) & set(self.prons.get(b, ())))

    def distance(self, a: str, b: str) -> int | None:
        """Smallest phone edit distance between any pronunciations (None if one is unknown)."""
        pa, pb = self.prons.get(a), self.prons.get(b)
        if not pa or not pb:
            return None
        return min(edit_distance(x, y) for x in pa for y in pb)

    def vowel_change(self, a: str, b: str) -> bool:
        """True when the two words have the same consonants in the same places and differ
        only in a vowel ("hat"/"hot", "ran"/"run"): beginning readers' commonest misreading."""
        return any(
            len(x) == len(y)
            and x != y
            and all(p == q or (p in VOWELS and q in VOWELS) for p, q in zip(x, y, strict=True))
            for x in self.prons.get(a, ())
            for y in self.prons.get(b, ())
        )

    def neighbours(self, word: str) -> set[str]:
        """Real words a reader might say instead: one sound, one letter or one common suffix
        away ("dog"/"dig", "horse"/"house", "wanted"/"want", "train"/"rain")."""
        out: set[str] = set(_one_letter_edits(word))
        for pron in self.prons.get(word, [])[:2]:
            for variant in _one_phone_edits(pron, self.phones):
                out |= self.words_by_pron.get(variant, set())
        for suf in _SUFFIXES:
            if word.endswith(suf) and len(word) - len(suf) >= 3:
                out.add(word[: -len(suf)])
            out.add(word + suf)
        out.discard(word)
        return {
            w
            for w in out
            if w in self.prons and w not in NOT_FOR_CHILDREN and not self.same_sound(w, word)
        }


def _one_letter_edits(word: str) -> set[str]:
    """Every spelling one letter away (about 53 per letter). None for a "word" longer than
    :data:`~sidekick.words.MAX_WORD_CHARS`: their number times their length would
    grow with the square of its length."""
    if len(word) > MAX_WORD_CHARS:
        return set()
    letters = "abcdefghijklmnopqrstuvwxyz"
    out = {word[:i] + word[i + 1 :] for i in range(len(word))}
    for i in range(len(word)):
        out.update(word[:i] + c + word[i + 1 :] for c in letters)
    for i in range(len(word) + 1):
        out.update(word[:i] + c + word[i:] for c in letters)
    return out


def _one_phone_edits(pron: tuple[str, ...], phones: list[str]) -> set[tuple[str, ...]]:
    out: set[tuple[str, ...]] = set()
    for i in range(len(pron)):
        out.add(pron[:i] + pron[i + 1 :])
        out.update(pron[:i] + (p,) + pron[i + 1 :] for p in phones)
    for i in range(len(pron) + 1):
        out.update(pron[:i] + (p,) + pron[i:] for p in phones)
    return out


_LOCK = threading.RLock()  # word_frequency -> _frequencies -> lexicon nest


@lru_cache(maxsize=1)
def _lexicon() -> Lexicon:
    return Lexicon()


def lexicon() -> Lexicon:
    with _LOCK:
        return _lexicon()


#: The commonest words are read by sight, not sounded out: their likely misreadings are the
#: most frequent neighbours, not vowel changes (development sets: "the" heard as "though"
#: was the commonest false rejection once vowel changes came first for every word).
SIGHT_WORDS = 100
COMMON = -137_000  # log-probability of words at least as frequent as "poppy" or "swan"
_FREQ_CACHE = "common-words-v2.tsv"
#: Never offered to the recognizer as a misreading, and never shown as a heard word
#: (:func:`shown`).
#: Inflected forms are written out: common ones are neighbours of ordinary words ("tucked",
#: "picked", "ropes", "socks"), and a stem-plus-suffix rule would also drop "butter".
NOT_FOR_CHILDREN = frozenset(
    """
    bitch bitches bitching bitchy damn damned damning damns hell shit shits shitty bullshit
    piss pissed pisses pissing fuck fucked fucker fuckers fuckin fucking fucks crap craps
    crappy dick dicks cock cocks ass asses arse arses bastard bastards slut sluts whore whores
    sex sexes sexy sexier sexiest porn nazi nazis kill killed kills killer killers killing
    killings rape raped rapes rapist gay gays fag fags nigger niggers nipple nipples boob
    boobs booby butt butts breast breasts drunk drunks horny penis vagina suck sucks sucked
    sucker tit tits retard retarded asshole assholes cunt cunts dammit pussy prick pricks
    homo homos queer queers lesbian lesbians hooker hookers orgasm erection semen sperm condom
    condoms shitting pervert perverts junkie heroin hitler suicide terrorist terrorists moron
    morons idiot idiots stupid dumb murder murdered murderer murders corpse sexual sexually
    sexist nude screwing
    """.split()
)


#: Shown instead of a heard word that is not fit for children (:func:`shown`).
HIDDEN_WORD = "(a word not shown)"


def shown(word: str, page: Collection[str] = ()) -> str:
    """``word`` as a report or screen may show it: a word of :data:`NOT_FOR_CHILDREN` that
    is not one of the ``page``'s own words (keys) becomes :data:`HIDDEN_WORD`. The likely
    misreadings never offer one, but a recognizer without a grammar (a Vosk model with a
    static graph) can hear any word."""
    k = key(word)
    return HIDDEN_WORD if k in NOT_FOR_CHILDREN and k not in page else word


@lru_cache(maxsize=1)
def _frequencies() -> dict[str, int]:
    """Common words -> unigram log-probability in pocketsphinx's general English LM.

    Read once from the LM (about 1 s and 80 MB, freed right after) and cached in the user
    data directory as a small table, so later runs load only the common words.
    """
    from sidekick.paths import data_dir

    cache = data_dir() / "cache" / _FREQ_CACHE
    try:
        rows = (line.split("\t") for line in cache.read_text(encoding="utf-8").splitlines())
        return {w: int(p) for w, p in rows}
    except (OSError, ValueError):
        pass
    from pocketsphinx import Decoder

    decoder = Decoder(loglevel="FATAL")
    lm = decoder.get_lm()
    freqs = {w: int(p) for w in lexicon().prons if (p := lm.prob([w])) > COMMON}
    del lm, decoder
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp")
        tmp.write_text("".join(f"{w}\t{p}\n" for w, p in freqs.items()), encoding="utf-8")
        tmp.replace(cache)
    except OSError:
        pass  # a read-only or full disk only costs the rebuild next time
    return freqs


@lru_cache(maxsize=1)
def _sight_words() -> frozenset[str]:
    freqs = _frequencies()
    return frozenset(sorted(freqs, key=freqs.__getitem__, reverse=True)[:SIGHT_WORDS])


def is_sight_word(word: str) -> bool:
    """One of the commonest words ("the", "was", "said"), which readers know by sight."""
    with _LOCK:
        return word in _sight_words()


def word_frequency(word: str) -> float:
    """Log-probability of the word in general English (-inf for rare or unknown words)."""
    with _LOCK:
        return float(_frequencies().get(word, float("-inf")))


def distractors(
    word: str,
    frequency: Callable[[str], float] = word_frequency,
    limit: int = 6,
    min_freq: float = COMMON,
    exclude: frozenset[str] | set[str] = frozenset(),
) -> list[str]:
    """The real words a child is most likely to say instead of ``word`` (none of
    ``exclude``): vowel changes first (except for sight words), then the rest, each by
    frequency."""
    if not 3 <= len(word) <= MAX_WORD_CHARS:
        return []
    lex = lexicon()
    vowels_first = not is_sight_word(word)
    cands = [
        (vowels_first and lex.vowel_change(word, w), f, w)
        for w in lex.neighbours(word)
        if w not in exclude and (f := frequency(w)) > min_freq
    ]
    out: list[str] = []
    for _, _, w in sorted(cands, reverse=True):
        if len(out) == limit:
            break
        if not any(lex.same_sound(w, o) for o in out):  # "why" and "y": one is enough
            out.append(w)
    return out


def likely_miscues(words: list[str], per_word: int = 6) -> dict[str, list[str]]:
    """Distractors for a page: each word's likely misreadings (none that are page words)."""
    page = set(words)
    return {w: distractors(w, limit=per_word, exclude=page) for w in dict.fromkeys(words)}
