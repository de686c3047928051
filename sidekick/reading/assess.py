"""The reading check: what a child read, word by word, scored the way teachers score it.

Given the page's words and what the recognizer heard (words with times), align the two and
classify every written word as ``correct``, ``self_corrected``, ``omitted``, ``substituted``,
``assisted`` or ``unclear``; log insertions and repetitions (not errors); and summarize
fluency (WCPM, accuracy, the DIBELS accuracy band).

The rule of the field is that telling a child a correctly read word was wrong hurts far more
than missing a miscue, so before a word is called an error it is looked at twice: a
homophone or alternative pronunciation counts as the word, so does a word heard the way the
reader's accent says it (:mod:`sidekick.reading.accents`), and an optional ``second_look``
(a recognizer re-deciding just that stretch of audio between the written word and what was
heard) can clear it. Where the evidence for an error is still weak, the word is ``unclear``
(:mod:`sidekick.reading.doubt`): not an error, and given the benefit of the doubt in
accuracy and WCPM, as an examiner scores a word they could not hear well.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sidekick.listening.base import HeardWord, Listener
from sidekick.reading.accents import ReaderAccent, accept_accent
from sidekick.reading.result import (
    ERRORS,
    Assessment,
    Token,
    WordResult,
)
from sidekick.words import key, same_word

SELF_CORRECTION_S = 3.0  # DIBELS: a self-correction within 3 s counts as correct
SQUEEZED_S = 0.12  # a word heard this briefly, right after another, was squeezed in


def align(expected: Sequence[str], heard: Sequence[str]) -> list[tuple[int | None, int | None]]:
    """Minimum-edit alignment: (expected index, heard index) pairs, None for a gap.

    Matching words cost nothing, a substitution 1, a gap 1; among equal-cost alignments a
    heard word is matched as late as possible, so "dig dog" for "dog" pairs the written word
    with the corrected reading.
    """
    n, m = len(expected), len(heard)
    cost = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        cost[i][0] = i
    for j in range(1, m + 1):
        cost[0][j] = j
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            sub = 0.0 if same_word(heard[j - 1], expected[i - 1]) else 1.0
            cost[i][j] = min(cost[i - 1][j - 1] + sub, cost[i - 1][j] + 1, cost[i][j - 1] + 1)
    pairs: list[tuple[int | None, int | None]] = []
    i, j = n, m
    while i or j:
        if i and j:
            sub = 0.0 if same_word(heard[j - 1], expected[i - 1]) else 1.0
            if cost[i][j] == cost[i - 1][j - 1] + sub and (
                sub == 0 or cost[i][j - 1] + 1 != cost[i][j]
            ):
                pairs.append((i - 1, j - 1))
                i, j = i - 1, j - 1
                continue
        if j and cost[i][j] == cost[i][j - 1] + 1:
            pairs.append((None, j - 1))
            j -= 1
        elif i and cost[i][j] == cost[i - 1][j] + 1:
            pairs.append((i - 1, None))
            i -= 1
        else:  # substitution
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
    return pairs[::-1]


def _close(a: str, b: str) -> bool:
    """Could ``a`` be an attempt at ``b``? (same start, or a sound or two apart)."""
    from sidekick.words.pronounce import lexicon

    a, b = key(a), key(b)
    if not a or not b:
        return False
    if a[:2] == b[:2] or b.startswith(a) or a.startswith(b):
        return True
    d = lexicon().distance(a, b)
    return d is not None and d <= 2


def _gap_without(
    spans: Sequence[tuple[float, float]], start: float, end: float, audio_end: float | None
) -> float:
    """The silence around a heard token when that token is taken away."""
    before = max((e for s, e in spans if e <= start + 1e-6 and (s, e) != (start, end)),
                 default=0.0)  # fmt: skip
    after = min((s for s, e in spans if s >= end - 1e-6 and (s, e) != (start, end)),
                default=audio_end if audio_end is not None else end)  # fmt: skip
    return max(0.0, after - before)


#: second_look(written, heard_or_None, start_s, end_s, word_before, word_after) -> True if
#: that stretch of audio is better explained by the written word (so it was read after all).
SecondLook = Callable[[str, str | None, float, float, str | None, str | None], bool]


def assess(
    expected: Sequence[str],
    tokens: Sequence[Token],
    *,
    stall_s: float = 3.0,
    assisted: set[int] | frozenset[int] = frozenset(),
    second_look: SecondLook | None = None,
    audio_end: float | None = None,
    odd_look: SecondLook | None = None,
    accent: ReaderAccent | None = None,
) -> Assessment:
    """Score one reading of ``expected`` (the page's words) from the recognized ``tokens``.

    ``odd_look``: a second look for a word heard as something that is no plausible
    misreading of it (given in quiet recordings; without it such a word is recognizer noise).

    ``assisted``: words Sidekick said for the child during a live turn (errors, DIBELS).
    Without them, a hesitation longer than ``stall_s`` before a word marks it assisted, as
    the tutor would have supplied it.

    ``accent``: the accent features this reader showed on earlier pages (it learns this
    page's; :mod:`sidekick.reading.accents`).

    The check is a pipeline of passes over one :class:`Reading`, each named after what it
    decides; the audio passes (:func:`check_reading`) follow.
    """
    reading = pair_words(expected, tokens, stall_s=stall_s, audio_end=audio_end)
    sort_extras(reading)
    measure_hesitations(reading)
    if second_look is not None:
        look_again(reading, second_look, odd_look)
    accept_accent(reading.words, accent)
    mark_assisted(reading, assisted)
    hide_unfit_words(reading)
    return Assessment(reading.words, reading.insertions, reading.repetitions)


@dataclass
class Reading:
    """One reading of a page while the check's passes decide it: the written words'
    results, the heard tokens and which of them no written word took."""

    expected: Sequence[str]
    tokens: Sequence[Token]
    stall_s: float
    audio_end: float | None
    pairs: list[tuple[int | None, int | None]]
    words: list[WordResult]
    extra: list[int]  # heard tokens not paired with a written word
    insertions: list[dict] = field(default_factory=list)
    repetitions: list[dict] = field(default_factory=list)

    @property
    def spans(self) -> list[tuple[float, float]]:
        """The heard tokens' (start, end), in time order."""
        return sorted((t.start, t.end) for t in self.tokens)


def pair_words(
    expected: Sequence[str], tokens: Sequence[Token], *, stall_s: float, audio_end: float | None
) -> Reading:
    """Pairing: each written word with the token heard for it (:func:`align`). A word
    heard as itself, a homophone or another pronunciation of it is ``correct``, as another
    word ``substituted``, not at all ``omitted``."""
    from sidekick.words.pronounce import lexicon

    lex = lexicon()
    pairs = align([key(w) for w in expected], [key(t.word) for t in tokens])
    results: list[WordResult | None] = [None] * len(expected)
    extra: list[int] = []
    for i, j in pairs:
        if i is None:
            extra.append(j)  # type: ignore[arg-type]
            continue
        word = expected[i]
        if j is None:
            results[i] = WordResult(i, word, "omitted")
            continue
        tok = tokens[j]
        heard = key(tok.word)
        if same_word(tok.word, word) or lex.same_sound(heard, key(word)):
            results[i] = WordResult(i, word, "correct", start=tok.start, end=tok.end)
        else:
            results[i] = WordResult(i, word, "substituted", heard=tok.word, start=tok.start,
                                    end=tok.end)  # fmt: skip
    words = [r for r in results if r is not None]
    return Reading(expected, tokens, stall_s, audio_end, pairs, words, extra)


def sort_extras(reading: Reading) -> None:
    """Extras and self-corrections: a heard token no written word took is a repetition
    (a page word near it), a self-correction of the word after it (an attempt at it
    within :data:`SELF_CORRECTION_S`), or an insertion."""
    words, tokens, expected = reading.words, reading.tokens, reading.expected
    tok_index = {j: i for i, j in reading.pairs if i is not None and j is not None}
    for j in reading.extra:
        tok = tokens[j]
        # The written word this token sits just before (the next paired token's word).
        nxt = next((tok_index[k] for k in range(j + 1, len(tokens)) if k in tok_index), None)
        prev = next((tok_index[k] for k in range(j - 1, -1, -1) if k in tok_index), None)
        entry = {"word": tok.word, "start": tok.start, "end": tok.end,
                 "before_index": nxt}  # fmt: skip
        anchor = nxt if nxt is not None else (prev if prev is not None else 0)
        window = range(max(0, anchor - 4), min(len(expected), anchor + 4))
        if any(same_word(tok.word, expected[k]) for k in window):
            reading.repetitions.append(entry)
        elif (
            nxt is not None
            and words[nxt].status == "correct"
            and _close(tok.word, expected[nxt])
            and (words[nxt].end or 0) - tok.start <= SELF_CORRECTION_S
        ):
            words[nxt].status = "self_corrected"
            words[nxt].heard = tok.word
        else:
            reading.insertions.append(entry)


def measure_hesitations(reading: Reading) -> None:
    """Hesitations: the silence before each word (from the previous heard token); for a
    word not heard, the silence where it would be."""
    words, ends, audio_end = reading.words, reading.spans, reading.audio_end

    def last_end_before(t: float) -> float:
        return max((e for s, e in ends if e <= t + 1e-6), default=0.0)

    for k, w in enumerate(words):
        if w.start is not None:
            w.hesitation_s = round(max(0.0, w.start - last_end_before(w.start)), 2)
        else:
            before = max((x.end for x in words[:k] if x.end is not None), default=0.0)
            after = min((x.start for x in words[k + 1 :] if x.start is not None),
                        default=audio_end if audio_end is not None else before)  # fmt: skip
            inner = [e for s, e in ends if before <= s and e <= after]
            w.hesitation_s = round(max(0.0, after - max([before, *inner])), 2)

    # A long silence belongs to the first word not read after it: when a skipped word took
    # the pause, the word read after it was not hesitated on.
    for k, w in enumerate(words[1:], 1):
        prev = words[k - 1]
        if w.start is not None and prev.start is None and prev.hesitation_s >= w.hesitation_s:
            w.hesitation_s = 0.0
    # A stalled word heard in a flash right after the word before it, and then a long
    # silence: the page model squeezed it in at the end of that word, and it was said after
    # the silence. The silence is its hesitation.
    for w, nxt in itertools.pairwise(words):
        if (
            w.status == "correct"
            and w.start is not None
            and w.end is not None
            and w.end - w.start <= SQUEEZED_S
            and w.hesitation_s < 0.05
            and nxt.hesitation_s > reading.stall_s
        ):
            w.hesitation_s, nxt.hesitation_s = nxt.hesitation_s, 0.0


def look_again(reading: Reading, second_look: SecondLook, odd_look: SecondLook | None) -> None:
    """Second looks: look twice before calling anything an error. A substituted word
    whose stretch of audio is better explained by the written word, and an omitted word
    found in the stretch between its neighbours, were read; a word heard as no plausible
    misreading of it is judged as if nothing had been heard there (:func:`_judge_as_noise`)."""
    words, audio_end = reading.words, reading.audio_end
    for k, w in enumerate(words):
        before = words[k - 1] if k else None
        after = words[k + 1] if k + 1 < len(words) else None
        if w.status == "substituted" and not _close(w.heard or "", w.word):
            _judge_as_noise(reading, k, second_look, odd_look)
        elif w.status == "substituted":
            if second_look(w.word, w.heard, w.start, w.end, before and before.word,
                           after and after.word):  # fmt: skip
                w.status, w.heard = "correct", None
        elif w.status == "omitted" and w.hesitation_s < reading.stall_s:
            # The stretch from the word read before to the word read after.
            prev = next((x for x in reversed(words[:k]) if x.start is not None), None)
            nxt = next((x for x in words[k + 1 :] if x.start is not None), None)
            lo = prev.start if prev else 0.0
            hi = nxt.end if nxt else (audio_end if audio_end is not None else lo)
            if hi > lo and second_look(w.word, None, lo, hi, prev and prev.word,
                                       nxt and nxt.word):  # fmt: skip
                w.status = "correct"


def _judge_as_noise(
    reading: Reading, k: int, second_look: SecondLook, odd_look: SecondLook | None
) -> None:
    """Word ``k`` was heard as no plausible misreading of it (children's substitutions
    share its start or most of its sounds). In a quiet recording the odd look may still
    find the word misread. Otherwise it is recognizer noise, and the word is judged as if
    nothing had been heard there: in a silence longer than a stall it was not read (the
    tutor would have supplied it); otherwise it is read unless a second look at the
    stretch between its neighbours finds it skipped."""
    words, stall_s = reading.words, reading.stall_s
    w = words[k]
    before = words[k - 1] if k else None
    after = words[k + 1] if k + 1 < len(words) else None
    said, w.status, w.heard = w.heard, "correct", None
    if w.start is None or w.end is None:
        return
    gap = _gap_without(reading.spans, w.start, w.end, reading.audio_end)
    if (
        odd_look is not None
        and gap <= stall_s
        and not odd_look(w.word, said, w.start, w.end, before and before.word, after and after.word)
    ):
        w.status, w.heard = "substituted", said
        return
    prev = next((x for x in reversed(words[:k]) if x.start is not None), None)
    nxt = next((x for x in words[k + 1 :] if x.start is not None), None)
    if gap > stall_s:
        w.status, w.start, w.end, w.hesitation_s = "omitted", None, None, round(gap, 2)
        if after is not None and after.start is not None:
            after.hesitation_s = 0.0  # the pause was this word's
    elif (
        prev is not None
        and nxt is not None
        and prev.start is not None
        and nxt.end is not None
        and not second_look(w.word, None, prev.start, nxt.end, prev.word, nxt.word)
    ):
        w.status, w.start, w.end = "omitted", None, None


def mark_assisted(reading: Reading, assisted: set[int] | frozenset[int]) -> None:
    """Stalls: a word Sidekick said during the turn, or hesitated on longer than a stall
    (and not self-corrected), is ``assisted`` (DIBELS)."""
    for w in reading.words:
        if w.index in assisted or (
            w.hesitation_s > reading.stall_s and w.status != "self_corrected"
        ):
            w.status = "assisted"


def hide_unfit_words(reading: Reading) -> None:
    """A heard word unfit for children that is no page word is never shown
    (:func:`sidekick.words.pronounce.shown`)."""
    from sidekick.words.pronounce import shown

    page = {key(w) for w in reading.expected}
    for w in reading.words:
        w.heard = shown(w.heard, page) if w.heard else w.heard
    for logged in (*reading.insertions, *reading.repetitions):
        logged["word"] = shown(logged["word"], page)


def listen_words(expected: Sequence[str]) -> tuple[list[str], dict[str, list[str]]]:
    """What to tell the recognizer for a page: the words as spoken, and likely misreadings."""
    from sidekick.words import spoken_form
    from sidekick.words.pronounce import likely_miscues

    spoken = [spoken_form(w) for w in expected]
    return spoken, likely_miscues([key(w) for w in spoken])


def check_reading(
    listener: Listener,
    expected: Sequence[str],
    heard: Sequence[HeardWord],
    pcm: bytes,
    *,
    stall_s: float = 3.0,
    assisted: set[int] | frozenset[int] = frozenset(),
    accent: ReaderAccent | None = None,
) -> Assessment:
    """Score what ``listener`` heard in ``pcm`` (16 kHz int16, kept in memory only) as a
    reading of ``expected``, looking twice at would-be errors; ``accent``: what is known of
    the reader's accent (see :func:`assess`). Used by live turns and by recorded readings
    (:mod:`sidekick.reading.assessor`) alike."""
    from sidekick.listening.base import SAMPLE_RATE, Stretch
    from sidekick.reading.doubt import settle_doubts
    from sidekick.reading.reading_time import cover_credited_words, refine_end, refine_start
    from sidekick.reading.second_opinion import second_opinion
    from sidekick.words import spoken_form

    def second_look(
        written: str, said: str | None, start: float, end: float,
        before: str | None, after: str | None,
    ) -> bool:  # fmt: skip
        margin = 0.15
        a = max(0, int((start - margin) * SAMPLE_RATE)) * 2
        b = min(len(pcm), int((end + margin) * SAMPLE_RATE) * 2)
        spoken = [spoken_form(w) if w else None for w in (written, before, after)]
        return b - a >= 3200 and listener.second_look(
            Stretch(pcm[a:b], spoken[0], said, before=spoken[1], after=spoken[2])
        )

    tokens = [Token(w.word, w.start or 0.0, w.end or 0.0) for w in heard]
    result = assess(
        list(expected), tokens, stall_s=stall_s, assisted=assisted,
        second_look=second_look, audio_end=len(pcm) / (2 * SAMPLE_RATE),
        odd_look=second_look if listener.quiet() else None, accent=accent,
    )  # fmt: skip
    stalls_in_silence(result, pcm, stall_s)
    refine_start(result, pcm)
    if not listener.quiet():  # noisy, or the listener cannot tell
        refine_end(result, pcm)
    second_opinion(result, pcm)
    settle_doubts(result, heard, pcm)
    cover_credited_words(result, pcm)
    return result


def stalls_in_silence(assessment: Assessment, pcm: bytes, stall_s: float) -> None:
    """A word heard inside a silence longer than a stall (nothing in it comes near the
    reading's loudness) was not read: the reader stalled on it, and noise was taken for
    it or for an attempt at it. It is ``assisted``, as a stall is (DIBELS). Only the first
    word after the silence's start: the reading resumes after it. A word heard both just
    before the silence and in it (a repetition) was read before it, and the stall is the
    next word's. Child-like development clips: 6 more stalls found, no correct word
    rejected; the verdict sets: 2 found, 3 correct words rejected."""
    from sidekick.reading.timing import quiet_spans

    words = assessment.words
    timed = [w for w in words if w.start is not None and w.end is not None]
    spans = [(w.start or 0.0, w.end or 0.0) for w in timed]
    for lo, hi in quiet_spans(pcm, spans, stall_s):
        after = [w for w in timed if ((w.start or 0.0) + (w.end or 0.0)) / 2 > lo]
        if not after:
            continue
        w = after[0]
        read = [x for x in timed if x.index < w.index]
        said_before = [
            r for r in assessment.repetitions
            if same_word(r["word"], w.word) and lo - 1.0 <= (r["start"] + r["end"]) / 2 <= lo
            and (not read or r["start"] >= (read[-1].end or 0.0) - 0.03)
        ]  # fmt: skip
        if said_before and len(after) > 1:
            said = said_before[-1]  # the reading, and the copy in the silence is noise
            said["start"], said["end"], w.start, w.end = w.start, w.end, said["start"], said["end"]
            read, w = [*read, w], after[1]
        inside = lo - 0.03 <= (w.start or 0.0) and (w.end or 0.0) <= hi + 0.03
        if (
            not inside
            or w.status not in ("correct", "self_corrected")
            or any(x.status in ERRORS for x in words[read[-1].index + 1 if read else 0 : w.index])
        ):  # the stall is a word not heard, already an error
            continue
        w.status, w.heard, w.start, w.end = "assisted", None, None, None
        w.hesitation_s = round(hi - lo, 2)
        for logged in (assessment.insertions, assessment.repetitions):  # noise, not words
            logged[:] = [x for x in logged if not (lo - 0.03 <= x["start"] and x["end"] <= hi)]
