"""One reader's progress at a glance (what the progress screen shows): books and pages read,
the per-day WCPM trend and accuracy bands, and totals."""

from __future__ import annotations

import sqlite3

from sidekick.progress.records import BookProgress, DayPoint, ProgressSummary, Reader, band


def progress_summary(conn: sqlite3.Connection, who: Reader) -> ProgressSummary:
    """``who``'s summary over the turns that were scored (a stand-in for a turn lost with a
    damaged database counts no words and is left out; its words still count among the
    challenge words)."""
    me = {"reader": who.id}
    turns, words, correct, secs, pages, not_sure = conn.execute(
        """SELECT COUNT(*), COALESCE(SUM(words_total), 0), COALESCE(SUM(words_correct), 0),
                  COALESCE(SUM(duration_s), 0),
                  (SELECT COUNT(*) FROM (SELECT DISTINCT book_id, page FROM turns
                    WHERE reader_id = :reader AND words_total > 0)),
                  (SELECT COUNT(*) FROM turn_words WHERE reader_id = :reader AND kind = 'unclear')
           FROM turns WHERE reader_id = :reader AND words_total > 0""",
        me,
    ).fetchone()
    books = [
        BookProgress(*r)
        for r in conn.execute(
            """SELECT book_id,
                      (SELECT b.book_title FROM turns b WHERE b.reader_id = t.reader_id
                        AND b.book_id = t.book_id ORDER BY b.started_at DESC LIMIT 1),
                      COUNT(DISTINCT page), COUNT(*), MAX(started_at)
               FROM turns t WHERE reader_id = :reader AND words_total > 0
               GROUP BY book_id ORDER BY MAX(started_at) DESC""",
            me,
        )
    ]
    days = []
    for day, wsum, dsum, wcpm_avg, tot, cor, n in conn.execute(
        """SELECT date(started_at, 'localtime') AS day, SUM(wcpm * duration_s),
                  SUM(duration_s), AVG(wcpm), SUM(words_total), SUM(words_correct), COUNT(*)
           FROM turns WHERE reader_id = :reader AND words_total > 0 GROUP BY day ORDER BY day""",
        me,
    ):
        # Pool the day's turns weighted by reading time (= words correct per minute over the
        # whole day's reading); plain mean if no durations were recorded.
        wcpm = wsum / dsum if dsum else wcpm_avg
        days.append(DayPoint(day, round(wcpm, 1), round(cor / tot if tot else 0.0, 4), n))
    band_counts = {"independent": 0, "instructional": 0, "frustration": 0}
    for accuracy, n in conn.execute(
        "SELECT accuracy, COUNT(*) FROM turns WHERE reader_id = :reader AND words_total > 0"
        " GROUP BY accuracy",
        me,
    ):
        band_counts[band(accuracy)] += n
    return ProgressSummary(
        who, turns, words, correct, secs, pages, books, days, band_counts, not_sure
    )
