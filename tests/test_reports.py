"""Teacher reports: CSV, JSON and HTML, one row per turn."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

import pytest

from sidekick.errors import SidekickError
from sidekick.progress import MissedWord, ProgressStore, TurnRecord, write_report
from sidekick.progress.reports import COLUMNS, trend_svg

T0 = datetime(2025, 3, 3, 15, 0, tzinfo=timezone.utc)
EVIL = '<b>Zoë & "Bo"</b>'


@pytest.fixture
def store(tmp_path: Path):
    with ProgressStore(tmp_path / "progress.sqlite3") as s:
        s.add_reader("Ann", grade=1)
        s.add_reader(EVIL, grade=0)
        s.add_reader("Cy")  # no turns yet
        for day in range(3):
            s.record_turn(
                "Ann",
                TurnRecord(
                    book_title="Pip & the <Puddle>", book_id="pip", page=day + 1,
                    words_total=50, words_correct=45 + day, substituted=2, omitted=3 - day,
                    assisted=0, self_corrections=1, insertions=2, wcpm=40.0 + 5 * day,
                    accuracy=(45 + day) / 50, duration_s=60.0,
                    challenge_words=(MissedWord("puddle", "substituted", "paddle", 4),
                                     MissedWord("splash", "omitted", None, 9)),
                    started_at=(T0 + timedelta(days=day)).isoformat(),
                ),
            )  # fmt: skip
        s.record_turn(
            EVIL,
            TurnRecord("=HYPERLINK(\"http://x\")", "evil", 1, 10, 10, wcpm=30.0, accuracy=1.0,
                       duration_s=20.0, started_at=T0.isoformat()),
        )  # fmt: skip
        yield s


def test_csv_parses_back(store: ProgressStore):
    buf = io.StringIO()
    assert write_report(store, "csv", buf) == 4  # a class export: every reader's turns
    rows = list(csv.DictReader(io.StringIO(buf.getvalue())))
    assert tuple(rows[0].keys()) == COLUMNS
    assert [r["reader"] for r in rows] == [EVIL] + ["Ann"] * 3  # by name, then time
    first = rows[1]
    assert first["grade"] == "1" and first["book"] == "Pip & the <Puddle>"
    assert (first["words"], first["correct"], first["errors"]) == ("50", "45", "5")
    assert (first["substitutions"], first["omissions"], first["assisted"]) == ("2", "3", "0")
    assert (first["self_corrections"], first["insertions"]) == ("1", "2")
    assert (first["wcpm"], first["accuracy"], first["band"]) == ("40.0", "90.0", "instructional")
    assert first["duration_s"] == "60.0"
    assert first["missed_words"] == "puddle (read as paddle); splash (left out)"
    assert rows[0]["missed_words"] == ""
    assert first["date"] == T0.astimezone().strftime("%Y-%m-%d %H:%M")
    assert rows[0]["grade"] == "K" and rows[0]["band"] == "independent"
    # A title a spreadsheet would run as a formula is defused.
    assert rows[0]["book"] == '\'=HYPERLINK("http://x")'


def test_report_for_one_reader(store: ProgressStore):
    buf = io.StringIO()
    assert write_report(store, "csv", buf, reader="ann") == 3
    assert {r["reader"] for r in csv.DictReader(io.StringIO(buf.getvalue()))} == {"Ann"}
    with pytest.raises(SidekickError, match="No reader named 'Dee'"):
        write_report(store, "csv", io.StringIO(), reader="Dee")


def test_json_loads(store: ProgressStore):
    buf = io.StringIO()
    write_report(store, "json", buf, reader="ANN")
    doc = json.loads(buf.getvalue())
    assert doc["report"] == "sidekick-reading" and doc["version"] == 1
    assert doc["reader"] == "Ann" and doc["columns"] == list(COLUMNS)
    assert len(doc["turns"]) == 3
    assert doc["turns"][2]["wcpm"] == 50.0 and doc["turns"][2]["accuracy"] == 94.0
    assert set(doc["turns"][0]) == set(COLUMNS)


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def test_html_is_self_contained_and_escaped(store: ProgressStore):
    buf = io.StringIO()
    write_report(store, "html", buf)
    page = buf.getvalue()
    assert page.startswith("<!DOCTYPE html>")
    assert "&lt;b&gt;Zoë &amp; &quot;Bo&quot;&lt;/b&gt;" in page
    assert EVIL not in page and "<Puddle>" not in page
    assert "<svg" in page and page.count("<table>") == 2  # Cy has no turns yet
    assert "No turns recorded yet." in page
    low = page.lower()
    for bad in ("<script", "<link", "src=", "href=", "@import", "url("):
        assert bad not in low
    p = _Collect()
    p.feed(page)
    assert p.tags.count("section") == 3 and "polyline" in p.tags
    assert EVIL in "".join(p.text)  # the name reads correctly once unescaped
    for svg in re.findall(r"<svg.*?</svg>", page, flags=re.S):
        ET.fromstring(svg)  # well-formed
    assert "grade 1 spring median 60" in page  # reference line for a grade-1 reader


def test_trend_svg_shapes():
    assert trend_svg([]) == ""
    one = trend_svg([("2025-03-03", 42.0)])
    assert "<circle" in one and "<polyline" not in one
    ET.fromstring(one)
    many = trend_svg([("2025-03-01", 30.0), ("2025-03-02", 35.5), ("2025-03-09", 50.0)])
    (points,) = re.findall(r'<polyline points="([^"]+)"', many)
    xs = [float(p.split(",")[0]) for p in points.split()]
    ys = [float(p.split(",")[1]) for p in points.split()]
    assert xs == sorted(xs) and xs[1] - xs[0] < xs[2] - xs[1]  # spaced by date
    assert ys[0] > ys[1] > ys[2]  # higher WCPM is higher up


@pytest.mark.parametrize("fmt", ["csv", "json", "html"])
def test_write_to_a_path(store: ProgressStore, tmp_path: Path, fmt: str):
    out = tmp_path / f"class.{fmt}"
    out.write_text("old report")
    assert write_report(store, fmt, out) == 4
    text = out.read_text(encoding="utf-8-sig")
    if fmt == "csv":
        assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 names right
        assert len(list(csv.reader(io.StringIO(text)))) == 5
    elif fmt == "json":
        assert len(json.loads(text)["turns"]) == 4
    else:
        assert "</html>" in text
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_report_errors(store: ProgressStore, tmp_path: Path):
    with pytest.raises(SidekickError, match="Unknown report format 'pdf'"):
        write_report(store, "pdf", io.StringIO())
    with pytest.raises(
        SidekickError, match="Cannot write .*: the folder .* does not exist"
    ) as info:
        write_report(store, "csv", tmp_path / "missing-dir" / "x.csv")
    assert "\n" not in str(info.value)


def test_empty_store_reports(tmp_path: Path):
    with ProgressStore(tmp_path / "p.sqlite3") as s:
        buf = io.StringIO()
        assert write_report(s, "csv", buf) == 0
        assert buf.getvalue().strip() == ",".join(COLUMNS)
        buf = io.StringIO()
        write_report(s, "html", buf)
        assert "0 turn(s)" in buf.getvalue()
