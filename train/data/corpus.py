"""The corpus format and its validation.

A corpus is a folder::

    metadata.csv        one utterance a line: ``id|text|style`` (UTF-8, no header)
    wavs/<id>.wav       mono audio, 22,050 Hz (other rates are resampled when read)
    durations/<id>.json optional: {"phoneme_ids": [...], "durations": [...]} with
                        durations in frames of 256 samples; they sum to len(audio) // 256

:func:`validate` checks every line and file and returns a :class:`ValidationReport`
(errors make an utterance unusable; warnings are fixed on load, e.g. resampling).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from train.config import HOP, SAMPLE_RATE

STYLE_RE = re.compile(r"^[a-z][a-z0-9_]*$")
ID_RE = re.compile(r"^[A-Za-z0-9_.-]+$")


class CorpusError(RuntimeError):
    """The corpus as a whole cannot be used (no metadata, nothing valid, ...)."""


@dataclass(frozen=True)
class Utterance:
    id: str
    text: str
    style: str


@dataclass(frozen=True)
class Issue:
    id: str  # utterance id, or "metadata.csv:<line>"
    kind: str  # missing_file, unreadable, empty_text, too_short, too_long, clipping, ...
    message: str
    error: bool = True  # False: a warning (fixed when the audio is read)


@dataclass
class Limits:
    min_s: float = 0.5
    max_s: float = 20.0
    clip_level: float = 0.999  # |sample| at or above this counts as clipped
    clip_fraction: float = 0.001  # more clipped samples than this fraction: an error


@dataclass
class ValidationReport:
    root: Path
    utterances: list[Utterance]
    issues: list[Issue] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def bad_ids(self) -> set[str]:
        return {i.id for i in self.issues if i.error}

    @property
    def valid(self) -> list[Utterance]:
        bad = self.bad_ids
        return [u for u in self.utterances if u.id not in bad]

    def counts(self) -> dict[str, int]:
        return dict(Counter(i.kind for i in self.issues))

    def hours(self) -> dict[str, float]:
        per: Counter[str] = Counter()
        for u in self.valid:
            per[u.style] += self.seconds.get(u.id, 0.0)
        return {s: round(v / 3600, 3) for s, v in sorted(per.items())}

    def to_dict(self) -> dict:
        return {
            "utterances": len(self.utterances),
            "valid": len(self.valid),
            "hours_by_style": self.hours(),
            "issue_counts": self.counts(),
            "issues": [i.__dict__ for i in self.issues],
        }

    def summary(self, max_lines: int = 20) -> str:
        """Human-readable summary: totals, then the issues (errors first)."""
        lines = [
            f"{self.root}: {len(self.utterances)} utterances, {len(self.valid)} usable, "
            + ", ".join(f"{s} {h:.2f} h" for s, h in self.hours().items())
        ]
        if not self.issues:
            lines.append("No problems found.")
            return "\n".join(lines)
        lines.append("Problems: " + ", ".join(f"{k} {n}" for k, n in sorted(self.counts().items())))
        ordered = sorted(self.issues, key=lambda i: (not i.error, i.kind, i.id))
        for issue in ordered[:max_lines]:
            tag = "error" if issue.error else "warning"
            lines.append(f"  {tag}: {issue.id}: {issue.message}")
        if len(ordered) > max_lines:
            lines.append(f"  ... and {len(ordered) - max_lines} more (see the JSON report)")
        return "\n".join(lines)


# -- reading and writing ----------------------------------------------------------------


def read_metadata(root: Path, issues: list[Issue] | None = None) -> list[Utterance]:
    """Parse ``metadata.csv``; malformed lines become issues (or raise without ``issues``)."""
    path = Path(root) / "metadata.csv"
    if not path.is_file():
        raise CorpusError(
            f"{path} is missing: a corpus needs metadata.csv with lines 'id|text|style' "
            "and the audio in wavs/<id>.wav."
        )
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{path} is not UTF-8 text: {exc}") from exc
    out: list[Utterance] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"metadata.csv:{number}"
        parts = line.split("|")
        problem = None
        if len(parts) != 3:
            problem = f"expected 'id|text|style' (3 fields), found {len(parts)}"
        elif not ID_RE.match(parts[0].strip()):
            problem = f"bad id {parts[0]!r} (letters, digits, '_', '-', '.' only)"
        elif not STYLE_RE.match(parts[2].strip()):
            problem = (
                f"bad style {parts[2]!r}: a lower-case name such as 'neutral' or "
                "'storytelling' (LJSpeech's third column, the normalized text, is not a style)"
            )
        elif parts[0].strip() in seen:
            problem = f"duplicate id {parts[0].strip()!r}"
        if problem:
            if issues is None:
                raise CorpusError(f"{where}: {problem}")
            issues.append(Issue(where, "bad_line", problem))
            continue
        uid = parts[0].strip()
        seen.add(uid)
        out.append(Utterance(uid, parts[1].strip(), parts[2].strip()))
    return out


def write_metadata(root: Path, utterances: list[Utterance]) -> None:
    text = "".join(f"{u.id}|{u.text}|{u.style}\n" for u in utterances)
    atomic_write_text(Path(root) / "metadata.csv", text)


def wav_path(root: Path, uid: str) -> Path:
    return Path(root) / "wavs" / f"{uid}.wav"


def durations_path(root: Path, uid: str) -> Path:
    return Path(root) / "durations" / f"{uid}.json"


def load_audio(path: Path) -> tuple[np.ndarray, list[str]]:
    """Mono float32 audio at 22,050 Hz, and what was done to get it there."""
    import soundfile as sf

    data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    notes: list[str] = []
    if data.shape[1] > 1:
        notes.append(f"{data.shape[1]} channels, mixed down to mono")
    audio = data.mean(axis=1)
    if rate != SAMPLE_RATE:
        import soxr

        notes.append(f"sample rate {rate} Hz, resampled to {SAMPLE_RATE} Hz")
        audio = soxr.resample(audio, rate, SAMPLE_RATE, quality="HQ").astype(np.float32)
    return np.ascontiguousarray(audio, dtype=np.float32), notes


def write_wav(path: Path, audio: np.ndarray, sr: int = SAMPLE_RATE) -> None:
    """16-bit PCM WAV, written to a temporary file first so a crash leaves no half file."""
    import soundfile as sf

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    sf.write(str(tmp), np.clip(audio, -1.0, 1.0), sr, subtype="PCM_16", format="WAV")
    os.replace(tmp, path)


def atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def write_json(path: Path, data: object) -> None:
    atomic_write_text(path, json.dumps(data, indent=1, ensure_ascii=False) + "\n")


def sha256(path: Path) -> str:
    """SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_durations(root: Path, uid: str) -> tuple[list[int], np.ndarray] | None:
    path = durations_path(root, uid)
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return list(data["phoneme_ids"]), np.asarray(data["durations"], dtype=np.int64)


def write_durations(
    root: Path, uid: str, phoneme_ids: list[int], durations: np.ndarray, phonemes: str = ""
) -> None:
    data = {
        "phoneme_ids": [int(i) for i in phoneme_ids],
        "durations": [int(d) for d in durations],
        "hop": HOP,
        "sample_rate": SAMPLE_RATE,
    }
    if phonemes:
        data["phonemes"] = phonemes
    atomic_write_text(durations_path(root, uid), json.dumps(data) + "\n")


# -- validation -------------------------------------------------------------------------


def check_utterance(root: Path, u: Utterance, limits: Limits) -> tuple[list[Issue], float]:
    """Issues of one utterance, and its length in seconds (0 if unreadable)."""
    issues: list[Issue] = []
    if not u.text:
        issues.append(Issue(u.id, "empty_text", "the text is empty"))
    path = wav_path(root, u.id)
    if not path.is_file():
        issues.append(Issue(u.id, "missing_file", f"{path.relative_to(root)} does not exist"))
        return issues, 0.0
    try:
        audio, notes = load_audio(path)
    except Exception as exc:  # soundfile raises LibsndfileError, RuntimeError, ...
        issues.append(Issue(u.id, "unreadable", f"cannot read {path.name}: {exc}"))
        return issues, 0.0
    for note in notes:
        kind = "resampled" if "rate" in note else "downmixed"
        issues.append(Issue(u.id, kind, note, error=False))
    seconds = len(audio) / SAMPLE_RATE
    if seconds < limits.min_s:
        issues.append(Issue(u.id, "too_short", f"{seconds:.2f} s (minimum {limits.min_s} s)"))
    elif seconds > limits.max_s:
        issues.append(Issue(u.id, "too_long", f"{seconds:.1f} s (maximum {limits.max_s} s)"))
    clipped = int(np.count_nonzero(np.abs(audio) >= limits.clip_level))
    if len(audio) and clipped / len(audio) > limits.clip_fraction:
        issues.append(
            Issue(u.id, "clipping", f"{clipped} samples ({clipped / len(audio):.2%}) at full scale")
        )
    elif clipped:
        issues.append(Issue(u.id, "clipping", f"{clipped} samples at full scale", error=False))
    dur = durations_path(root, u.id)
    if dur.is_file():
        try:
            got = read_durations(root, u.id)
            assert got is not None
            ids, frames = got
            if len(ids) != len(frames):
                problem = f"{len(ids)} phoneme ids but {len(frames)} durations"
            elif int(frames.sum()) != len(audio) // HOP:  # a last partial frame is dropped
                total = int(frames.sum()) * HOP
                problem = f"durations sum to {total} samples, the audio has {len(audio)}"
            else:
                problem = None
        except (ValueError, KeyError, TypeError, AssertionError) as exc:
            problem = f"unreadable durations file: {exc}"
        if problem:
            issues.append(Issue(u.id, "bad_durations", problem + " (durations ignored)", False))
    return issues, seconds


def validate(root: Path, limits: Limits | None = None, progress: bool = False) -> ValidationReport:
    """Check a corpus folder (raises :class:`CorpusError` without metadata or wavs/)."""
    root = Path(root)
    if not root.is_dir():
        raise CorpusError(f"{root} is not a folder.")
    limits = limits or Limits()
    issues: list[Issue] = []
    utterances = read_metadata(root, issues)
    report = ValidationReport(root, utterances, issues)
    if not (root / "wavs").is_dir():
        raise CorpusError(f"{root / 'wavs'} is missing: put the audio in wavs/<id>.wav.")
    from train.jobs import track

    items = track(utterances, "validate", enabled=progress)
    for u in items:
        found, seconds = check_utterance(root, u, limits)
        report.issues.extend(found)
        report.seconds[u.id] = seconds
    return report


def require_usable(report: ValidationReport) -> list[Utterance]:
    """The usable utterances, or a :class:`CorpusError` that shows the summary."""
    if not report.valid:
        raise CorpusError(f"No usable utterance in {report.root}.\n{report.summary()}")
    return report.valid
