"""Calibrated doubt: a would-be error heard on weak evidence is ``unclear``, not wrong.

The field's first rule is never to tell a child that a correct word was wrong. After the
reading check and its second looks, a word still called ``substituted`` or ``omitted`` may
rest on little: a voice the recognizer hears poorly (an accent, a child's voice, a cheap
microphone), a noisy room, or a recognizer that was itself unsure of what it heard there.
Such a word becomes ``unclear``: not an error, never shown to the child as a mistake, never
practised, shown to the teacher as "not sure", and counted as read in accuracy and WCPM
(an examiner gives a word they could not hear well the benefit of the doubt).

The evidence, per page:

* ``snr_db``: the reading's typical word peak over the background between the words;
* ``hearing``: how well the recognizer heard this reader on this page, the mean posterior
  of the words it heard as written (a voice it hears poorly gets low posteriors throughout);
* ``misses``: the share of the page's words the check calls substituted or omitted (an
  unfamiliar voice turns many correct words into "errors" at once);

and per word: ``conf``, the recognizer's posterior for what it heard in place of a
substituted word, ``near``, the lower posterior of the words heard on either side
(an omission is only as sure as the words that frame it), and ``accent``, the accent
features that make the heard word the written one said another way ("Dad" heard as
"dodd": the open TRAP vowel). The check accepts such a word when the reader shows the
feature on more than one word (:mod:`sidekick.reading.accents`); one word alone is as
likely the reader's accent as a misreading, so it is in doubt. Omissions after the last word
heard are never in doubt: the reading stopped before them (a page left early), and no word
was misheard there; nor is an error the second listener confirmed (a rival reading beat
the written word clearly, :func:`confirmed`), unless the rival is the written word in
another accent: Whisper's ear for vowels has an accent of its own (mostly American), so its
preference between two accent variants confirms nothing.

Everything weighed is kept in :attr:`Assessment.doubt`, so that the thresholds can be
calibrated again on saved predictions (``tests/benchmarks/reading_eval/doubt_tune.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sidekick.listening.base import HeardWord
    from sidekick.reading.result import Assessment

#: The statuses that doubt can turn into ``unclear``: the ones that rest on what the
#: recognizer heard. (``assisted`` rests on time: a long silence, or Sidekick saying it.)
DOUBTED = ("substituted", "omitted")


@dataclass(frozen=True)
class Thresholds:
    """When a would-be error is ``unclear``: any one of these is enough."""

    #: A substitution whose heard word has a posterior under this.
    conf: float = 0.0
    #: An error framed by a word heard with a posterior under this.
    near: float = 0.0
    #: A page whose words heard as written have a mean posterior under this.
    hearing: float = 0.0
    #: A page whose signal-to-noise ratio (dB) is under this.
    snr_db: float = 0.0
    #: A page on which more than this share of the words would be errors.
    misses: float = 1.0
    #: A substitution that an accent feature explains (one the reader has not shown on
    #: more than one word, or it would have been accepted).
    accent: bool = True


#: Calibrated on the development voice families (``families_dev_s2101``, pocketsphinx, with
#: the accent variants and the second listener in the check): the setting with the best
#: miscue recall whose false rejections stay under target on every family (adult-like 3%,
#: child-like 5%). See tests/benchmarks/reading_eval/NOTES.md.
THRESHOLDS = Thresholds(conf=0.1, near=0.1, hearing=0.5)


def settle_doubts(
    assessment: Assessment,
    heard: Sequence[HeardWord],
    pcm: bytes,
    thresholds: Thresholds = THRESHOLDS,
) -> None:
    """Turn the would-be errors of ``assessment`` that rest on weak evidence into
    ``unclear``, and keep the evidence in ``assessment.doubt``. ``heard``: what the
    recognizer heard (with posteriors, where the engine gives them); ``pcm``: the page's
    16 kHz int16 audio."""
    assessment.doubt = evidence(assessment, heard, pcm)
    for w in assessment.words:
        if w.status in DOUBTED and doubtful(assessment.doubt, w.index, thresholds):
            w.status = "unclear"


def doubtful(evidence: dict, index: int, thresholds: Thresholds = THRESHOLDS) -> bool:
    """Whether the would-be error at ``index`` rests on weak evidence (``evidence``: as
    kept by :func:`settle_doubts`)."""
    t = thresholds
    word = next((x for x in evidence.get("words", ()) if x["index"] == index), None)
    if word is None:  # not in doubt at all (see :func:`evidence`)
        return False
    below = [
        (word.get("conf"), t.conf),
        (word.get("near"), t.near),
        (evidence.get("hearing"), t.hearing),
        (evidence.get("snr_db"), t.snr_db),
    ]
    if any(value is not None and value < limit for value, limit in below):
        return True
    if t.accent and word.get("accent"):
        return True
    return evidence.get("misses", 0.0) > t.misses


def confirmed(ratio: float | None, above: float | None = None) -> bool:
    """Whether the second listener found the error itself (a rival reading beat the
    written word clearly: :mod:`sidekick.reading.rivals`): such an error rests on more than
    the first recognizer, and is not in doubt."""
    from sidekick.reading.second_opinion import ERROR_ABOVE

    return ratio is not None and ratio > (ERROR_ABOVE if above is None else above)


def evidence(assessment: Assessment, heard: Sequence[HeardWord], pcm: bytes) -> dict:
    """What the doubt decision weighs for ``assessment`` (see the module's docstring)."""
    from sidekick.reading.timing import signal_to_noise_db
    from sidekick.words import key
    from sidekick.words.variants import accent_pair

    words = assessment.words
    timed = [w for w in words if w.start is not None and w.end is not None]

    def token(end: float | None) -> HeardWord | None:
        """The heard word that ends where a written word was heard to end."""
        if end is None:
            return None
        near = [h for h in heard if h.end is not None and abs(h.end - end) < 0.011]
        return near[0] if near else None

    def conf(end: float | None) -> float | None:
        tok = token(end)
        return None if tok is None or tok.conf is None else round(float(tok.conf), 3)

    read_as_written = [c for w in timed if w.status == "correct" and (c := conf(w.end)) is not None]
    pooled = [c for h in heard if (c := h.conf) is not None]
    hearing = read_as_written or pooled
    spans = [(h.start or 0.0, h.end or 0.0) for h in heard if h.start is not None]
    snr = signal_to_noise_db(pcm, spans)
    per_word = []
    for k, w in enumerate(words):
        if w.status not in DOUBTED:
            continue
        said_as = w.heard if w.status == "substituted" else None
        features = accent_pair(said_as, w.word) if said_as else frozenset()
        if confirmed(w.second_ratio) and not features:
            continue
        before = next((x for x in reversed(words[:k]) if x.end is not None), None)
        after = next((x for x in words[k + 1 :] if x.end is not None), None)
        if w.status == "omitted" and after is None:
            continue  # the reading stopped before it (a page left early): nothing misheard
        sides = [c for x in (before, after) if x is not None and (c := conf(x.end)) is not None]
        item: dict = {"index": w.index, "status": w.status}
        tok = token(w.end) if w.status == "substituted" else None
        if tok is not None and tok.conf is not None and key(tok.word) != key(w.word):
            item["conf"] = round(float(tok.conf), 3)
        if features:
            item["accent"] = sorted(features)
        if sides:
            item["near"] = min(sides)
        per_word.append(item)
    errors = len(per_word)  # the would-be errors in doubt (none after the reading stopped)
    return {
        "snr_db": None if snr is None else round(snr, 1),
        "hearing": round(sum(hearing) / len(hearing), 3) if hearing else None,
        "misses": round(errors / len(words), 3) if words else 0.0,
        "words": per_word,
    }
