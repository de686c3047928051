"""pocketsphinx's second look at a doubtful word: just its stretch of audio decoded again
with a grammar that allows only the written word or what was heard."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

from sidekick.listening.base import Stretch
from sidekick.listening.sphinx_page import base_word

if TYPE_CHECKING:
    from sidekick.audio.denoise import Denoiser

#: In a noisy recording (see :mod:`sidekick.audio.denoise`) a second look calls a word
#: misread only when the misreading's posterior is at least this: in noise the recognizer
#: hears plausible misreadings in correctly read words far more often. Clean recordings are
#: unaffected.
NOISY_MIN_POSTERIOR = 0.5


def second_look(
    stretch: Stretch,
    vocabulary: Collection[str],
    checker: Callable[[], Any],
    denoiser: Denoiser | None,
) -> bool:
    """Decode just this audio with a grammar that allows only the written word or the heard
    one (for a word not heard at all: the written word or nothing), between the
    neighbouring words when they are given; True if the written word explains it better.

    ``vocabulary``: the page dictionary's words (a word outside it cannot be checked: the
    reader gets the benefit of the doubt); ``checker``: makes the grammar decoder on that
    dictionary. With the utterance's ``denoiser`` the audio is denoised with its noise
    estimate, and in a noisy recording a misreading must also be likely (posterior >=
    :data:`NOISY_MIN_POSTERIOR`) to count.
    """
    clean = [base_word(w.lower()) if w else None for w in
             (stretch.written, stretch.heard, stretch.before, stretch.after)]  # fmt: skip
    written, heard, before, after = clean
    vocab = set(vocabulary)
    if written not in vocab or (heard is not None and heard not in vocab):
        return True  # cannot check: give the reader the benefit of the doubt
    if heard == written:
        return True
    # For a word not heard, the stretch runs from the word read before it to the word
    # read after it: those must be there, only the word itself is optional. For a word
    # heard as another, the stretch may hold only part of its neighbours.
    data = stretch.even_pcm()
    if denoiser is not None:
        from sidekick.audio.denoise import denoise

        data = denoise(data, denoiser.frozen())
    core = f"[ {written} ]" if heard is None else f"( {written} | {heard} )"
    fmt = "{}" if heard is None else "[ {} ]"
    parts = [fmt.format(w) for w in (before,) if w in vocab]
    parts += [core] + [fmt.format(w) for w in (after,) if w in vocab]
    rule = " ".join(parts)
    decoder = checker()
    decoder.add_jsgf_string("check", f"#JSGF V1.0;\ngrammar check;\npublic <s> = {rule};\n")
    decoder.activate_search("check")
    decoder.start_utt()
    decoder.process_raw(data, False, True)
    decoder.end_utt()
    hyp = decoder.hyp()
    said = [base_word(w) for w in (hyp.hypstr.split() if hyp else [])]
    if written in said:
        return True
    prob = float(hyp.prob) if hyp is not None else 0.0
    noisy = denoiser is not None and denoiser.noisy
    return heard is not None and noisy and prob < NOISY_MIN_POSTERIOR
