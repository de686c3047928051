"""Recordings with no reading in them: too short, silent, or a steady noise.

Such a recording is not scored as a reading (a recognizer told to listen for the page's
words finds some of them in almost anything): the reading check says
:data:`NO_READING` instead, and a live turn that hears nothing ends without a score. The
checks are cheap and run before any recognition, in bounded memory whatever the length.
"""

from __future__ import annotations

import numpy as np

from sidekick.audio.base import SAMPLE_RATE
from sidekick.errors import SidekickError

NO_READING = "I couldn't hear any reading"
MIN_READING_S = 0.3  # shorter than any word read aloud
FRAME_S = 0.02  # levels of 20 ms frames
#: The loudest frame this far under full scale: silence (a quiet room through a microphone
#: is about -60 dBFS; speech near it peaks above -35 dBFS).
SILENT_DBFS = -55.0
#: The loud frames (95th percentile) no more than this above the quiet ones (10th
#: percentile): a steady noise (hum, hiss, fan), with no syllables rising out of it. Reading,
#: even in babble, rises well over this.
STEADY_DB = 3.0
#: A live turn in which the recognizer hears no word at all for this long ends.
SILENT_TURN_S = 30.0


class NoReadingError(SidekickError):
    """A recording with no reading in it (the message says why, in plain words)."""


def frame_levels(pcm: bytes) -> np.ndarray:
    """Level (dBFS) of 16-bit mono ``pcm`` in consecutive 20 ms frames, a minute at a time."""
    frame = int(FRAME_S * SAMPLE_RATE)
    x = np.frombuffer(pcm[: len(pcm) - len(pcm) % (2 * frame)], dtype="<i2")
    step = frame * int(60 / FRAME_S)
    out = []
    for i in range(0, len(x), step):
        block = x[i : i + step].astype(np.float32).reshape(-1, frame) / 32768.0
        out.append(10 * np.log10(np.mean(block * block, axis=1) + 1e-12))
    return np.concatenate(out) if out else np.zeros(0, dtype=np.float32)


def why_no_reading(pcm: bytes) -> str | None:
    """Why ``pcm`` (16 kHz mono int16) holds no reading, in a parent's words; None if it
    may hold one."""
    seconds = len(pcm) / (2 * SAMPLE_RATE)
    if seconds < MIN_READING_S:
        return f"{NO_READING}: the recording is only {seconds:.1f} seconds long."
    db = frame_levels(pcm)
    if not len(db) or float(db.max()) < SILENT_DBFS:
        return f"{NO_READING}: the recording is silent."
    if float(np.percentile(db, 95) - np.percentile(db, 10)) < STEADY_DB:
        return f"{NO_READING}: the recording holds only a steady noise."
    return None


def check_for_reading(pcm: bytes, words_heard: int | None = None) -> None:
    """Raise :class:`NoReadingError` when ``pcm`` holds no reading, or when the recognizer
    heard no word in it (``words_heard`` 0)."""
    if reason := why_no_reading(pcm):
        raise NoReadingError(reason)
    if words_heard == 0:
        raise NoReadingError(f"{NO_READING}: no words were heard in the recording.")
