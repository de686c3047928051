"""Rival readings: whether the reader said the written word or another, as a likelihood ratio.

The second listener (teacher-forced Whisper) scores a text against the page's audio. Its
score for the written word alone drifts with the voice: an unfamiliar accent or microphone
lowers every word's score, and Whisper's sense of language raises a written word it barely
heard. The *ratio* between two texts on the same audio does not drift that way. So each
candidate error is settled by scoring the page's text twice on one encoder pass: once as
written and once with the rival in the word's place (the word the first recognizer heard
instead, one of the word's likely misreadings, or nothing for an omission). The log-ratio
is summed over the word and the :data:`FOLLOW` words after it (a wrong word also makes
its neighbours less likely); the text before it is the same in both and cancels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sidekick.listening.second_listener import Encoded, SecondListener, Spoken

#: The written words after the rival's place whose scores count in the ratio.
FOLLOW = 2


@dataclass(frozen=True)
class Rival:
    """Another reading of the written word at ``index``: ``word`` said in its place, or
    (``word`` None) nothing."""

    index: int
    word: str | None


def _cased(rival: str, written: str) -> str:
    """The rival written as the word it replaces is (a capital where it has one)."""
    return rival[:1].upper() + rival[1:] if written[:1].isupper() and written != "I" else rival


def rival_text(
    spoken: Sequence[Spoken], owners: Sequence[int | None], rival: Rival, follow: int = FOLLOW
) -> tuple[list[Spoken], int]:
    """The forced text ``spoken`` (with ``owners``: each word's written index, None for
    an extra word) with ``rival`` in place, cut after the ``follow``-th written word after
    it. Returns that text and where in ``spoken`` the cut is (the written text is compared
    up to there)."""
    from sidekick.listening.second_listener import Spoken

    at = owners.index(rival.index)
    last = rival.index + follow
    cut = 1 + max(i for i, k in enumerate(owners) if k is not None and k <= last)
    word = spoken[at]
    out = list(spoken[:at])
    if rival.word is not None:
        out.append(Spoken(_cased(rival.word, word.word), word.at))
    elif cut > at + 1 and _cased("x", word.word) == "X":  # a sentence's next word takes its capital
        nxt = spoken[at + 1]
        out.append(Spoken(_cased(nxt.word, word.word), nxt.at))
        at += 1
    out += spoken[at + 1 : cut]
    return out, cut


def log_ratios(
    written: Sequence[Sequence[float]],
    rivals: Sequence[Sequence[Sequence[float]]],
    cuts: Sequence[int],
    owners: Sequence[int | None],
    candidates: Sequence[Rival],
) -> list[float]:
    """Each rival's log-likelihood ratio against the written text: its tokens' summed
    log-probabilities from the rival's place to the cut, less the written text's over the
    same span. ``written``: the token log-probabilities of each word of the written text;
    ``rivals``: those of each rival text; ``cuts``: as :func:`rival_text` returned."""
    out = []
    for rival, tokens, cut in zip(candidates, rivals, cuts, strict=True):
        at = owners.index(rival.index)
        mine = sum(sum(t) for t in tokens[at:])
        theirs = sum(sum(t) for t in written[at:cut])
        out.append(mine - theirs)
    return out


def rival_ratios(
    listener: SecondListener,
    encoded: Encoded,
    spoken: Sequence[Spoken],
    owners: Sequence[int | None],
    written: Sequence[Sequence[float]],
    candidates: Sequence[Rival],
) -> list[float]:
    """Each candidate's log-likelihood ratio against the forced text ``spoken`` (whose
    tokens' log-probabilities are ``written``) on the audio ``encoded``: one decoding pass
    per rival, each cut :data:`FOLLOW` words after it."""
    texts = [rival_text(spoken, owners, c) for c in candidates]
    tokens = listener.token_logprobs(encoded, [t for t, _ in texts])
    return log_ratios(written, tokens, [cut for _, cut in texts], owners, candidates)
