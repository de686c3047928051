"""Natural training text: pinned sources, cleaning, the document split, coverage selection,
and the teacher corpus reading them. The book texts here are written for these tests."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from train.data import natural_text as nt

GUTENBERG_STYLE = """\
The Project Gutenberg eBook of A Test Book

This eBook is for the use of anyone anywhere at no cost.

*** START OF THE PROJECT GUTENBERG EBOOK A TEST BOOK ***

CHAPTER I.

THE LANTERN IN THE HILLS

The lantern swung from a hook above the door, and the wind made it creak all
night long.[1] "Who is there?" called Martha, lifting the latch. Nobody
answered her, so she went back to the fire and sat down again.

[Illustration: Martha at the door]

XII.

She counted the coins twice: there were 12 of them, and each was bright.
THE END OF EVERYTHING WAS NEAR, SAID THE OWL.
Tiny.

[Footnote 1: A note that must not be read aloud.]

*** END OF THE PROJECT GUTENBERG EBOOK A TEST BOOK ***

This file should be named test.txt. Project Gutenberg is a registered trademark.
"""


def test_gutenberg_text_is_cleaned_into_sentences() -> None:
    sentences = nt.book_sentences(GUTENBERG_STYLE)
    assert sentences == [
        "The lantern swung from a hook above the door, and the wind made it creak all night long.",
        '"Who is there?" called Martha, lifting the latch.',
        "Nobody answered her, so she went back to the fire and sat down again.",
        "She counted the coins twice: there were 12 of them, and each was bright.",
    ]
    joined = " ".join(sentences)
    for gone in ("Gutenberg", "CHAPTER", "LANTERN", "Illustration", "Footnote", "[1]", "Tiny"):
        assert gone not in joined


def test_clean_sentence_normalizes_quotes_and_refuses_odd_ones() -> None:
    assert nt.clean_sentence("\u201cCome _here_,\u201d she said\u2014softly.") == (
        '"Come here," she said - softly.'
    )
    assert nt.clean_sentence('"Unbalanced, she said.') is None
    assert nt.clean_sentence("Two words.") is None
    assert nt.clean_sentence("A line with \u00a7 a section sign in it.") is None


def _source(tmp: Path, key: str, text: str, held_out: bool = False) -> nt.Source:
    data = text.encode()
    (tmp / f"{key}.txt").write_bytes(data)
    return nt.Source(
        key, key.title(), "Test Author", None, f"https://example.invalid/{key}.txt",
        hashlib.sha256(data).hexdigest(), held_out=held_out,
    )  # fmt: skip


def test_fetch_checks_the_pinned_checksum(tmp_path: Path) -> None:
    src_dir = tmp_path / "src"
    src_dir.mkdir()
    good = _source(src_dir, "good", "One whole sentence stands here.\n")
    [path] = nt.fetch(tmp_path / "out", [good], from_dir=src_dir)
    assert path.read_bytes() == (src_dir / "good.txt").read_bytes()
    bad = nt.Source("good", "Good", "A", None, good.url, "0" * 64)
    (path).unlink()
    with pytest.raises(nt.SourceError, match="checksum"):
        nt.fetch(tmp_path / "out", [bad], from_dir=src_dir)
    assert not any((tmp_path / "out" / "books").iterdir()), "a refused file is not kept"
    with pytest.raises(nt.SourceError, match="exists"):
        nt.fetch(tmp_path / "out", [good], from_dir=tmp_path / "nowhere")


def test_whole_books_are_held_out_and_duplicates_dropped(tmp_path: Path) -> None:
    src_dir = tmp_path / "src"
    src_dir.mkdir()
    shared = "The river ran quickly under the old stone bridge."
    a = _source(src_dir, "train-book", f"{shared} A heron stood very still in the reeds.\n")
    b = _source(
        src_dir, "held-book", f"{shared} The baker sang while the bread rose.\n",
        held_out=True,
    )  # fmt: skip
    out = tmp_path / "out"
    nt.fetch(out, [a, b], from_dir=src_dir)
    summary = nt.extract(out, [a, b])
    train = [r["text"] for r in nt.read_sentences(out, "train")]
    held = [r["text"] for r in nt.read_sentences(out, "held_out")]
    assert train == [shared, "A heron stood very still in the reeds."]
    assert held == ["The baker sang while the bread rose."]
    assert summary["sources"]["held-book"]["duplicates_dropped"] == 1
    assert nt.held_out_sample(out, 5) == held
    assert all(s.sha256 and s.licence for s in nt.SOURCES)
    assert any(s.held_out for s in nt.SOURCES) and not all(s.held_out for s in nt.SOURCES)


def test_selection_prefers_coverage_and_uses_templates_only_for_it(monkeypatch) -> None:
    from sidekick.words.letter_to_sound import phonemize
    from train.data import sentence_selection
    from train.data.sentence_selection import coverage_report, describe, select, word_ranks

    # every unit is wanted once, so a sentence that repeats covered units gains nothing
    monkeypatch.setattr(sentence_selection, "TARGETS", dict.fromkeys(sentence_selection.TARGETS, 1))
    texts = [
        ("The cat sat on the mat.", "book"),
        ("The cat sat on the mat again.", "book"),
        ("Zebras rarely juggle vivid azure objects.", "book"),
        ('"Why?" asked the thoughtful young shepherd, pausing by the gate.', "book"),
        ("The cat sat on the mat.", "template"),
    ]
    ranks = word_ranks(t for t, _ in texts)
    pool = [describe(t, s, phonemize(t), ranks) for t, s in texts]
    two = select(pool, 2)
    assert {c.text for c in two} >= {texts[2][0]} or {c.text for c in two} >= {texts[3][0]}
    everything = select(pool, 10)
    # the template repeats what the books already cover: it is not chosen to fill
    assert "template" not in {c.source for c in everything}
    assert len(everything) == 4
    assert len(select(pool, 4, source_share=0.5)) == 3  # "book" capped at 2, template adds 1
    report = coverage_report(everything, pool)
    assert report["sentences"] == 4 and report["kinds"] == {"dialogue": 1}
    assert report["diphones_covered"] == report["diphones_in_pool"]
    assert report["phonemes"]["z"] > 0 and report["length_bands_words"]["6-10"] == 4


def test_teacher_corpus_reads_selected_sentences(tmp_path: Path) -> None:
    from train.config import TeacherConfig
    from train.data.corpus import CorpusError
    from train.data.teacher_corpus import make_plan

    selected = tmp_path / "selected.jsonl"
    rows = [{"text": f"Sentence number {i} is here.", "source": "alice"} for i in range(5)]
    selected.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    plans = make_plan(TeacherConfig(utterances=4, sentences=str(selected)))
    assert [p.text for p in plans] == [r["text"] for r in rows[:4]]
    assert {p.kind for p in plans} == {"alice"}
    with pytest.raises(CorpusError, match="5 texts"):
        make_plan(TeacherConfig(utterances=9, sentences=str(selected)))


def test_predicted_mos_ranks_speech_above_noise() -> None:
    from importlib.util import find_spec

    # it cannot be a pip extra (see train/evaluation/naturalness.py)
    if find_spec("distillmos") is None:
        pytest.skip("DistillMOS is not installed: pip install --no-deps distillmos xls-r-sqa")
    from sidekick.speaking.registry import load_voice
    from train.evaluation.naturalness import MosScorer

    scorer = MosScorer()
    voice = load_voice("standard")
    speech = np.concatenate([s.audio for s in voice.speak("The fox ran home before the rain.")])
    noise = np.random.default_rng(0).normal(0, 0.05, 22_050 * 2).astype(np.float32)
    assert scorer(speech, 22_050) > 3.5 > 2.0 > scorer(noise, 22_050)


def test_evaluation_sources_keep_books_natural_and_template_apart(tmp_path: Path) -> None:
    from sidekick.books.library import list_books
    from train.evaluation.evaluate import text_sources

    pages = [p.text for b in list_books()[0] if b.bundled for p in b.pages]
    sources = text_sources(["books", "template"], 3, 777, None)
    assert sources["books"] == pages and len(pages) >= 19  # every page, not a sample
    assert len(sources["template"]) == 3 and not set(sources["template"]) & set(pages)
    with pytest.raises(RuntimeError, match="--natural"):
        text_sources(["held_out"], 3, 777, None)


def test_corpus_select_records_its_settings(tmp_path: Path) -> None:
    from train.cli import main
    from train.config import SelectionConfig, from_dict

    src_dir = tmp_path / "src"
    src_dir.mkdir()
    book = _source(
        src_dir, "book", "The fox ran home. Was it raining? Yes, it was, said the old owl.\n"
    )
    held = _source(src_dir, "held", "The baker sang while the bread rose.\n", held_out=True)
    out = tmp_path / "out"
    nt.fetch(out, [book, held], from_dir=src_dir)
    nt.extract(out, [book, held])
    argv = ["corpus", "select", str(out), "--sentences", "4", "--templates", "3", "--seed", "5"]
    assert main(argv) == 0
    report = json.loads((out / "coverage.json").read_text(encoding="utf-8"))
    wanted = SelectionConfig(sentences=4, templates=3, seed=5)
    assert from_dict(SelectionConfig, report["settings"]) == wanted
    assert 0 < report["sentences"] == len((out / "selected.jsonl").read_text().splitlines()) <= 4
    with pytest.raises(ValueError, match="unknown setting 'sentence'"):
        from_dict(SelectionConfig, {"sentence": 4})
