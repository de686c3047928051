"""Readers, reading history and reports (no UI here).

* :class:`ProgressStore` - reader profiles and every child turn in a SQLite file.
* :func:`write_report` - CSV / JSON / HTML reports, one row per turn.
* :mod:`~sidekick.progress.records` - what the history is made of (readers, turns, words).
"""

from sidekick.progress.database import CorruptDatabaseError
from sidekick.progress.records import (
    BookProgress,
    ChallengeWord,
    DayPoint,
    MissedWord,
    ProgressSummary,
    Reader,
    TurnRecord,
    band,
)
from sidekick.progress.reports import write_report
from sidekick.progress.store import ProgressStore

__all__ = [
    "BookProgress",
    "ChallengeWord",
    "CorruptDatabaseError",
    "DayPoint",
    "MissedWord",
    "ProgressStore",
    "ProgressSummary",
    "Reader",
    "TurnRecord",
    "band",
    "write_report",
]
