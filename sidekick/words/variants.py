"""Accent variants: the same written word as the major English accents say it.

A pronunciation dictionary spells one (General American) way of saying each word. A reader
from Yorkshire, Glasgow, London, Kingston or Auckland says many words another way, and a
recognizer trained on American speech then hears another word: British "hat" with its open
[a] is heard as "hot", "Sam" as "som", a dropped "r" or a fronted "th" as a different word.
None of these is a misreading, and a child must never be told it is.

Each :class:`Rule` rewrites a pronunciation (stressless ARPAbet) the way one feature of an
accent does; an :data:`ACCENTS` entry bundles the features accents share. Two uses:

* :func:`page_variants`: extra pronunciations of the page's words for a recognizer's page
  dictionary, of the consonant features only (:data:`PAGE_MODEL_RULES`), and only those
  that are no other word the recognizer knows for the page and no common English word:
  "thing" said "fing" is safe to add, "hat" said "hot" is not (a child who reads "hot" for
  "hat" has misread it). Vowel variants stay out of the page model: a vowel change is a
  beginning reader's commonest misreading, and the recognizer must still hear one (the
  development set lost miscues with them in).
* :func:`accent_rules`: which accent features explain hearing one word for another
  ("hot" for "hat": the open TRAP vowel). The reading check accepts a word heard this way
  when the reader shows that feature more than once on the page (:func:`accent_heard`): an
  accent is consistent, a misreading is one word. One word alone may be either, and the
  check is not sure of it (``unclear``, :mod:`sidekick.reading.doubt`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from sidekick.words.normalize import key
from sidekick.words.pronounce import VOWELS, lexicon

Pron = tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    """One accent feature: a vowel that becomes another (``vowels``), or a rewrite of the
    whole pronunciation (``rewrite``)."""

    name: str
    vowels: Mapping[str, str] = field(default_factory=dict)
    rewrite: Callable[[Pron], Pron] | None = None
    #: Drops a final "t" / "d": not applied to a written "-ed" (past-tense endings dropped
    #: are misreadings to the check, "cleaned" read "clean").
    drops_ending: bool = False


def _northern_strut(p: Pron) -> Pron:
    """The STRUT vowel said as FOOT ("bus" said [bʊs], "up" [ʊp]). The dictionary
    has no stress marks, and its "AH" is also every unstressed schwa ("about", "the"): only
    a one-vowel word whose "AH" is not its last sound is taken to have a STRUT vowel."""
    vowels = [x for x in p if x in VOWELS]
    if vowels != ["AH"] or p[-1] == "AH":
        return p
    return tuple("UH" if x == "AH" else x for x in p)


def _non_rhotic(p: Pron) -> Pron:
    """No "r" unless a vowel follows ("car" -> "cah", "her" -> "huh")."""
    out: list[str] = []
    for i, x in enumerate(p):
        nxt = p[i + 1] if i + 1 < len(p) else None
        if x == "R" and out and out[-1] in VOWELS and nxt not in VOWELS:
            continue
        out.append("AH" if x == "ER" and nxt not in VOWELS else x)
    return tuple(out)


def _th_fronting(p: Pron) -> Pron:
    """ "th" said "f" / "v" ("thing" -> "fing", "brother" -> "bruvver"); a word-initial
    voiced "th" stays ("the" is not "ve")."""
    return tuple("F" if x == "TH" else "V" if x == "DH" and i > 0 else x for i, x in enumerate(p))


def _th_stopping(p: Pron) -> Pron:
    """ "th" said "t" / "d" ("thing" -> "ting", "the" -> "de"), as in Caribbean and Irish
    English."""
    return tuple("T" if x == "TH" else "D" if x == "DH" else x for x in p)


def _g_dropping(p: Pron) -> Pron:
    """Final unstressed "-ing" said "-in" ("walking" -> "walkin")."""
    if len(p) >= 3 and p[-2:] == ("IH", "NG") and any(x in VOWELS for x in p[:-2]):
        return (*p[:-1], "N")
    return p


_CLUSTER_FIRST = frozenset("S Z N L K P F M SH CH JH".split())


def _final_stop_deletion(p: Pron) -> Pron:
    """A final "t" / "d" after another consonant dropped ("hand" -> "han", "last" ->
    "las"), common in casual speech of every accent."""
    if len(p) >= 3 and p[-1] in ("T", "D") and p[-2] in _CLUSTER_FIRST:
        return p[:-1]
    return p


RULES: dict[str, Rule] = {
    r.name: r
    for r in (
        Rule("open TRAP", {"AE": "AA"}),  # "hat" as [hat]: England, Scotland, Caribbean
        Rule("rounded LOT", {"AA": "AO"}),  # "hot" as [hɒt]: England, Australia
        Rule("northern STRUT", rewrite=_northern_strut),  # "bus" as [bʊs]: northern England
        Rule("FOOT-GOOSE", {"UH": "UW"}),  # "book" as [buk]: Scotland
        Rule("monophthong FACE", {"EY": "EH"}),  # "day" as [de:]: Scotland, Caribbean
        Rule("monophthong GOAT", {"OW": "AO"}),  # "go" as [go:]: Scotland, Caribbean
        Rule("non-rhotic", rewrite=_non_rhotic),
        Rule("th-fronting", rewrite=_th_fronting),
        Rule("th-stopping", rewrite=_th_stopping),
        Rule("g-dropping", rewrite=_g_dropping),
        Rule("final t/d deletion", rewrite=_final_stop_deletion, drops_ending=True),
    )
}

#: Features that come together in an accent (each is applied alone as well).
ACCENTS: dict[str, tuple[str, ...]] = {
    "southern England": ("non-rhotic", "open TRAP", "rounded LOT"),
    "northern England": ("non-rhotic", "open TRAP", "northern STRUT"),
    "Scotland": ("open TRAP", "FOOT-GOOSE", "monophthong FACE", "monophthong GOAT"),
    "Caribbean": ("non-rhotic", "open TRAP", "th-stopping", "final t/d deletion"),
    "London": ("non-rhotic", "th-fronting", "g-dropping", "final t/d deletion"),
}
#: The features whose variants go into a page model (:func:`page_variants`).
PAGE_MODEL_RULES = ("th-fronting", "th-stopping", "g-dropping")
_BUNDLES: list[tuple[str, tuple[Rule, ...]]] = [
    *((name, (rule,)) for name, rule in RULES.items()),
    *((name, tuple(RULES[r] for r in rules)) for name, rules in ACCENTS.items()),
]


def _apply(rules: Iterable[Rule], p: Pron, past_tense: bool) -> Pron:
    """The rules applied together: each vowel changes once (the open TRAP vowel does not go
    on to become the rounded LOT one), then the rewrites in order."""
    vowels: dict[str, str] = {}
    rewrites = []
    for rule in rules:
        if rule.drops_ending and past_tense:
            continue
        vowels.update(rule.vowels)
        if rule.rewrite is not None:
            rewrites.append(rule.rewrite)
    p = tuple(vowels.get(x, x) for x in p)
    for rewrite in rewrites:
        p = rewrite(p)
    return p


def variants(
    pron: Sequence[str], word: str = "", only: Collection[str] | None = None
) -> dict[Pron, str]:
    """Every accent variant of one pronunciation of ``word`` (of the features and accents
    named in ``only``, when given), each with the first feature (or accent) that makes it;
    the pronunciation itself is not among them."""
    p = tuple(pron)
    past_tense = key(word).endswith("ed")
    out: dict[Pron, str] = {}
    for name, rules in _BUNDLES:
        if only is not None and name not in only:
            continue
        v = _apply(rules, p, past_tense)
        if v != p and v not in out and any(x in VOWELS for x in v):
            out[v] = name
    return out


def page_variants(
    prons: Mapping[str, Sequence[str]],
    is_other_word: Callable[[Pron], bool],
    taken: Mapping[str, Sequence[str]] | None = None,
    limit: int = 4,
) -> dict[str, list[str]]:
    """Extra pronunciations (ARPAbet strings) for the words of ``prons`` (word -> its
    pronunciations): each word's accent variants (:data:`PAGE_MODEL_RULES`) that are no
    pronunciation of ``taken``
    (the whole page dictionary; default ``prons``) and no other word (``is_other_word``),
    at most ``limit`` a word."""
    taken_prons = {tuple(p.split()) for alts in (taken or prons).values() for p in alts}
    out: dict[str, list[str]] = {}
    for word, alts in prons.items():
        extra: list[str] = []
        for alt in alts:
            for v in variants(alt.split(), word, PAGE_MODEL_RULES):
                if len(extra) < limit and v not in taken_prons and not is_other_word(v):
                    taken_prons.add(v)
                    extra.append(" ".join(v))
        if extra:
            out[word] = extra
    return out


def accent_rules(
    written: Collection[Sequence[str]], heard: Collection[Sequence[str]], word: str = ""
) -> set[str]:
    """The features and accents that turn one of the pronunciations of the ``written``
    word (spelt ``word``) into one of the ``heard`` word's."""
    heard_set = {tuple(h) for h in heard}
    found: set[str] = set()
    for w in written:
        found.update(name for v, name in variants(w, word).items() if v in heard_set)
    return found


#: A feature or accent explains this many words heard as other words on a page (repeats
#: counted) before it is taken for the reader's accent rather than for misreadings.
MIN_EVIDENCE = 2


def accent_heard(pairs: Iterable[tuple[str, str]]) -> set[str]:
    """The features and accents a reader shows: those explaining at least
    :data:`MIN_EVIDENCE` of the ``(written, heard)`` word pairs (words heard as others)."""
    counts: dict[str, int] = {}
    for written, heard in pairs:
        for name in accent_pair(heard, written):
            counts[name] = counts.get(name, 0) + 1
    return {name for name, n in counts.items() if n >= MIN_EVIDENCE}


@lru_cache(maxsize=16_384)
def accent_pair(heard: str, written: str) -> frozenset[str]:
    """The features and accents that make ``heard`` the ``written`` word said another way
    (from the CMU dictionary's pronunciations; none for unknown words)."""
    prons = lexicon().prons
    k = key(written)
    return frozenset(accent_rules(prons.get(k, ()), prons.get(key(heard), ()), k))
