"""Fitting pocketsphinx to the reader: the frequency warp their pitch calls for, and an MLLR
transform of the model (:mod:`sidekick.listening.adapt`) learnt on what they read.

Nothing heard of the child reaches a disk: the features the transform is learnt from are
caught in memory (:class:`FeatureLog`, :mod:`sidekick.private_files`).
"""

from __future__ import annotations

import itertools
import math
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from sidekick.listening.sphinx_page import base_word
from sidekick.private_files import MemoryFile, private_dir

#: (median pitch in Hz, warp) points of a ramp, linear in semitones between them: a higher
#: voice usually comes from a shorter vocal tract. Men's voices (up to about 105 Hz) are
#: recognized best unwarped, child voices best at 1.2, and the highest child voices (about
#: 235 Hz) at 1.5; one warp for every voice loses the low ones. An explicit ``warp_params``
#: override turns the ramp off. Figures: tests/benchmarks/reading_eval/NOTES.md.
WARP_BY_PITCH = ((105.0, 1.0), (115.0, 1.2), (180.0, 1.2), (235.0, 1.5))
MIN_ADAPT_FRAMES = 100  # 1 s of speech and silence at least, or the model is left as it is


def warp_for_pitch(pitch: float) -> float:
    """The frequency warp for a reader whose voice has this median pitch (Hz), in steps of
    0.1 so that small differences in the estimate change nothing."""
    points = WARP_BY_PITCH
    if pitch <= points[0][0]:
        return points[0][1]
    for (low, warp_low), (high, warp_high) in itertools.pairwise(points):
        if pitch <= high:
            share = math.log(pitch / low) / math.log(high / low)
            return round(warp_low + share * (warp_high - warp_low), 1)
    return points[-1][1]


class FeatureLog:
    """pocketsphinx's log of an utterance's features, caught in memory.

    A decoder with ``mfclogdir`` writes each utterance's features to ``DIR/%09u.mfc``, named
    by its count of utterances. Before an utterance, the name it will write is made a link
    to a :class:`MemoryFile`, so the features never reach a file system. Should the count be
    other than expected, the file it wrote instead (inside the private folder) is read,
    deleted at once, and the count taken from its name.
    """

    def __init__(self) -> None:
        self.folder = private_dir() / f"features-{id(self):x}"
        self.folder.mkdir(mode=0o700)
        self._memory = MemoryFile("features")
        self._next = 0  # the decoder's next utterance number
        self.caught = 0  # utterances whose features were caught in memory

    def record(self, utterance: Callable[[], None]) -> bytes:
        """Run ``utterance`` (one start_utt ... end_utt of the logging decoder) and return
        the features it logged (b"" if none)."""
        link = self.folder / f"{self._next:09d}.mfc"
        if self._memory.in_memory:
            self._memory.write(b"")
            link.unlink(missing_ok=True)
            link.symlink_to(self._memory.path)
        data = b""
        try:
            utterance()
        finally:
            for path in sorted(self.folder.iterdir()):
                if path.is_symlink():
                    if data := self._memory.read():
                        self._next += 1
                        self.caught += 1
                else:  # not where it was expected: read it and take the count from it
                    data = path.read_bytes()
                    if path.stem.isdigit():
                        self._next = int(path.stem) + 1
                path.unlink()
        return data

    def close(self) -> None:
        self._memory.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def fit_transform(
    aligner: Any,
    features: FeatureLog,
    audio: bytes,
    heard: list[str],
    entries: Mapping[str, str],
    hmm: Path,
) -> str | None:
    """An MLLR transform (pocketsphinx's text format) that fits the model to the reader, or
    None when there is too little to learn from.

    ``heard``: the page dictionary's entries the decoder heard in ``audio``, in order;
    ``entries``: that dictionary. The ``aligner`` (a grammar decoder on the page dictionary
    that logs its features to ``features.folder``) aligns them to the audio, which gives
    each frame its phone.
    """
    from sidekick.listening import adapt

    def align() -> None:
        aligner.start_utt()
        aligner.process_raw(audio, False, True)
        aligner.end_utt()

    aligner.set_align_text(" ".join(base_word(w) for w in heard))
    try:
        logged = features.record(align)
        segments = [(s.word, s.start_frame, s.end_frame) for s in aligner.seg() or ()]
    except RuntimeError:  # no alignment reached the end: nothing to learn from
        return None
    cepstra = adapt.read_cepstra(logged) if logged else None
    if cepstra is None or not len(cepstra):
        return None
    model = adapt.acoustic_model(hmm)
    prons = {w: p.split() for w, p in entries.items()}
    codebook = adapt.frame_phones(segments, prons, model, len(cepstra))
    if (codebook >= 0).sum() < MIN_ADAPT_FRAMES:
        return None
    return adapt.transform_text(adapt.estimate(model, codebook, adapt.streams(cepstra)))
