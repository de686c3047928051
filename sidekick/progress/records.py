"""What the progress history is made of: readers, turns and their missed words, and the
summaries screens and reports show. Plain frozen dataclasses, shared by the store
(:mod:`sidekick.progress.store`), the pending journal and the salvage of a damaged file."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from typing import Any, Literal, cast

from sidekick.reading.result import band as reading_band
from sidekick.settings import Share
from sidekick.words import written_form

MissKind = Literal["substituted", "omitted", "assisted"]
MISS_KINDS: tuple[str, ...] = ("substituted", "omitted", "assisted")
#: A word the reading check was not sure of (``unclear``): stored and shown to the teacher
#: as "not sure", but no error, no challenge word, never practised.
UNCLEAR = "unclear"
Band = Literal["independent", "instructional", "frustration"]
#: The book id and title of a stand-in for a turn lost with a damaged database whose words
#: were recovered (see :mod:`sidekick.progress.salvage`). It counts no words: it is listed
#: but never scored.
RECOVERED_BOOK_ID = "(recovered)"
RECOVERED_BOOK_TITLE = "A recovered turn (its book and scores were lost)"


def band(accuracy: float) -> Band:
    """DIBELS accuracy band (the reading check's own rule)."""
    return cast(Band, reading_band(accuracy))


def grade_label(grade: int | None) -> str:
    """``0`` -> ``"K"``, ``3`` -> ``"3"``, ``None`` -> ``""``."""
    return "" if grade is None else ("K" if grade == 0 else str(grade))


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def to_utc_iso(value: datetime | date | str) -> str:
    """A time as stored: UTC ISO 8601 to the second. Naive datetimes and strings are UTC; a
    bare ``date`` means local midnight of that day."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"not an ISO 8601 time: {value!r}") from None
    if not isinstance(value, datetime):  # a date
        value = datetime.combine(value, time()).astimezone()
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat(timespec="seconds")


def shown_form(forms: Iterable[str]) -> str:
    """The one form to show for a word the book writes in several cases: lower case when the
    book has it so anywhere ("The" opening a sentence, "the" elsewhere -> "the"), else the
    book's own capitals ("Sam"). (Code-point order puts lower case after upper case.)"""
    return max(written_form(f) for f in forms)


@dataclass(frozen=True)
class Reader:
    """A child's profile."""

    id: int
    name: str
    grade: int | None = None  # 0 = kindergarten
    share: str = Share.TAKE_TURNS.value
    stall_s: float = 3.0
    created_at: str = ""

    @property
    def grade_label(self) -> str:
        return grade_label(self.grade)


@dataclass(frozen=True)
class MissedWord:
    """A word of a turn that was missed (substituted, omitted) or said for the child, or
    (kind ``unclear``, in :attr:`TurnRecord.unclear_words`) one the check was not sure of."""

    word: str
    kind: MissKind | Literal["unclear"]
    heard: str | None = None  # what the recognizer heard instead, for substitutions
    index: int | None = None  # position of the word on the page


@dataclass(frozen=True)
class TurnRecord:
    """One child turn's assessment. ``accuracy`` is a fraction (0-1); errors are
    substitutions + omissions + assisted words (DIBELS), as in :mod:`sidekick.reading.assess`.
    ``unclear_words``: the words the check was not sure of (no errors; counted in
    ``words_correct``, as the check gives them the benefit of the doubt).
    ``reader`` and ``id`` are filled in when a turn is read back from the store."""

    book_title: str
    book_id: str
    page: int
    words_total: int
    words_correct: int
    substituted: int = 0
    omitted: int = 0
    assisted: int = 0
    self_corrections: int = 0
    insertions: int = 0
    wcpm: float = 0.0
    accuracy: float = 0.0
    duration_s: float = 0.0
    challenge_words: tuple[MissedWord, ...] = ()
    started_at: str = field(default_factory=utc_now)
    reader: str = ""
    id: int | None = None
    unclear_words: tuple[MissedWord, ...] = ()

    @property
    def errors(self) -> int:
        return self.substituted + self.omitted + self.assisted

    @property
    def unclear(self) -> int:
        return len(self.unclear_words)

    @property
    def band(self) -> Band:
        return band(self.accuracy)

    @classmethod
    def from_assessment(
        cls,
        assessment: Any,
        *,
        book_title: str,
        book_id: str,
        page: int,
        started_at: datetime | str | None = None,
    ) -> TurnRecord:
        """Build a record from a :class:`sidekick.reading.result.Assessment`."""
        return cls.from_result(
            assessment.to_json(), book_title=book_title, book_id=book_id, page=page,
            started_at=started_at,
        )  # fmt: skip

    @classmethod
    def from_result(
        cls,
        result: dict[str, Any],
        *,
        book_title: str,
        book_id: str,
        page: int,
        started_at: datetime | str | None = None,
    ) -> TurnRecord:
        """Build a record from a reading check's JSON form (``sidekick assess --json``, or the
        session's ``reading_checked`` event): summary, per-word statuses, insertions."""
        summary, words = result["summary"], result["words"]
        count = {k: sum(w["status"] == k for w in words) for k in (*MISS_KINDS, "self_corrected")}
        return cls(
            book_title=book_title,
            book_id=book_id,
            page=page,
            words_total=len(words),
            words_correct=summary["words_correct"],
            substituted=count["substituted"],
            omitted=count["omitted"],
            assisted=count["assisted"],
            self_corrections=count["self_corrected"],
            insertions=len(result.get("insertions", ())),
            wcpm=summary["wcpm"],
            accuracy=summary["accuracy"],
            duration_s=summary["duration_s"],
            challenge_words=tuple(
                MissedWord(w["word"], w["status"], w.get("heard"), w["index"])
                for w in words
                if w["status"] in MISS_KINDS
            ),
            started_at=to_utc_iso(started_at) if started_at is not None else utc_now(),
            unclear_words=tuple(
                MissedWord(w["word"], UNCLEAR, w.get("heard"), w["index"])
                for w in words
                if w["status"] == UNCLEAR
            ),
        )


#: A word missed (substituted or omitted) is a challenge word, to practise, once the reader
#: has missed it on this many turns; a word said for them is one at once. One miss on one
#: page may be the recognizer not knowing the reader's voice (an accent, a name said their
#: way); a word missed again on another page is the reader's to practise.
MISSED_ON_TURNS = 2


def worth_practising(turns: int, assisted: int) -> bool:
    """Whether a word missed on ``turns`` turns (pages read), ``assisted`` times said for
    the reader, is one to practise (:data:`MISSED_ON_TURNS`)."""
    return assisted > 0 or turns >= MISSED_ON_TURNS


@dataclass(frozen=True)
class ChallengeWord:
    """A word a reader often misses or needs help with (see :data:`MISSED_ON_TURNS`)."""

    word: str
    missed: int  # substituted or omitted
    assisted: int
    last_seen: str  # UTC ISO time of the latest turn it was missed or assisted in
    practiced: int = 0  # practice-mode attempts
    practiced_correct: int = 0

    @property
    def count(self) -> int:
        return self.missed + self.assisted


@dataclass(frozen=True)
class BookProgress:
    book_id: str
    title: str
    pages_read: int  # distinct pages the child has read a turn on
    turns: int
    last_read: str  # UTC ISO


@dataclass(frozen=True)
class DayPoint:
    """One local calendar day of reading: pooled WCPM and accuracy of that day's turns."""

    date: str  # YYYY-MM-DD, local
    wcpm: float
    accuracy: float
    turns: int

    @property
    def band(self) -> Band:
        return band(self.accuracy)


@dataclass(frozen=True)
class ProgressSummary:
    """Everything a progress screen shows for one reader."""

    reader: Reader
    turns: int
    words_read: int
    words_correct: int
    reading_s: float
    pages_read: int  # distinct (book, page) pairs
    books: list[BookProgress]  # most recently read first
    days: list[DayPoint]  # oldest first
    band_counts: dict[str, int]  # turns per accuracy band
    #: Words the check was not sure of (counted in ``words_correct``: no errors).
    not_sure: int = 0

    @property
    def wcpm_trend(self) -> list[tuple[str, float]]:
        return [(d.date, d.wcpm) for d in self.days]

    @property
    def band_trend(self) -> list[tuple[str, Band]]:
        return [(d.date, d.band) for d in self.days]

    @property
    def accuracy(self) -> float:
        return self.words_correct / self.words_read if self.words_read else 0.0
