"""Readers, reading history, reports and reading levels (no UI here).

* :class:`ProgressStore` - reader profiles and every child turn in a SQLite file.
* :func:`write_report` - CSV / JSON / HTML reports, one row per turn.
* :func:`estimate_level` - a reading-level estimate for a book's text.
"""

from sidekick.progress.levels import LevelEstimate, estimate_level
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
from sidekick.progress.store import CorruptDatabaseError, ProgressStore

__all__ = [
    "BookProgress",
    "ChallengeWord",
    "CorruptDatabaseError",
    "DayPoint",
    "LevelEstimate",
    "MissedWord",
    "ProgressStore",
    "ProgressSummary",
    "Reader",
    "TurnRecord",
    "band",
    "estimate_level",
    "write_report",
]
