"""Sentences with the variety of children's books, from a template grammar, and their coverage.

Sentence kinds: narration, dialogue (quoted speech with a speech verb), questions,
exclamations, lists, sound words, counting, refrains, descriptions, feelings and
instructions to the reader. All words come from :mod:`train.data.wordbank`; nothing is copied
from books. :func:`generate_sentences` returns as many distinct sentences as asked for.
"""

from __future__ import annotations

import random
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable

from train.data import wordbank as wb

Template = Callable[[random.Random], str]


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _a(word: str) -> str:
    return ("an " if word[0] in "aeiou" else "a ") + word


def _character(r: random.Random) -> str:
    """A name or "the <adjective> <animal>"."""
    if r.random() < 0.45:
        return r.choice(wb.NAMES)
    return f"the {r.choice(wb.ADJECTIVES)} {r.choice(wb.ANIMALS)[0]}"


def _thing(r: random.Random) -> str:
    thing = r.choice(wb.THINGS)[0]
    if r.random() < 0.3:
        article, noun = thing.split(" ", 1)
        thing = _a(f"{r.choice(wb.COLORS)} {noun}")
    return thing


def _things_list(r: random.Random, n: int) -> str:
    items = r.sample(wb.THINGS, n)
    words = [t[0] for t in items]
    return ", ".join(words[:-1]) + " and " + words[-1]


def narration(r: random.Random) -> str:
    time, who = r.choice(wb.TIMES), _character(r)
    return f"{time}, {who} {r.choice(wb.MOVE_VERBS)} to {r.choice(wb.PLACES)}."


def finding(r: random.Random) -> str:
    who = _cap(_character(r))
    return f"{who} {r.choice(wb.DO_VERBS)} {_thing(r)} {r.choice(wb.HIDING_SPOTS)}."


def dialogue_exclaim(r: random.Random) -> str:
    return f'"{r.choice(wb.EXCLAIMS)}!" {r.choice(wb.SPEECH_VERBS)} {_character(r)}.'


def dialogue_question(r: random.Random) -> str:
    return f'"{r.choice(wb.QUESTIONS)}?" asked {_character(r)}.'


def dialogue_statement(r: random.Random) -> str:
    who = _cap(_character(r))
    return f'{who} {r.choice(wb.SPEECH_VERBS)}, "{_cap(r.choice(wb.STATEMENTS))}."'


def dialogue_split(r: random.Random) -> str:
    statement = r.choice(wb.STATEMENTS)
    return (
        f'"{_cap(statement)}," {r.choice(wb.SPEECH_VERBS)} {_character(r)}, '
        f'"and {r.choice(wb.STATEMENTS)}."'
    )


def question(r: random.Random) -> str:
    forms = (
        lambda: f"Where did {_character(r)} hide {_thing(r)}?",
        lambda: f"Can you see {_thing(r)} in {r.choice(wb.PLACES)}?",
        lambda: f"Who is hiding {r.choice(wb.HIDING_SPOTS)}?",
        lambda: f"What will {_character(r)} do next?",
        lambda: f"How many {r.choice(wb.ANIMALS)[1]} can you count?",
        lambda: f"Would you like {r.choice(wb.FOODS)} or {r.choice(wb.FOODS)} today?",
        lambda: f"Why was {_character(r)} so {r.choice(wb.FEELINGS)}?",
    )
    return r.choice(forms)()


def exclamation(r: random.Random) -> str:
    adjective, animal = r.choice(wb.ADJECTIVES), r.choice(wb.ANIMALS)[0]
    forms = (
        lambda: f"What a {adjective} {animal} it was!",
        lambda: f"Oh no, the {r.choice(wb.THINGS)[0].split(' ', 1)[1]} is {adjective}!",
        lambda: f"Hooray, {_character(r)} is home at last!",
        lambda: f"How {adjective} the {animal} looked today!",
        lambda: f"{r.choice(wb.EXCLAIMS)}, here comes {_character(r)}!",
    )
    return r.choice(forms)()


def listing(r: random.Random) -> str:
    forms = (
        lambda: f"{_cap(_character(r))} packed {_things_list(r, r.randint(3, 4))}.",
        lambda: (
            f"In the basket there were {r.choice(wb.NUMBERS)} {r.choice(wb.ANIMALS)[1]}, "
            f"{r.choice(wb.NUMBERS)} {r.choice(wb.THINGS)[1]} and one {r.choice(wb.ANIMALS)[0]}."
        ),
        lambda: (
            f"For breakfast we had {r.choice(wb.FOODS)}, {r.choice(wb.FOODS)} "
            f"and {r.choice(wb.FOODS)}."
        ),
        lambda: (
            f"{_cap(_character(r))} saw {r.choice(wb.COLORS)}, {r.choice(wb.COLORS)} "
            f"and {r.choice(wb.COLORS)} {r.choice(wb.THINGS)[1]}."
        ),
    )
    return r.choice(forms)()


def sound_words(r: random.Random) -> str:
    maker, sound = r.choice(wb.SOUND_MAKERS)
    s1 = r.choice(wb.SOUNDS)
    forms = (
        lambda: f"{_cap(sound)}, {sound}! went {maker}.",
        lambda: f"{_cap(s1)}! {_cap(_character(r))} heard a loud noise from {r.choice(wb.PLACES)}.",
        lambda: (
            f"{_cap(r.choice(wb.DOUBLE_SOUNDS))}, {r.choice(wb.DOUBLE_SOUNDS)}, "
            f"all through {r.choice(wb.PLACES)}."
        ),
        lambda: f"{_cap(_character(r))} landed in the puddle with a big {s1}!",
        lambda: f"The {r.choice(wb.ANIMALS)[0]} went {s1}, and {maker} went {sound}.",
    )
    return r.choice(forms)()


def counting(r: random.Random) -> str:
    n = r.randint(3, 5)
    counts = ", ".join(("one", "two", "three", "four", "five")[:n])
    return f"{_cap(counts)}, here comes {_character(r)}!"


def refrain(r: random.Random) -> str:
    who = _cap(_character(r))
    return (
        f"{who} looked up. {who} looked down. But {_thing(r)} was nowhere to be seen."
        if r.random() < 0.5
        else f"{who} knocked once, then twice, and then the door opened."
    )


def description(r: random.Random) -> str:
    a1, a2 = r.sample(wb.ADJECTIVES, 2)
    animal = r.choice(wb.ANIMALS)[0]
    forms = (
        lambda: f"The {animal} was {a1} and {a2}, like {r.choice(wb.SIMILES)}.",
        lambda: f"{r.choice(wb.WEATHER)}, and {_character(r)} felt {r.choice(wb.FEELINGS)}.",
        lambda: (
            f"{_cap(_thing(r))} lay in {r.choice(wb.PLACES)}, as {a1} as {r.choice(wb.SIMILES)}."
        ),
    )
    return r.choice(forms)()


def feeling(r: random.Random) -> str:
    who = _cap(_character(r))
    return f"{who} felt {r.choice(wb.FEELINGS)} because {r.choice(wb.REASONS)}."


def instruction(r: random.Random) -> str:
    forms = (
        lambda: "Turn the page and see who is there!",
        lambda: f"Close your eyes and count to {r.choice(wb.NUMBERS)}.",
        lambda: f"Can you find {_thing(r)} in this picture?",
        lambda: f"Clap your hands if you can hear {r.choice(wb.SOUND_MAKERS)[0]}.",
        lambda: (
            f"Say it with me: {r.choice(wb.SOUNDS)}, {r.choice(wb.SOUNDS)}, {r.choice(wb.SOUNDS)}!"
        ),
        lambda: f"Point to the {r.choice(wb.COLORS)} {r.choice(wb.THINGS)[0].split(' ', 1)[1]}.",
    )
    return r.choice(forms)()


TEMPLATES: dict[str, tuple[Template, float]] = {
    "narration": (narration, 1.5),
    "finding": (finding, 1.0),
    "dialogue": (dialogue_exclaim, 1.0),
    "dialogue_question": (dialogue_question, 0.8),
    "dialogue_statement": (dialogue_statement, 1.0),
    "dialogue_split": (dialogue_split, 0.5),
    "question": (question, 1.2),
    "exclamation": (exclamation, 1.0),
    "list": (listing, 1.0),
    "sound_words": (sound_words, 1.0),
    "counting": (counting, 0.2),
    "refrain": (refrain, 0.4),
    "description": (description, 1.0),
    "feeling": (feeling, 1.0),
    "instruction": (instruction, 0.4),
}


def generate_sentences(n: int, seed: int = 1) -> list[tuple[str, str]]:
    """``n`` distinct ``(kind, sentence)`` pairs, reproducible from ``seed``."""
    r = random.Random(seed)
    kinds = list(TEMPLATES)
    weights = [TEMPLATES[k][1] for k in kinds]
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    tries = 0
    while len(out) < n:
        tries += 1
        if tries > 50 * n + 1000:
            raise RuntimeError(f"The grammar could not produce {n} distinct sentences.")
        kind = r.choices(kinds, weights)[0]
        sentence = _cap(TEMPLATES[kind][0](r))
        if sentence not in seen:
            seen.add(sentence)
            out.append((kind, sentence))
    return out


def generate_utterances(
    n: int, seed: int = 1, two_sentence_share: float = 0.3
) -> list[tuple[str, str]]:
    """``n`` distinct utterance texts (one or two sentences) with their kinds ("a+b")."""
    r = random.Random(seed + 7919)
    pool = generate_sentences(2 * n + 10, seed)
    out: list[tuple[str, str]] = []
    i = 0
    while len(out) < n:
        kind, text = pool[i]
        i += 1
        if r.random() < two_sentence_share and i < len(pool) and len(text) < 70:
            kind2, text2 = pool[i]
            i += 1
            kind, text = f"{kind}+{kind2}", f"{text} {text2}"
        out.append((kind, text))
    return out


# -- coverage ---------------------------------------------------------------------------

MARKS = set("ˈˌː") | set(",.!?;:-'\"()") | {" ", "_", "^", "$"}
# The en-us symbols espeak-ng produces for ordinary English (codepoints, as the ids are).
ENGLISH_PHONEMES = tuple(
    "p b t d k ɡ f v θ ð s z ʃ ʒ h m n ŋ l ɹ w j ɾ i ɪ e ɛ æ ɑ ɔ o ʊ u ʌ ə ɚ ɜ a ɐ ᵻ".split()
)


def strip_combining(symbols: Iterable[str]) -> list[str]:
    return [s for s in symbols if not unicodedata.combining(s)]


def phone_units(symbols: Iterable[str]) -> tuple[list[str], list[str]]:
    """Phones (stress, length and pause marks dropped) and the diphones between them,
    across word boundaries too (connected speech)."""
    flat = [s for s in strip_combining(symbols) if s not in MARKS]
    return flat, [a + b for a, b in zip(flat, flat[1:], strict=False)]


def coverage(phoneme_sentences: Iterable[list[str]]) -> dict:
    """Phoneme and diphone counts over phonemized utterances (stress/length marks ignored)."""
    phones: Counter[str] = Counter()
    diphones: Counter[str] = Counter()
    for symbols in phoneme_sentences:
        flat, pairs = phone_units(symbols)
        phones.update(flat)
        diphones.update(pairs)
    english = {p: phones.get(p, 0) for p in ENGLISH_PHONEMES}
    rare = {p: c for p, c in phones.items() if p not in english}
    seen = sum(1 for d in diphones if d[0] in english and d[1] in english)
    return {
        "phonemes": english,
        "min_phoneme": min(english, key=english.get),
        "min_phoneme_count": min(english.values()),
        "all_phonemes_at_least_50": min(english.values()) >= 50,
        "other_symbols": rare,
        "diphones_seen": seen,
        "diphones_seen_5_times": sum(
            1 for d, c in diphones.items() if c >= 5 and d[0] in english and d[1] in english
        ),
    }


def cmudict_diphone_coverage(texts: Iterable[str]) -> dict:
    """Word-internal ARPABET diphones of the texts against those attested in CMUdict."""
    import re

    from sidekick.words.pronounce import lexicon

    cmu = {word: alts[0] for word, alts in lexicon().prons.items() if alts}  # first ARPAbet

    def pairs(pron: tuple[str, ...]) -> list[str]:
        return [f"{a}-{b}" for a, b in zip(pron, pron[1:], strict=False)]

    attested: Counter[str] = Counter()
    for pron in cmu.values():
        for d in pairs(pron):
            attested[d] += 1
    seen: set[str] = set()
    for text in texts:
        for word in re.findall(r"[a-z']+", text.lower()):
            if word in cmu:
                seen.update(pairs(cmu[word]))
    covered_tokens = sum(c for d, c in attested.items() if d in seen)
    return {
        "cmudict_diphones": len(attested),
        "covered": len(seen & set(attested)),
        "type_coverage": round(len(seen & set(attested)) / len(attested), 3),
        "token_coverage": round(covered_tokens / sum(attested.values()), 3),
    }
