"""A second opinion on a reading check from the second listener (teacher-forced Whisper).

The first recognizer decides each word; the second listener then scores every written word
(:mod:`sidekick.listening.second_listener`). Each of the first recognizer's errors is
weighed first against its rival readings (:mod:`sidekick.reading.rivals`): an error some
rival explains clearly better than the written word stands, and doubt leaves it; one every
rival explains clearly worse was read. A ratio between two texts holds up across voices
where a single score drifts. The score then settles the rest: a word the first recognizer
heard as another word that Whisper clearly hears as written is read (``substituted``
cleared), and a word it found read that Whisper does not hear is in doubt (``unclear``: on
voices and accents unlike the development readings, Whisper alone was wrong far more often
than right about such words). Each word's score and ratio are kept on the result
(``second_logprob``, ``second_ratio``) for the teacher's view and for doubt decisions.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING

from sidekick.reading.rivals import Rival

if TYPE_CHECKING:
    from sidekick.listening.second_listener import SecondListener, Spoken
    from sidekick.reading.result import Assessment

#: A ``substituted`` or ``omitted`` word whose score is above this was read as written.
#: Chosen with :data:`DOUBT_BELOW` on the development voice families (reading_eval NOTES.md):
#: between this and -0.5 the two listeners disagree and Whisper only leans to the word.
CLEAR_ABOVE = -2.0
#: A ``correct`` word whose score is below this is ``unclear``: the listeners disagree.
DOUBT_BELOW = -7.0
#: The most rival readings weighed on one page (each costs about 0.03 s of CPU).
MAX_RIVALS = 32
#: A first recognizer's error whose rival beats the written word by this log-ratio stands.
ERROR_ABOVE = 2.0
#: A first recognizer's error whose rival loses to the written word by this much was read.
READ_BELOW = -4.0
#: Shorter pages (a practised word) keep the first recognizer's decisions: Whisper scores a
#: word said alone poorly even when it is read well.
MIN_WORDS = 4


def forced_text(
    assessment: Assessment, extras: bool = True, periods: bool = True
) -> tuple[list[Spoken], list[int | None]]:
    """What the reader said, as far as the check knows: the page's words, with (``extras``)
    the extra words heard (insertions, repetitions, a self-correction's first attempt)
    where they were said. Returns the words and, for each, the written word's index (None
    for an extra word). Without the extra words, Whisper scores the word after one as
    misread; with an extra word the recognizer heard in error, the same.

    ``periods``: a full stop before a capitalized word that follows a lower-case one (the
    words come without punctuation; Whisper finds a sentence's first word unlikely
    without the full stop before it)."""
    from sidekick.listening.second_listener import Spoken

    extra: dict[int | None, list[dict]] = {}
    heard = [*assessment.insertions, *assessment.repetitions] if extras else []
    for e in sorted(heard, key=lambda e: e["start"]):
        extra.setdefault(e.get("before_index"), []).append(e)
    spoken: list[Spoken] = []
    owners: list[int | None] = []
    for k, w in enumerate(assessment.words):
        for e in extra.get(k, []):
            spoken.append(Spoken(e["word"], e["start"]))
            owners.append(None)
        if extras and w.status == "self_corrected" and w.heard:
            spoken.append(Spoken(w.heard, w.start))
            owners.append(None)
        prev = assessment.words[k - 1].word if k else ""
        if periods and w.word[:1].isupper() and w.word != "I" and prev[-1:].islower():
            spoken.append(Spoken(".", w.start))
            owners.append(None)
        spoken.append(Spoken(w.word, w.start))
        owners.append(k)
    for e in extra.get(None, []):
        spoken.append(Spoken(e["word"], e["start"]))
        owners.append(None)
    if spoken:  # Whisper writes an utterance's first word with a capital
        spoken[0] = Spoken(spoken[0].word[:1].upper() + spoken[0].word[1:], spoken[0].at)
    return spoken, owners


def written_scores(
    assessment: Assessment, pcm: bytes, listener: SecondListener
) -> tuple[list[float], list[float]]:
    """Each written word's score forced with the extra words heard, and without them."""
    with_extras, without, _ = scored(assessment, pcm, listener)
    return with_extras, without


def scored(
    assessment: Assessment, pcm: bytes, listener: SecondListener
) -> tuple[list[float], list[float], Callable[[Sequence[Rival]], list[float]]]:
    """:func:`written_scores`, and a function giving rivals' log-ratios against the text
    without the extra words, on the same encoder pass."""
    from sidekick.reading.rivals import rival_ratios

    versions = [forced_text(assessment, extras) for extras in (True, False)]
    encoded = listener.encode(pcm, versions[0][0])
    tokens = listener.token_logprobs(encoded, [spoken for spoken, _ in versions])
    out: list[list[float]] = []
    for (_, owners), words in zip(versions, tokens, strict=True):
        out.append(
            [min(t, default=0.0) for k, t in zip(owners, words, strict=True) if k is not None]
        )
    spoken, owners = versions[1]

    def ratios(rivals: Sequence[Rival]) -> list[float]:
        return rival_ratios(listener, encoded, spoken, owners, tokens[1], rivals)

    return out[0], out[1], ratios


def rivals_of(assessment: Assessment) -> list[Rival]:
    """The rival readings of each word the first recognizer calls ``substituted`` or
    ``omitted``: what it heard instead, nothing, and the word's likely misreadings (the
    recognizer may have heard the wrong word for a real misreading)."""
    from sidekick.words import key, spoken_form
    from sidekick.words.pronounce import likely_miscues

    misreadings = likely_miscues([key(spoken_form(w.word)) for w in assessment.words])
    each: list[list[Rival]] = []
    for w in assessment.words:
        if w.status in ("substituted", "omitted"):
            heard = [w.heard] if w.heard and key(w.heard) != key(w.word) else []
            others = misreadings.get(key(spoken_form(w.word)), [])
            each.append([Rival(w.index, r) for r in dict.fromkeys([*heard, None, *others])])
    # Rank by place in each word's list (what was heard and nothing first, for every word),
    # so a page with many would-be errors spends its budget evenly.
    ranked = sorted((rank, n, r) for n, rivals in enumerate(each) for rank, r in enumerate(rivals))
    return sorted((r for _, _, r in ranked[:MAX_RIVALS]), key=lambda r: r.index)


def weigh(
    assessment: Assessment,
    rivals: Sequence[Rival],
    ratios: Sequence[float],
    error_above: float = ERROR_ABOVE,
    read_below: float = READ_BELOW,
) -> set[int]:
    """Settle the first recognizer's errors by their rivals' log-ratios; returns the
    indices settled (:func:`decide` leaves them as they are). An error whose likeliest
    rival beats the written word by more than ``error_above`` stands (``second_ratio``
    records it, and doubt leaves it); one whose every rival loses by more than
    ``-read_below`` was read."""
    best: dict[int, float] = {}
    for r, x in zip(rivals, ratios, strict=True):
        best[r.index] = max(x, best.get(r.index, x))
    settled = set()
    for w in assessment.words:
        if w.index not in best:
            continue
        w.second_ratio = round(best[w.index], 3)
        if w.second_ratio > error_above:
            settled.add(w.index)
        elif w.second_ratio < read_below:
            w.status, w.heard = "correct", None
            settled.add(w.index)
    return settled


def decide(
    assessment: Assessment,
    scores: Sequence[float],
    clear_above: float = CLEAR_ABOVE,
    doubt_below: float = DOUBT_BELOW,
    settled: Collection[int] = (),
) -> None:
    """Record each written word's score and let it overrule the first recognizer where it
    is clear, and put in doubt a word only the first one heard as written. The page's first
    word is never doubted: Whisper is unsure of an utterance's first word however it is
    read."""
    for w, s in zip(assessment.words, scores, strict=True):
        w.second_logprob = round(s, 3)
        if w.index in settled:
            continue
        if w.status in ("substituted", "omitted") and s > clear_above:
            w.status, w.heard = "correct", None
        elif w.status == "correct" and s < doubt_below and w.index > 0:
            w.status = "unclear"


def second_opinion(assessment: Assessment, pcm: bytes) -> None:
    """Score ``assessment``'s words with the second listener on ``pcm`` (16 kHz int16) and
    apply :func:`decide` to the better of each word's two scores (with and without the
    extra words heard); nothing when it is switched off (``--no-second-listener``)."""
    from sidekick.listening.second_listener import enabled, shared

    if not enabled() or len(assessment.words) < MIN_WORDS:
        return
    with_extras, without, ratios = scored(assessment, pcm, shared())
    scores = [max(a, b) for a, b in zip(with_extras, without, strict=True)]
    rivals = rivals_of(assessment)
    settled = weigh(assessment, rivals, ratios(rivals))
    decide(assessment, scores, settled=settled)
