"""``sidekick read``: the same turn loop with no terminal UI, for scripted runs and demos."""

from __future__ import annotations

import json
import sys
from typing import TextIO

from sidekick.books.model import Book
from sidekick.progress.recorder import open_history
from sidekick.settings import Settings
from sidekick.turns import events as ev
from sidekick.turns.session import ReadingSession


def describe(event: ev.Event, book: Book) -> str | None:
    """A human-readable line for an event (None: not worth a line)."""
    match event:
        case ev.Notice(text=text):
            return f"note: {text}"
        case ev.SessionStart(title=title, engine=engine, voice=voice):
            return f"Reading '{title}' (listening: {engine}, voice: {voice})"
        case ev.TurnStart(reader=reader, page=page):
            who = "Child reads" if reader == "child" else "Sidekick reads"
            return f"\n{who} page {page} of {len(book.pages)}"
        case ev.WordRead(word=word, t=t):
            return f"  {t:6.2f}s  read   {word}"
        case ev.StuckWordHelped(word=word, t=t):
            return f"  {t:6.2f}s  helped {word}"
        case ev.SpeechWritten(path=path):
            return f"  speech -> {path}"
        case ev.ReadingChecked(summary=s, words=words):
            misses = [f"{w['word']} ({w['status']})" for w in words if w["status"] in
                      ("omitted", "substituted", "assisted")]  # fmt: skip
            return (f"  check: {s['words_correct']}/{len(words)} correct, accuracy "
                    f"{s['accuracy']:.0%} ({s['band']}), {s['wcpm']} WCPM"
                    + (f"; to practise: {', '.join(misses)}" if misses else ""))  # fmt: skip
        case ev.Praise(text=text):
            return f"  Sidekick: {text}"
        case ev.TurnEnd(reader="child", words_read=n, words_total=total, assisted=a):
            return f"  {n}/{total} words read, {a} helped"
        case ev.BookDone(title=title):
            return f"\nThe end of '{title}'."
    return None


def run_headless(
    book: Book, settings: Settings, *, as_json: bool, start_page: int = 1, out: TextIO = sys.stdout
) -> None:
    def on_event(event: ev.Event) -> None:
        if as_json:
            out.write(json.dumps(event.to_json()) + "\n")
        elif (line := describe(event, book)) is not None:
            out.write(line + "\n")
        out.flush()

    session = ReadingSession(
        book, settings, on_event, start_page=start_page, manual_fallback=False, history=open_history
    )
    session.run()
