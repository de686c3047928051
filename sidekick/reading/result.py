"""What a reading check says: each written word's status, the extras heard, and the
fluency summary (WCPM, accuracy, the DIBELS band). Plain dataclasses, shared by the check
(:mod:`sidekick.reading.assess`) and its passes (accents, doubt, the second opinion)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

Status = Literal["correct", "self_corrected", "omitted", "substituted", "assisted", "unclear"]
ERRORS = ("omitted", "substituted", "assisted")
#: The statuses counted as read in accuracy and WCPM: ``unclear`` (the check is not sure)
#: gets the benefit of the doubt.
CREDITED = ("correct", "self_corrected", "unclear")


@dataclass(frozen=True)
class Token:
    """A word the recognizer heard, with its time in seconds from the start of the audio."""

    word: str
    start: float
    end: float


@dataclass
class WordResult:
    index: int
    word: str
    status: Status
    heard: str | None = None
    start: float | None = None
    end: float | None = None
    hesitation_s: float = 0.0
    #: The second listener's score (log-probability, 0 = surely as written), when it ran.
    second_logprob: float | None = None
    #: The log-ratio of the likeliest rival reading against the written word (above 0: the
    #: second listener finds the rival more likely), when one was weighed.
    second_ratio: float | None = None


@dataclass
class Assessment:
    words: list[WordResult]
    insertions: list[dict] = field(default_factory=list)
    repetitions: list[dict] = field(default_factory=list)
    #: Where the reading starts and ends when the words heard do not say it (noise heard
    #: as words outside the reader's voice, a credited word heard at no time): the passes
    #: of :mod:`sidekick.reading.reading_time` set them; the reading time is between.
    reading_start: float | None = None
    reading_end: float | None = None
    #: What the doubt decision weighed (:mod:`sidekick.reading.doubt`), for calibration.
    doubt: dict = field(default_factory=dict)

    @property
    def words_correct(self) -> int:
        """Words read correctly, or ``unclear`` (given the benefit of the doubt)."""
        return sum(w.status in CREDITED for w in self.words)

    @property
    def unclear(self) -> int:
        return sum(w.status == "unclear" for w in self.words)

    @property
    def errors(self) -> int:
        return sum(w.status in ERRORS for w in self.words)

    def errors_by_type(self) -> dict[str, int]:
        return {s: sum(w.status == s for w in self.words) for s in ERRORS}

    @property
    def duration_s(self) -> float:
        """Reading time: from the first written word read to the last.

        Heard tokens matched to no written word count only inside that span: before the
        first word or after the last one they are, in practice, noise the recognizer took
        for words (children's insertions come before a word that is then read), and they
        stretched the reading time of noisy clips by up to a second. Where the words heard
        do not say where the reading starts or ends, :attr:`reading_start` and
        :attr:`reading_end` do.
        """
        times = [(w.start, w.end) for w in self.words if w.start is not None and w.end is not None]
        if not times:
            times = [(d["start"], d["end"]) for d in self.insertions + self.repetitions]
        if not times:
            return 0.0
        start, end = min(s for s, _ in times), max(e for _, e in times)
        start = start if self.reading_start is None else self.reading_start
        end = end if self.reading_end is None else self.reading_end
        return max(0.0, end - start)

    def summary(self) -> dict:
        n = len(self.words)
        accuracy = self.words_correct / n if n else 0.0
        dur = self.duration_s
        return {
            "wcpm": round(self.words_correct * 60 / dur, 1) if dur > 0 else 0.0,
            "accuracy": round(accuracy, 4),
            "words_correct": self.words_correct,
            "errors": self.errors,
            "unclear": self.unclear,
            "duration_s": round(dur, 2),
            "band": band(accuracy),
        }

    def to_json(self) -> dict:
        return {
            "words": [asdict(w) for w in self.words],
            "insertions": self.insertions,
            "repetitions": self.repetitions,
            "summary": self.summary(),
            **({"doubt": self.doubt} if self.doubt else {}),
        }


def band(accuracy: float) -> str:
    """DIBELS accuracy bands."""
    if accuracy >= 0.95:
        return "independent"
    if accuracy >= 0.90:
        return "instructional"
    return "frustration"
