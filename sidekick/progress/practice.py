"""Challenge words (the words a reader most often misses or needs help with: what practice
mode offers and the progress screen lists) and the practice attempts at them. Each function
works inside the caller's transaction."""

from __future__ import annotations

import sqlite3

from sidekick.progress.records import MISSED_ON_TURNS, ChallengeWord, utc_now
from sidekick.words import normalize_word


def challenge_words(conn: sqlite3.Connection, reader_id: int, limit: int) -> list[ChallengeWord]:
    """The words the reader most often missed or needed help with, most frequent first
    (ties: most recent first), each as the book writes it, with the reader's practice
    attempts at it. Words the check was not sure of are none of them; a word only missed,
    never said for the reader, is one once missed on :data:`MISSED_ON_TURNS` turns."""
    rows = conn.execute(
        """SELECT MAX(COALESCE(w.shown, w.word)),
                  SUM(w.kind != 'assisted'), SUM(w.kind = 'assisted'),
                  MAX(t.started_at),
                  (SELECT COUNT(*) FROM practice p
                    WHERE p.reader_id = w.reader_id AND p.word = w.word),
                  (SELECT COALESCE(SUM(p.correct), 0) FROM practice p
                    WHERE p.reader_id = w.reader_id AND p.word = w.word)
           FROM turn_words w JOIN turns t ON t.id = w.turn_id
           WHERE w.reader_id = ? AND w.kind != 'unclear'
           GROUP BY w.word
           HAVING COUNT(DISTINCT w.turn_id) >= ? OR SUM(w.kind = 'assisted') > 0
           ORDER BY COUNT(*) DESC, MAX(t.started_at) DESC, w.word
           LIMIT ?""",
        (reader_id, MISSED_ON_TURNS, int(limit)),
    ).fetchall()
    return [ChallengeWord(*r) for r in rows]


def practice_word(word: str) -> str:
    """The word of a practice attempt as stored; ValueError for one with no letters."""
    word = normalize_word(word)
    if not word:
        raise ValueError("empty practice word")
    return word


def record_attempt(conn: sqlite3.Connection, reader_id: int, word: str, correct: bool) -> None:
    """Store one practice-mode attempt at a word (as :func:`practice_word` gives it)."""
    conn.execute(
        "INSERT INTO practice (reader_id, word, correct, at) VALUES (?, ?, ?, ?)",
        (reader_id, word, int(bool(correct)), utc_now()),
    )
