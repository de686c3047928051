"""Reading-level estimate for a book's text, shown in the library.

* **Flesch-Kincaid grade** = 0.39 x words per sentence + 11.8 x syllables per word - 15.59,
  floored at 0. Syllables come from the CMU Pronouncing Dictionary (the copy shipped
  with pocketsphinx: one syllable per vowel phoneme); words it does not
  know fall back to a vowel-group heuristic (silent final e, -le, -ed handled).
* **Words per sentence**: sentences end at ``. ! ?`` (and at blank lines, so titles and
  headings without punctuation do not merge into the next sentence).
* **Rare-word share**: the share of word tokens not in :data:`COMMON_WORDS`, about 1,200
  everyday English words written for this project in the spirit of the Dolch and Fry
  sight-word lists plus common words of children's stories (simple inflections count as the
  base word: "jumped", "puppies", "running"). Words that only ever appear capitalized are
  taken as names and not counted as rare.

The label maps the grade to a band for young readers: "K–1" (< 2), "grade 2" (< 3),
"grade 3" (< 4), "grade 4+"; "unknown" for text without words. Flesch-Kincaid is coarse for
very short texts; the words-per-sentence and rare-word figures are shown alongside for that
reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sidekick.words import normalize_word

#: Everyday English words (lower case), counted as not rare.
COMMON_WORDS: frozenset[str] = frozenset(
    """
a able about above according across act activity actually add address adult afraid after
afternoon again against age ago agree ahead air all allow almost alone along already also
although always am among amount an and angry animal another answer ant any anyone anything
anywhere appear apple are area arm army around arrive art artist as ask at ate attack aunt
autumn avoid awake away baby back bad bag bake ball balloon band bank bar barn base basket
bath be beach bean bear beat beautiful because become bed bedroom bee been before beg began
begin behave behind being believe bell belong below bench beneath berry beside besides best
better between beyond big bike bird birthday bit bite black blanket blind block blood bloom
blow blue board boat body bold bone book born both bottle bottom bought bowl box boy brain
branch brave bread break breakfast breath breathe bridge bright bring brother brought brown
brush bucket bug build built bump bunny burn burst bus busy but butter butterfly button buy by
cage cake call calm came camp can candle candy cannot cap captain car card care careful
carefully carrot carry case castle cat catch caught cause cave cell cent center certain chain
chair chalk chance change check cheek cheese cherry chest chick chicken child children chin
chip chocolate choose church circle city clap class claw clay clean clear clever cliff climb
clock close cloth clothes cloud clown coast coat coin cold collect color come common company
complete contain cook cookie cool copy corn corner cost couch cough could count country course
cousin cover cow crab crash crawl crayon cream creek cried crop cross crowd crown cry cub cup
curl curtain cut dad daddy dance danger dark dash daughter day dead deal dear decide decided
deep deer desk did die different difficult dig dinner dinosaur direct dirt dirty discover dish
dive do doctor does dog doghouse doll dollar done donkey door dot double down dragon drank
draw dream dress drew dried drink drive drop drum dry duck during dust each eagle ear early
earth east easy eat eating edge egg eight either elephant else empty end enjoy enormous enough
enter even evening ever every everybody everyone everything everywhere exactly example excited
explain explore eye face fact fair fairy fall family fan fancy far farm farmer farther fast
fat father favorite fear feather feed feel feet fell fellow felt fence fever few field fight
fill final finally find fine finger finish fire first fish five fix flag flash flat float
floated flock floor flour flower fly fog fold follow food foot for force forest form forward
found four fox free fresh friend friendly frighten frog from front frozen fruit full fun funny
game garden gate gave gentle gently get ghost giant gift giraffe girl give glad glass glove
glue go goat goes going gold gone good goose got grab grandfather grandma grandmother grandpa
grape grass gray great green grew grin ground group grow grown grumpy guard guess guest had
hair half hall hammer hand handle hang happen happy hard hardly has hat hatch have hay he head
heap hear heard heart heat heavy held hello help hen her here hero hers hid hide high hill him
himself his hit hive hold hole holiday home honey hook hop hope horse hot hour house how
however hug huge hum hundred hungry hunt hurried hurry hurt i ice idea if imagine important in
inch insect inside instead interest into invite is island it its itself jacket jam jar jeans
job join joke journey juice jump jungle just kangaroo keep kept kettle key kick kid kind king
kiss kitchen kite kitten knee knew knock know ladder lady lake lamb lamp land lap large last
late later laugh lay lead leaf learn least leave led left leg lemon less let letter lid lie
life lift light like line lion lip list listen little live lizard log long look lost lot loud
love low lucky lunch made mail main make man many map march mark market mask matter may maybe
me meal mean measure meat meet melt men mess met mice middle midnight might mile milk mind
mine minute mirror miss mitten mix mom moment money monkey monster month moon more morning
most mostly mother mountain mouse mouth move much mud music must my myself name nap near
nearly neck need neighbor neither nest net never new next nice night nine no nobody nod noise
none noon nor north nose not note nothing notice now nowhere number nut ocean octopus odd of
off often oh oil old on once one only open or orange order other our out outside over owl own
pack page pail paint pair pan pancake pants paper parent park parrot part party pass past pat
paw pay peach peanut pear pen pencil penguin penny people pepper perhaps person pet piano pick
picture pie piece pig pillow pin pink pizza place plan plane planet plant plate play
playground please pocket point pole pond pony pool poor pop porch pot potato pour present
pretty prince princess promise proud puddle pull pumpkin puppet puppy purple push put puzzle
quack queen question quick quickly quiet quietly quilt quite rabbit race rain rainbow raise
ran rat rather reach read ready real really red remember rest rich ride right ring river road
robot rock rocket roll roof room rooster root rope rose round row rug rule run sack sad safe
said sail salt same sand sandwich sat save saw say scared scarf school scream sea seat second
secret see seed seem seemed seen self sell send sent set seven several shadow shake shall
shape shark she sheep shell shine shiny ship shirt shoe shop shore short should shoulder shout
show shower shut shy sick side sign silly silver simple since sing sink sister sit six size
skate skin skip skirt sky sled sleep slide slip slow slowly small smart smell smile snack
snail snake sneeze snow so sock sofa soft softly some somebody someone something sometimes
somewhere son song soon sorry sound soup south space speak special spell spider spoon spot
spring square squirrel stair stamp stand star start state stay stayed step stick still stir
stomach stone stood stop store storm story stove straight strange straw stream street string
strong stuck such sudden suddenly sugar suit summer sun supper suppose sure surely surprise
sweater sweet swim swing table tail take talk tall tap taste tea teacher tear teeth tell ten
tent than thank that the their them then there these they thick thin thing think third thirsty
this those though thought three threw through throw thumb thunder ticket tickle tie tiger time
tiny to toast today toe together told tomorrow tongue too took tooth top touch toward towards
towel tower town toy track train treat tree trip trouble truck true trunk try tub turn turtle
twelve twice two umbrella uncle under underneath unhappy unless until up upon us use usually
vase vegetable very village voice wagon wait wake walk wall wander want warm was wash watch
water wave way we wear weather week well went were west wet whale what whatever wheel when
whenever where wherever whether which while whisper whistle white who whole whose why wide
wife wiggle wild will win wind window wing wink winter wise wish witch with within without
wolf woman women wonder wonderful wood word work world worm would write wrong yard yarn yawn
year yellow yes yesterday yet you young your yours zebra zip zoo""".split()
)

_WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*")
_SENTENCE_END = re.compile(r"[.!?\u2026]+[\"'\u201d\u2019)\]]*(?=\s|$)|\n[ \t]*\n")
_VOWELS = re.compile(r"[aeiouy]+")
_SUFFIXES = (
    ("'s", ""), ("ies", "y"), ("ied", "y"), ("ier", "y"), ("iest", "y"), ("ily", "y"),
    ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"), ("d", ""), ("ing", ""), ("ing", "e"),
    ("er", ""), ("er", "e"), ("est", ""), ("est", "e"), ("ly", ""), ("y", ""),
)  # fmt: skip


@dataclass(frozen=True)
class LevelEstimate:
    grade: float  # Flesch-Kincaid grade level, >= 0
    words_per_sentence: float
    rare_word_share: float  # 0-1
    label: str  # "K–1", "grade 2", "grade 3", "grade 4+" or "unknown"
    words: int = 0
    syllables_per_word: float = 0.0


_VOWEL_PHONES = frozenset("AA AE AH AO AW AY EH ER EY IH IY OW OY UH UW".split())


class _CmuSyllables:
    """word -> syllables of its first CMU pronunciation (one per vowel phone), read from
    the dictionary the recognizer already has in memory (:mod:`sidekick.words.pronounce`)."""

    def get(self, word: str) -> int | None:
        from sidekick.words.pronounce import lexicon

        prons = lexicon().prons.get(word)
        return sum(p in _VOWEL_PHONES for p in prons[0]) if prons else None


def _cmu_syllables() -> _CmuSyllables:
    return _CmuSyllables()


def guess_syllables(word: str) -> int:
    """Heuristic syllable count for words cmudict does not know."""
    w = normalize_word(word)
    w = re.sub(r"'s$", "", w)
    n = len(_VOWELS.findall(w))
    if n > 1 and w.endswith("e") and not w.endswith(("le", "ee", "ye", "ie")):
        n -= 1  # silent e: "make", "stone"
    elif n > 1 and w.endswith("le") and len(w) > 2 and w[-3] in "aeiouy":
        n -= 1  # "whale", "smile"
    if n > 1 and w.endswith("ed") and not w.endswith(("ted", "ded")):
        n -= 1  # "jumped", "played"
    return max(1, n)


def syllables(word: str) -> int:
    """Syllables in ``word``: cmudict when it knows the word, else :func:`guess_syllables`."""
    w = normalize_word(word)
    table = _cmu_syllables()
    n = table.get(w)
    if n is None and w.endswith("'s"):
        n = table.get(w[:-2])
    return n if n else guess_syllables(w)


def is_common(word: str) -> bool:
    """Is ``word`` (or its base form: plural, past, -ing, -er, -est, -ly) a common word?"""
    w = normalize_word(word)
    if w in COMMON_WORDS:
        return True
    for suffix, repl in _SUFFIXES:
        if w.endswith(suffix) and len(w) - len(suffix) >= 2:
            stem = w[: -len(suffix)] + repl
            if stem in COMMON_WORDS:
                return True
            if not repl and len(stem) >= 3 and stem[-1] == stem[-2] and stem[:-1] in COMMON_WORDS:
                return True  # "running" -> "run", "biggest" -> "big"
    return False


def level_label(grade: float) -> str:
    """The band of a Flesch-Kincaid grade for young readers (see the module docstring)."""
    if grade < 2:
        return "K–1"
    if grade < 3:
        return "grade 2"
    if grade < 4:
        return "grade 3"
    return "grade 4+"


def estimate_level(text: str) -> LevelEstimate:
    """Estimate how hard ``text`` is to read (see the module docstring)."""
    words: list[str] = []
    sentences = 0
    for chunk in _SENTENCE_END.split(text):
        found = _WORD.findall(chunk)
        if found:
            words.extend(found)
            sentences += 1
    if not words:
        return LevelEstimate(0.0, 0.0, 0.0, "unknown")
    lowered = {w.lower() for w in words if not w[0].isupper()}
    names = {w for w in words if w[0].isupper() and w.lower() not in lowered and w != "I"}
    syl = sum(syllables(w) for w in words)
    rare = sum(1 for w in words if w not in names and not is_common(w))
    wps = len(words) / sentences
    spw = syl / len(words)
    grade = max(0.0, 0.39 * wps + 11.8 * spw - 15.59)
    return LevelEstimate(
        grade=round(grade, 1),
        words_per_sentence=round(wps, 1),
        rare_word_share=round(rare / len(words), 3),
        label=level_label(grade),
        words=len(words),
        syllables_per_word=round(spw, 2),
    )
