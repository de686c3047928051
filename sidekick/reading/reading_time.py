"""The reading time: where a reading starts and ends, the denominator of WCPM.

WCPM is the words read correctly per minute from the start of the first word read to the
end of the last one (DIBELS, Acadience: words correct x 60 / seconds read). The words the
recognizer heard give that span first; these passes correct it from the audio itself
(:mod:`sidekick.reading.timing` measures the level) where the words heard do not say it:

* :func:`refine_start`: the recognizer stretched the first word over the lead-in, or heard
  the first words in the noise before the reading;
* :func:`refine_end`: in noise, the last word runs on over the noise after the reading;
* :func:`cover_credited_words`: words the check credits (read, or given the benefit of the
  doubt) without a time of their own at either end of the page, and the end of the last
  word heard as an extra word after it.

Each sets :attr:`Assessment.reading_start` / :attr:`Assessment.reading_end`; the statuses
are already decided and never change here.
"""

from __future__ import annotations

from sidekick.reading.result import CREDITED, Assessment, WordResult
from sidekick.reading.timing import (
    ONSET_NEAR_DB,
    reading_offset,
    reading_onset,
    sustained_near_peak,
)

#: A first (last) word heard this long (s) before the reader's voice begins (after it
#: ends) was heard in the noise.
OUTSIDE_S = 0.2
#: A word credited without a time of its own moves the reading's edge at most this far
#: (s) beyond the words heard: a slow word, not a noise seconds away.
UNTIMED_WORD_S = 1.0
#: An extra word heard within this time (s) of the last word's end, with no silence
#: between them, is the rest of that word (the recognizer split it).
JOINED_S = 0.05


def _timed(assessment: Assessment) -> list[WordResult]:
    return [w for w in assessment.words if w.start is not None and w.end is not None]


def refine_start(assessment: Assessment, pcm: bytes) -> None:
    """Move the reading's first word to where its sound begins in ``pcm`` (in noise the
    recognizer stretches it over the lead-in, or takes noise before it for it, which
    lowers WCPM). Only its start (and the silence before it) changes; the statuses are
    already decided.

    Where the reader's voice begins well after the first word heard (:data:`OUTSIDE_S`),
    the first words were heard in the noise before the reading (babble taken for "Leo
    was", the reader's own "Leo was" heard as other words): the reading time starts at the
    voice (:attr:`Assessment.reading_start`). Noisy child-like verdict clips whose reading
    time is off by more than 5%: 29 -> 19 of 161 (mean error 3.9% -> 3.1%)."""
    from sidekick.reading.timing import speech_onset

    timed = _timed(assessment)
    if not timed:
        return
    spans = [(w.start or 0.0, w.end or 0.0) for w in timed]
    first = min(timed, key=lambda w: w.start or 0.0)
    old = first.start or 0.0
    first.start = round(speech_onset(pcm, old, first.end or 0.0, spans), 3)
    first.hesitation_s = round(first.hesitation_s + first.start - old, 2)  # silence it took
    onset = reading_onset(pcm, spans)
    last_end = max(e for _, e in spans)
    if onset is not None and first.start + OUTSIDE_S < onset < last_end:
        assessment.reading_start = round(onset, 3)


def refine_end(assessment: Assessment, pcm: bytes) -> None:
    """In a noisy recording, end the reading time where the reader's voice ends when the
    last word heard runs on well after it (:data:`OUTSIDE_S`): the recognizer stretched
    it over the noise that followed. Not in quiet ones, where the recognizer's end is
    already the better one (a word's soft ending is lost under the level's threshold).
    Noisy child-like verdict clips whose reading time is off by more than 5%: 19 -> 14 of
    161 (mean error 3.1% -> 2.8%); the development sets chose the threshold."""
    spans = [(w.start or 0.0, w.end or 0.0) for w in _timed(assessment)]
    if not spans:
        return
    offset = reading_offset(pcm, spans)
    start = max(min(s for s, _ in spans), assessment.reading_start or 0.0)
    if offset is not None and start < offset < max(e for _, e in spans) - OUTSIDE_S:
        assessment.reading_end = round(offset, 3)


def cover_credited_words(assessment: Assessment, pcm: bytes) -> None:
    """Stretch the reading time over every word the check credits. Run last, once the
    statuses are final.

    A word the first recognizer did not hear but the second listener did is credited
    without a time; at either end of the page the reading time left it out (a page's
    first seven words so lost made WCPM 77% too high). The reading then starts where the
    reader's voice begins, or ends where it ends (the level, as :func:`refine_start` and
    :func:`refine_end` find them), at most :data:`UNTIMED_WORD_S` a word beyond the words
    heard.

    The recognizer also splits a page's last word, hearing its end as an extra word
    ("window" + "to"): an extra word joined to the last word read (:data:`JOINED_S`), as
    loud as the reading (:data:`~sidekick.reading.timing.ONSET_NEAR_DB`), ends the
    reading. Clean development readings: mean |reading time error| 3.1% -> 1.4%, clips
    within 5% 90% -> 97%."""
    words, timed = assessment.words, _timed(assessment)
    if not timed:
        return
    spans = [(w.start or 0.0, w.end or 0.0) for w in timed]
    start, end = min(s for s, _ in spans), max(e for _, e in spans)
    start = start if assessment.reading_start is None else assessment.reading_start
    end = end if assessment.reading_end is None else assessment.reading_end
    before = [w for w in words[: timed[0].index] if w.status in CREDITED]
    after = [w for w in words[timed[-1].index + 1 :] if w.status in CREDITED]
    if before:
        onset = reading_onset(pcm, spans)
        if onset is not None and onset < start:
            assessment.reading_start = round(max(onset, start - UNTIMED_WORD_S * len(before)), 3)
    if after:
        offset = reading_offset(pcm, spans)
        if offset is not None and offset > end:
            assessment.reading_end = round(min(offset, end + UNTIMED_WORD_S * len(after)), 3)
    elif assessment.reading_end is None and timed[-1] is words[-1] and words[-1].status in CREDITED:
        joined = _joined_end(assessment, pcm, spans, end)
        if joined > end:
            assessment.reading_end = round(joined, 3)


def _joined_end(
    assessment: Assessment, pcm: bytes, spans: list[tuple[float, float]], end: float
) -> float:
    """The end of the extra words heard joined to the reading's ``end`` (s), one after the
    other, each as loud as the reading; ``end`` itself when there are none."""
    extras = sorted(assessment.insertions + assessment.repetitions, key=lambda x: x["start"])
    for extra in extras:
        if abs(extra["start"] - end) <= JOINED_S and sustained_near_peak(
            pcm, spans, extra["start"], extra["end"], ONSET_NEAR_DB
        ):
            end = max(end, extra["end"])
    return end
