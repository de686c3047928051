"""Natural English sentences from public-domain books, for the teacher corpus and its tests.

:data:`SOURCES` pins every book: where it is downloaded from (a fixed commit, so the bytes
never change), its SHA-256, title, author and licence. :func:`fetch` downloads the books (or
copies them from a folder the user filled by hand) and refuses any file whose checksum
differs. :func:`extract` turns the books into clean sentences: Project Gutenberg headers
and footers, chapter titles, all-capital lines, footnotes and illustration notes are
removed, paragraphs are split into sentences with the app's own Punkt splitter
(:func:`sidekick.words.sentences.sentence_spans`), and duplicates are dropped. Whole books
marked ``held_out`` never reach training: they are the held-out slice that
``sidekick-train evaluate`` reads. Nothing here is committed: the texts live in the folder
the user names.
"""

from __future__ import annotations

import json
import re
import shutil
import unicodedata
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from train.data.corpus import sha256

PUBLIC_DOMAIN = "public domain (author died over 80 years ago; Project Gutenberg text)"
_CLOCASTO = "https://raw.githubusercontent.com/clocasto/HaikuGenerator/936af28fdf47e9a50abf52183a04959df01daf17/"
_ARNICAS = "https://raw.githubusercontent.com/arnicas/NLP-in-Python/2833884bee6058e531a40e33ea3f73e3965b63ed/data/books/"


@dataclass(frozen=True)
class Source:
    """One public-domain book: a plain-text file pinned by URL and SHA-256."""

    key: str
    title: str
    author: str
    gutenberg: int | None  # Project Gutenberg ebook number, where known
    url: str
    sha256: str
    held_out: bool = False  # a whole book kept out of training (the held-out slice)
    licence: str = PUBLIC_DOMAIN

    @property
    def filename(self) -> str:
        return f"{self.key}.txt"


# fmt: off
SOURCES: tuple[Source, ...] = (
    Source("alice", "Alice's Adventures in Wonderland", "Lewis Carroll", 11,
           _CLOCASTO + "pg11.txt",
           "89a0ec3297622e5cadd32a68311c7d08a5948444274f21dd12d151672f2a0730"),
    Source("peter-pan", "Peter Pan", "J. M. Barrie", 16, _CLOCASTO + "pg16.txt",
           "8c05f64c65671afa71cc83322255dbae93ed96f80baa9158160abf420b9e87a0", held_out=True),
    Source("jungle-book", "The Jungle Book", "Rudyard Kipling", 236, _CLOCASTO + "pg236.txt",
           "c1e5c3c49f588f3050ea15f242fadfffbc1198b27bfb239ad52777cc57473160"),
    Source("sherlock", "The Adventures of Sherlock Holmes", "Arthur Conan Doyle", 1661,
           _CLOCASTO + "pg1661.txt",
           "67475446cbaa516d8cd21d5569438c2c5450f763b7d5d17173cd3089c0cfc02d", held_out=True),
    Source("pride", "Pride and Prejudice", "Jane Austen", 1342, _CLOCASTO + "pg1342.txt",
           "8e997d42a86479d91bd1da3015e51bf3902bc84c3074e6d5de64777b8ea5fa46"),
    Source("two-cities", "A Tale of Two Cities", "Charles Dickens", 98, _CLOCASTO + "pg98.txt",
           "5d1ba49aa66841d2ef97f50f6ff172052fb8de4c442335c03dcce5c44de30419"),
    Source("dorian-gray", "The Picture of Dorian Gray", "Oscar Wilde", 174,
           _CLOCASTO + "pg174.txt",
           "0b2e2444e0d6cb698528cf69c4e876cfddd307afea798706e27556d3f1f59011"),
    Source("dracula", "Dracula", "Bram Stoker", 345, _CLOCASTO + "pg345.txt",
           "e9a145c513b63acde80fbf65458431c22419b9302df21f43ff811d754699c3fe"),
    Source("moby-dick", "Moby Dick", "Herman Melville", 2701, _CLOCASTO + "pg2701.txt",
           "2975c3faf22ded4b19716486bdee4e24999f6ee9dc36c227ab624faaf154af14"),
    Source("andersen", "Andersen's Fairy Tales", "Hans Christian Andersen", 1597,
           _ARNICAS + "anderson.txt",
           "e6ac3c15feb6d89181d34cdb87b64d3d5a2c528b7933d5f0196de6548d6ca9af"),
    Source("grimm", "Grimm's Fairy Stories", "Jacob and Wilhelm Grimm", 11027,
           _ARNICAS + "grimms.txt",
           "f7cf4e79949cbd4e7c1f672b251abb748060fe030062bdd6c8fe2b2daf3437f8"),
    Source("irish-fairy", "The Irish Fairy Book", "Alfred Perceval Graves", None,
           _ARNICAS + "irishfairy.txt",
           "691d2a289c4249c5541bbe90c1ade9a77b06f923e733008ff08fc6909bde755c"),
    Source("mr-james", "Ghost Stories of an Antiquary", "M. R. James", 8486,
           _ARNICAS + "mrjames.txt",
           "4c1681956575c5eb22bf3a6475c713a657fd769ebc693365751e6a7c98b245f5"),
    Source("poe", "The Works of Edgar Allan Poe (Raven Edition)", "Edgar Allan Poe", 25525,
           _ARNICAS + "poe.txt",
           "bd1b6585fc46f4a8076f019fc849d750219b3340e5a21e56721b91902daa1c17"),
)
# fmt: on


class SourceError(RuntimeError):
    """A book could not be had, or its bytes are not the pinned ones."""


def fetch(
    out: Path, sources: Iterable[Source] = SOURCES, from_dir: Path | None = None
) -> list[Path]:
    """Every source in ``out/books/`` with its pinned checksum; files already there are kept.

    With ``from_dir`` the files are copied from there (named ``<key>.txt`` or by the last
    part of their URL) instead of downloaded, for machines without a network.
    """
    books = Path(out) / "books"
    books.mkdir(parents=True, exist_ok=True)
    paths = []
    for src in sources:
        dest = books / src.filename
        if not (dest.is_file() and sha256(dest) == src.sha256):
            part = dest.with_suffix(".part")
            if from_dir is not None:
                found = [Path(from_dir) / src.filename, Path(from_dir) / src.url.rsplit("/", 1)[1]]
                origin = next((p for p in found if p.is_file()), None)
                if origin is None:
                    raise SourceError(f"{src.title}: neither {found[0]} nor {found[1]} exists.")
                shutil.copyfile(origin, part)
            else:
                try:
                    with urllib.request.urlopen(src.url, timeout=60) as r, open(part, "wb") as f:
                        shutil.copyfileobj(r, f)
                except OSError as exc:
                    raise SourceError(
                        f"{src.title} could not be downloaded ({exc}). Without a network, "
                        "put the files in a folder and pass it with --from."
                    ) from exc
            digest = sha256(part)
            if digest != src.sha256:
                part.unlink()
                raise SourceError(
                    f"{src.title}: checksum {digest[:12]}... is not the pinned "
                    f"{src.sha256[:12]}...; the file is not the expected text."
                )
            part.replace(dest)
        paths.append(dest)
    return paths


# -- cleaning ---------------------------------------------------------------------------

_START = re.compile(r"^\*\*\*\s*START OF (THE|THIS) PROJECT GUTENBERG.*$", re.M | re.I)
_END = re.compile(
    r"^(\*\*\*\s*END OF (THE|THIS) PROJECT GUTENBERG|End of (the )?Project Gutenberg).*$",
    re.M | re.I,
)
_BRACKETED = re.compile(r"\[(Footnote|Illustration|Sidenote|Transcriber)[^\]]*\]", re.I | re.S)
_NOTE_MARK = re.compile(r"\[\d+\]|\{\d+\}")
_HEADING = re.compile(
    r"^(chapter|book|part|volume|stave|canto|section)\b|^[ivxlcdm]+\.?$|^\d+\.?$", re.I
)
_TRANSLATE = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2014": " - ",
     "\u2013": " - ", "\u2026": "...", "_": "", "\u00a0": " "}
)  # fmt: skip
_ALLOWED = re.compile(r"^[A-Za-z0-9 ,.;:!?'\"()\-]+$")


def strip_gutenberg(text: str) -> str:
    """The book's own text: the Project Gutenberg header and licence footer cut off."""
    start = _START.search(text)
    if start:
        text = text[start.end() :]
    end = _END.search(text)
    if end:
        text = text[: end.start()]
    return text


def paragraphs(text: str) -> Iterator[str]:
    """Paragraphs (blank-line separated) of running prose; headings and notes left out."""
    text = _BRACKETED.sub(" ", text.replace("\r\n", "\n"))
    for block in re.split(r"\n\s*\n", text):
        lines = [ln.strip() for ln in block.splitlines() if ln.strip()]
        if not lines:
            continue
        para = " ".join(lines)
        letters = [c for c in para if c.isalpha()]
        if not letters or sum(c.isupper() for c in letters) > 0.5 * len(letters):
            continue  # titles, contents, headings in capitals
        if _HEADING.match(para) or (len(lines) == 1 and para[-1] not in ".!?\"'"):
            continue  # "Chapter IV", "XII.", a one-line heading without a full stop
        if all(len(ln) < 50 for ln in lines) and len(lines) > 2:
            continue  # verse, tables of contents, lists
        yield _NOTE_MARK.sub("", para)


def clean_sentence(text: str) -> str | None:
    """A sentence fit to be read aloud, or None (odd symbols, too short, unbalanced quotes)."""
    text = unicodedata.normalize("NFKC", text).translate(_TRANSLATE)
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r" - ?-", " - ", text)
    text = text.replace("--", " - ")
    text = re.sub(r"\s+", " ", text).strip(" -")
    if not text or not _ALLOWED.match(text) or text.count('"') % 2:
        return None
    n_words = len(re.findall(r"[A-Za-z0-9']+", text))
    if n_words < 3 or n_words > 60 or text[-1] not in ".!?\"'":
        return None
    caps = re.findall(r"\b[A-Z]{2,}\b", text)
    if len(caps) > 1 or (caps and caps[0] not in {"OK", "II", "III", "IV"}):
        return None
    return text


def book_sentences(text: str) -> list[str]:
    """Clean sentences of one book, in order."""
    from sidekick.words.sentences import sentence_spans

    out = []
    for para in paragraphs(strip_gutenberg(text)):
        for a, b in sentence_spans(para):
            s = clean_sentence(para[a:b])
            if s:
                out.append(s)
    return out


def dedupe_key(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", text.lower()))


def extract(out: Path, sources: Iterable[Source] = SOURCES) -> dict:
    """``out/sentences.jsonl`` (text, source, split, index) from the fetched books.

    A sentence seen before (any book, case and punctuation ignored) is dropped, so no
    held-out sentence is also a training sentence. Returns counts per source.
    """
    seen: set[str] = set()
    counts: dict[str, dict] = {}
    rows = []
    for src in sources:
        raw = (Path(out) / "books" / src.filename).read_text(encoding="utf-8-sig", errors="replace")
        split = "held_out" if src.held_out else "train"
        kept = dupes = 0
        for i, s in enumerate(book_sentences(raw)):
            key = dedupe_key(s)
            if key in seen:
                dupes += 1
                continue
            seen.add(key)
            rows.append({"text": s, "source": src.key, "split": split, "index": i})
            kept += 1
        counts[src.key] = {
            "title": src.title, "author": src.author, "split": split,
            "sentences": kept, "duplicates_dropped": dupes, "sha256": src.sha256,
            "licence": src.licence, "gutenberg": src.gutenberg,
        }  # fmt: skip
    with open(Path(out) / "sentences.jsonl", "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    summary = {
        "sources": counts,
        "train_sentences": sum(c["sentences"] for c in counts.values() if c["split"] == "train"),
        "held_out_sentences": sum(
            c["sentences"] for c in counts.values() if c["split"] == "held_out"
        ),
    }
    (Path(out) / "sources.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    return summary


def read_sentences(out: Path, split: str | None = None) -> list[dict]:
    """Rows of ``out/sentences.jsonl`` (optionally one split only)."""
    path = Path(out) / "sentences.jsonl"
    if not path.is_file():
        raise SourceError(f"{path} is missing: run 'sidekick-train corpus fetch' first.")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return [r for r in rows if split is None or r["split"] == split]


def held_out_sample(out: Path, n: int, seed: int = 777) -> list[str]:
    """``n`` held-out sentences, spread evenly over the held-out books (fixed by ``seed``)."""
    import random

    rows = read_sentences(out, "held_out")
    by_source: dict[str, list[str]] = {}
    for r in rows:
        by_source.setdefault(r["source"], []).append(r["text"])
    rng = random.Random(seed)
    picked: list[str] = []
    keys = sorted(by_source)
    for j, key in enumerate(keys):
        share = n // len(keys) + (1 if j < n % len(keys) else 0)
        pool = by_source[key]
        picked += rng.sample(pool, min(share, len(pool)))
    return picked
