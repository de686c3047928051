"""Reports for teachers and parents: one row per child turn, as CSV, JSON or HTML.

Columns (all formats): reader, grade ("K", "1".."12" or empty), date (local
``YYYY-MM-DD HH:MM``), book, page, words, correct, errors (substitutions + omissions +
assisted), substitutions, omissions, assisted, self_corrections, insertions, wcpm, accuracy
(a percentage, 0-100), band (DIBELS: independent / instructional / frustration), duration_s.
A turn that counts no words (a stand-in for a turn lost with a damaged database, whose missed
words were recovered) has no wcpm, accuracy or band: it is listed with its missed words, and
left out of the summaries.

* CSV: a header row then one row per turn. Text cells that a spreadsheet would run as a
  formula get a leading ``'``: those starting with ``= + - @``, a tab or a carriage return,
  also after leading spaces or invisible characters, and in full-width forms (``＝``).
  Files are written as UTF-8 with a byte-order mark so that Excel shows names with accents
  correctly.
* JSON: ``{"report": "sidekick-reading", "version": 1, "generated_at", "reader",
  "columns", "turns": [{column: value}, ...]}``.
* HTML: one self-contained page (inline CSS, no JavaScript, no external assets): per reader a
  summary line, an inline SVG of the daily WCPM trend and the table of turns.

A report written to a path replaces the file atomically (a temp file renamed over it), so a
crash never leaves half a report; only a regular file or a new one in an existing folder is
written (never a device such as ``/dev/full``).
"""

from __future__ import annotations

import csv
import html
import io
import json
import unicodedata
from collections.abc import Sequence
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, TextIO

from sidekick.atomic_file import write_atomically
from sidekick.errors import SidekickError
from sidekick.paths import check_output_file
from sidekick.progress.records import band, grade_label
from sidekick.progress.store import ProgressStore

Format = Literal["csv", "json", "html"]
FORMATS: tuple[str, ...] = ("csv", "json", "html")
COLUMNS: tuple[str, ...] = (
    "reader", "grade", "date", "book", "page", "words", "correct", "errors", "substitutions",
    "omissions", "assisted", "self_corrections", "insertions", "wcpm", "accuracy", "band",
    "duration_s", "missed_words", "not_sure",
)  # fmt: skip
#: How each kind of miss reads in the ``missed_words`` column (``unclear``: a word the check
#: was not sure of, no error; counted in ``not_sure`` and in ``correct``).
MISS_WORDS = {"substituted": "read as {heard}", "omitted": "left out", "assisted": "helped",
              "unclear": "not sure"}  # fmt: skip
#: Hasbrouck & Tindal (2017) spring median WCPM, drawn as a reference line on the trend.
SPRING_MEDIAN_WCPM = {1: 60, 2: 100, 3: 112}

Row = dict[str, Any]


@lru_cache(maxsize=65536)
def _local_time(utc_iso: str) -> str:
    """UTC ISO text -> local 'YYYY-MM-DD HH:MM'."""
    t = datetime.fromisoformat(utc_iso)
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    return t.astimezone().strftime("%Y-%m-%d %H:%M")


def describe_missed(missed: Sequence[tuple[str, str, str | None]]) -> str:
    """A turn's missed words for a person: ``kite (read as kit); pond (left out)``."""
    parts = []
    for word, kind, heard in missed:
        how = MISS_WORDS.get(kind, kind)
        if kind == "substituted":
            how = how.format(heard=heard) if heard else "misread"
        parts.append(f"{word} ({how})")
    return "; ".join(parts)


def report_rows(store: ProgressStore, reader: str | None = None) -> list[Row]:
    """The report rows (dicts keyed by :data:`COLUMNS`), by reader then time."""
    rows = []
    for (name, grade, started, book, page, total, correct, sub, omi, ass, selfc, ins, wcpm,
         acc, dur, missed) in store.report_rows(reader):  # fmt: skip
        scored = total > 0
        rows.append(
            {
                "reader": name,
                "grade": grade_label(grade),
                "date": _local_time(started),
                "book": book,
                "page": page,
                "words": total,
                "correct": correct,
                "errors": sub + omi + ass,
                "substitutions": sub,
                "omissions": omi,
                "assisted": ass,
                "self_corrections": selfc,
                "insertions": ins,
                "wcpm": round(wcpm, 1) if scored else None,
                "accuracy": round(acc * 100, 1) if scored else None,
                "band": band(acc) if scored else "not scored",
                "duration_s": round(dur, 1),
                "missed_words": describe_missed(missed),
                "not_sure": sum(kind == "unclear" for _, kind, _ in missed),
            }
        )
    return rows


def write_report(
    store: ProgressStore,
    fmt: Format | str,
    out: TextIO | Path | str,
    reader: str | None = None,
) -> int:
    """Write a report of ``reader``'s turns (everyone's when ``None``: a class export) to a
    text stream or a file path. Returns the number of turns written."""
    fmt = str(fmt).lower()
    if fmt not in FORMATS:
        raise SidekickError(f"Unknown report format {fmt!r}; choose csv, json or html.")
    rows = report_rows(store, reader)
    if isinstance(out, (str, Path)):
        _write_file(check_output_file(out), fmt, lambda f: _RENDER[fmt](f, rows, store, reader))
    else:
        _RENDER[fmt](out, rows, store, reader)
    return len(rows)


def _write_file(path: Path, fmt: str, render: Any) -> None:
    encoding = "utf-8-sig" if fmt == "csv" else "utf-8"
    try:
        write_atomically(path, render, encoding=encoding, newline="")
    except OSError as e:
        reason = "the disk is full" if e.errno == 28 else (e.strerror or str(e))
        raise SidekickError(f"Cannot write the report to {path}: {reason}.") from None


# --------------------------------------------------------------------------- CSV / JSON


_FORMULA_START = frozenset("=+-@\t\r")


def _cell(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula, defused with a leading ``'``."""
    if not isinstance(value, str):
        return value
    head = next((c for c in value if not (c.isspace() or unicodedata.category(c) in
                                          ("Cf", "Cc", "Zs"))), "")  # fmt: skip
    if value[:1] in _FORMULA_START or unicodedata.normalize("NFKC", head)[:1] in _FORMULA_START:
        return "'" + value
    return value


def _csv(out: TextIO, rows: list[Row], store: ProgressStore, reader: str | None) -> None:
    w = csv.writer(out)
    w.writerow(COLUMNS)
    w.writerows([_cell(r[c]) for c in COLUMNS] for r in rows)


def _json(out: TextIO, rows: list[Row], store: ProgressStore, reader: str | None) -> None:
    doc = {
        "report": "sidekick-reading",
        "version": 1,
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "reader": store.get_reader(reader).name if reader is not None else None,
        "columns": list(COLUMNS),
        "turns": rows,
    }
    json.dump(doc, out, ensure_ascii=False, indent=1)
    out.write("\n")


# --------------------------------------------------------------------------- HTML

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:72rem;
 padding:0 1rem;color:#1d2433;background:#fff}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{margin-top:2.5rem;border-bottom:2px solid #e4e7ee}
h2 small{font-weight:normal;color:#5b6478;font-size:1rem}
.meta,.summary{color:#5b6478}
table{border-collapse:collapse;width:100%;font-size:.9rem;margin-top:.8rem}
th,td{padding:.3rem .5rem;border-bottom:1px solid #e4e7ee;text-align:right}
th{background:#f4f6fa;position:sticky;top:0}
td.t,th.t{text-align:left}
tr:nth-child(even) td{background:#fafbfd}
.independent{color:#1b7a3a}.instructional{color:#9a6700}.frustration{color:#b42318}
svg{display:block;margin-top:.8rem;max-width:100%;height:auto}
@media print{th{position:static}}
"""
_TEXT_COLS = {"reader", "grade", "date", "book", "band", "missed_words"}


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _daily_wcpm(rows: Sequence[Row]) -> list[tuple[str, float]]:
    """Per local day, WCPM pooled over the day's reading time."""
    days: dict[str, list[float]] = {}
    for r in rows:
        if r["wcpm"] is None:
            continue
        d = days.setdefault(r["date"][:10], [0.0, 0.0, 0.0, 0.0])
        d[0] += r["wcpm"] * r["duration_s"]
        d[1] += r["duration_s"]
        d[2] += r["wcpm"]
        d[3] += 1
    return [(k, round(v[0] / v[1] if v[1] else v[2] / v[3], 1)) for k, v in sorted(days.items())]


def trend_svg(
    points: Sequence[tuple[str, float]],
    *,
    reference: tuple[str, float] | None = None,
    width: int = 640,
    height: int = 180,
) -> str:
    """An inline SVG line chart of (YYYY-MM-DD, WCPM) points, x spaced by date."""
    if not points:
        return ""
    left, right, top, bottom = 44, 12, 12, 28
    pw, ph = width - left - right, height - top - bottom
    days = [date.fromisoformat(d).toordinal() for d, _ in points]
    d0, span = days[0], max(days[-1] - days[0], 1)
    peak = max([v for _, v in points] + [reference[1] if reference else 0.0, 10.0])
    ymax = float(int(peak * 1.15 / 10 + 1) * 10)

    def xy(day: int, v: float) -> tuple[float, float]:
        x = left + (pw / 2 if len(points) == 1 else (day - d0) / span * pw)
        return round(x, 1), round(top + ph - v / ymax * ph, 1)

    label = f"Words correct per minute by day, {points[0][0]} to {points[-1][0]}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{_e(label)}">',
        f"<title>{_e(label)}</title>",
        f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="#fafbfd" stroke="#e4e7ee"/>',
    ]
    for i in range(5):
        v = ymax * i / 4
        _, y = xy(d0, v)
        parts.append(f'<line x1="{left}" y1="{y}" x2="{left + pw}" y2="{y}" stroke="#e4e7ee"/>')
        parts.append(
            f'<text x="{left - 6}" y="{y + 4}" font-size="11" text-anchor="end" '
            f'fill="#5b6478">{v:g}</text>'
        )
    if reference:
        _, y = xy(d0, reference[1])
        parts.append(
            f'<line x1="{left}" y1="{y}" x2="{left + pw}" y2="{y}" stroke="#9a6700" '
            'stroke-dasharray="5 4"/>'
            f'<text x="{left + pw - 4}" y="{y - 5}" font-size="11" text-anchor="end" '
            f'fill="#9a6700">{_e(reference[0])}</text>'
        )
    coords = [xy(d, v) for d, (_, v) in zip(days, points, strict=True)]
    if len(coords) > 1:
        pts = " ".join(f"{x},{y}" for x, y in coords)
        parts.append(f'<polyline points="{pts}" fill="none" stroke="#2f5bd3" stroke-width="2"/>')
    for (x, y), (day, v) in zip(coords, points, strict=True):
        parts.append(
            f'<circle cx="{x}" cy="{y}" r="3" fill="#2f5bd3"><title>{_e(day)}: {v:g} WCPM'
            "</title></circle>"
        )
    if len(coords) == 1:
        ticks = [(coords[0][0], points[0][0], "middle")]
    else:
        ticks = [(coords[0][0], points[0][0], "start"), (coords[-1][0], points[-1][0], "end")]
    for x, day, anchor in ticks:
        parts.append(
            f'<text x="{x}" y="{height - 8}" font-size="11" text-anchor="{anchor}" '
            f'fill="#5b6478">{_e(day)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _html(out: TextIO, rows: list[Row], store: ProgressStore, reader: str | None) -> None:
    readers = [store.get_reader(reader)] if reader is not None else store.list_readers()
    by_reader: dict[str, list[Row]] = {r.name: [] for r in readers}
    for row in rows:
        by_reader.setdefault(row["reader"], []).append(row)
    title = f"Reading report: {readers[0].name}" if reader is not None else "Class reading report"
    generated = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M")
    buf = io.StringIO()
    w = buf.write
    w('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n')
    w('<meta name="viewport" content="width=device-width, initial-scale=1">\n')
    w(f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n")
    w(f"<h1>{_e(title)}</h1>\n")
    w(
        f'<p class="meta">Sidekick · made {_e(generated)} · {len(by_reader)} reader(s) · '
        f"{len(rows)} turn(s). Accuracy bands: independent ≥ 95 %, instructional 90–94 %, "
        "frustration &lt; 90 %. Errors are substitutions, omissions and words Sidekick said "
        "for the reader. A word marked “not sure” was one the check could not hear well "
        "enough to judge: it is no error and counts as read.</p>\n"
    )
    header = "".join(
        f'<th{" class=t" if c in _TEXT_COLS else ""} scope="col">{_e(c.replace("_", " "))}</th>'
        for c in COLUMNS
        if c != "reader"
    )
    for reader_obj in readers:
        mine = by_reader.get(reader_obj.name, [])
        grade = reader_obj.grade_label
        w(f"<section>\n<h2>{_e(reader_obj.name)}")
        if grade:
            w(f" <small>grade {_e(grade)}</small>")
        w("</h2>\n")
        if not mine:
            w('<p class="summary">No turns recorded yet.</p>\n</section>\n')
            continue
        scored = [r for r in mine if r["wcpm"] is not None]
        words = sum(r["words"] for r in scored)
        correct = sum(r["correct"] for r in scored)
        acc = correct / words if words else 0.0
        books = {r["book"] for r in scored}
        pages = {(r["book"], r["page"]) for r in scored}
        trend = _daily_wcpm(scored)
        latest = f"{trend[-1][1]:g}" if trend else "none"
        w(
            f'<p class="summary">{len(mine)} turn(s) · {len(books)} book(s) · {len(pages)} '
            f"page(s) · {words} words · latest WCPM {latest} · accuracy "
            f'{acc * 100:.1f} % (<span class="{band(acc)}">{band(acc)}</span>)</p>\n'
        )
        ref = None
        if reader_obj.grade in SPRING_MEDIAN_WCPM:
            g = reader_obj.grade
            ref = (f"grade {g} spring median {SPRING_MEDIAN_WCPM[g]}", SPRING_MEDIAN_WCPM[g])
        w(trend_svg(trend, reference=ref))
        w(f"\n<table>\n<thead><tr>{header}</tr></thead>\n<tbody>\n")
        for r in mine:
            cells = []
            for c in COLUMNS[1:]:
                v = "" if r[c] is None else r[c]
                if c == "band":
                    cells.append(f'<td class="t {v}">{_e(v)}</td>')
                elif c in _TEXT_COLS:
                    cells.append(f'<td class="t">{_e(v)}</td>')
                else:
                    cells.append(f"<td>{_e(v)}</td>")
            w(f"<tr>{''.join(cells)}</tr>\n")
        w("</tbody>\n</table>\n</section>\n")
    w("</body>\n</html>\n")
    out.write(buf.getvalue())


_RENDER = {"csv": _csv, "json": _json, "html": _html}
