"""Recognizer models: finding and installing the English Vosk model, and the page vocabulary
(the page's words and distractor words) both engines share. The engine is chosen by
:mod:`sidekick.listening.factory`."""

from __future__ import annotations

import errno
import hashlib
import http.client
import os
import re
import shutil
import socket
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

from sidekick.errors import ModelError
from sidekick.paths import models_dir
from sidekick.words import normalize_word

VOSK_MODEL_NAME = "vosk-model-small-en-us-0.15"
VOSK_MODEL_URL = f"https://alphacephei.com/vosk/models/{VOSK_MODEL_NAME}.zip"
VOSK_MODEL_SHA256 = "30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498"
VOSK_MODEL_ENV = "SIDEKICK_VOSK_MODEL"

# ---------------------------------------------------------------------------------------
# Page vocabulary
# ---------------------------------------------------------------------------------------

#: Common words of children's books. Both engines add the ones not on the page to the
#: page's language model as *distractors*: without them every sound is forced onto a page
#: word, so a misread ("box" for "fox") would be heard as the right word. Measured with the
#: Piper voice: with these, correct readings stay 100% correct and some misreads surface.
_COMMON_WORDS = """
    a an the and or but so if then to of in on at up down out off over under by for from
    with is am are was were be been do did does has have had go goes went get got come came
    see saw look said say says make made take took give gave put run ran sit sat eat ate like
    want play help find found know think tell told can could will would should may might must
    let ask jump walk talk sing i you he she it we they me him her us them my your his its our
    their this that these those here there what who when where why how not no yes all some any
    many much more most very too also just only big little small good bad new old red blue
    green yellow black white hot cold long short fast slow day night sun moon tree dog cat bird
    fish box bed boy girl man mom dad home house car ball book hat one two three four five six
    ten first last now again away back each every other"""
DISTRACTORS: tuple[str, ...] = tuple(_COMMON_WORDS.split())


def page_words(expected_words: Iterable[str]) -> list[str]:
    """The page's words normalized (:func:`sidekick.words.normalize_word`), in reading
    order (empty tokens dropped)."""
    return [w for w in (normalize_word(t) for t in expected_words) if w]


def unique(words: Iterable[str]) -> list[str]:
    """Words without repeats, first occurrence order."""
    return list(dict.fromkeys(words))


# ---------------------------------------------------------------------------------------
# Vosk model directories
# ---------------------------------------------------------------------------------------


def _first(root: Path, *candidates: str) -> Path | None:
    for rel in candidates:
        p = root / rel
        if p.is_file() and p.stat().st_size > 0:
            return p
    return None


def vosk_model_problem(path: Path) -> str | None:
    """None if ``path`` has the layout of a Vosk model, otherwise what is missing (one line).

    Accepts the current layout (am/, conf/, graph/) and the old flat one.
    """
    if not path.exists():
        return f"{path} does not exist"
    if not path.is_dir():
        return f"{path} is not a folder (unzip the model first)"
    missing = []
    if not _first(path, "am/final.mdl", "final.mdl"):
        missing.append("am/final.mdl")
    if not _first(path, "conf/mfcc.conf", "mfcc.conf"):
        missing.append("conf/mfcc.conf")
    static = _first(path, "graph/HCLG.fst", "HCLG.fst")
    dynamic = _first(path, "graph/HCLr.fst", "HCLr.fst") and _first(path, "graph/Gr.fst", "Gr.fst")
    if not (static or dynamic):
        missing.append("graph/HCLG.fst or graph/HCLr.fst + graph/Gr.fst")
    if missing:
        return f"{path} is not a complete Vosk model (missing {', '.join(missing)})"
    return None


def vosk_uses_grammar(path: Path) -> bool:
    """True for dynamic-graph models (HCLr.fst + Gr.fst), the only ones that take a grammar.

    Vosk prefers HCLG.fst when both kinds are present, so that decides it.
    """
    if _first(path, "graph/HCLG.fst", "HCLG.fst"):
        return False
    return bool(
        _first(path, "graph/HCLr.fst", "HCLr.fst") and _first(path, "graph/Gr.fst", "Gr.fst")
    )


def _looks_english(name: str) -> bool:
    tokens = re.split(r"[^a-z0-9]+", name.lower())
    return "en" in tokens or "english" in tokens


def _model_dirs_under(root: Path, depth: int = 2) -> list[Path]:
    """Vosk model folders at most ``depth`` levels under ``root`` (sorted, newest name last)."""
    found: list[Path] = []
    if depth <= 0 or not root.is_dir():
        return found
    try:
        children = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError:
        return found
    for child in children:
        if vosk_model_problem(child) is None:
            found.append(child)
        else:
            found.extend(_model_dirs_under(child, depth - 1))
    return found


def _english_model_in_data_dir() -> Path | None:
    models = [p for p in _model_dirs_under(models_dir()) if _looks_english(p.name)]
    small = [p for p in models if VOSK_MODEL_NAME in p.name]
    return (small or models or [None])[-1]


def _english_model_in_packages() -> Path | None:
    """A model folder shipped inside an installed distribution named like vosk-model-*en*."""
    for dist in metadata.distributions():
        name = dist.metadata.get("Name") or ""
        norm = re.sub(r"[-_.]+", "-", name.lower())
        if not norm.startswith("vosk-model") or not _looks_english(norm):
            continue
        for file in dist.files or ():
            parts = file.parts
            if len(parts) >= 3 and parts[-2] == "conf" and parts[-1] in ("model.conf", "mfcc.conf"):
                root = Path(str(dist.locate_file(file))).parent.parent
                if vosk_model_problem(root) is None:
                    return root
    return None


def find_vosk_model(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """Where the English Vosk model is, or None.

    Order: ``explicit`` (``--vosk-model PATH``), the ``SIDEKICK_VOSK_MODEL`` environment
    variable, the user's models folder (:func:`sidekick.paths.models_dir`), then installed
    Python packages that carry an English Vosk model. A path given explicitly or in the
    environment that is not a usable model raises ModelError rather than being skipped.
    """
    for given, origin in (
        (explicit, "--vosk-model"),
        (os.environ.get(VOSK_MODEL_ENV), VOSK_MODEL_ENV),
    ):
        if given:
            path = Path(given).expanduser()
            problem = vosk_model_problem(path)
            if problem:
                raise ModelError(f"Vosk model from {origin}: {problem}.")
            return path
    return _english_model_in_data_dir() or _english_model_in_packages()


# ---------------------------------------------------------------------------------------
# Installing the English model
# ---------------------------------------------------------------------------------------


def _manual_hint(dest: Path) -> str:
    return (
        f"download {VOSK_MODEL_NAME}.zip from https://alphacephei.com/vosk/models "
        f"and unzip it into {dest} (or pass --vosk-model PATH)"
    )


def _download(url: str, target: Path, timeout: float, progress: bool) -> str:
    """Stream ``url`` into ``target``; returns the SHA-256 of what was written."""
    digest = hashlib.sha256()
    with urllib.request.urlopen(url, timeout=timeout) as response, open(target, "wb") as out:
        total = int(response.headers.get("Content-Length") or 0) or None
        bar = None
        if progress:
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TimeRemainingColumn,
                TransferSpeedColumn,
            )

            bar = Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                transient=False,
            )
        task = bar.add_task(f"Downloading {VOSK_MODEL_NAME}", total=total) if bar else None
        try:
            if bar:
                bar.start()
            while block := response.read(1 << 16):
                out.write(block)
                digest.update(block)
                if bar is not None and task is not None:
                    bar.advance(task, len(block))
        finally:
            if bar:
                bar.stop()
    return digest.hexdigest()


def _safe_extract(archive: Path, into: Path) -> None:
    with zipfile.ZipFile(archive) as zf:
        root = into.resolve()
        for member in zf.namelist():
            if not (into / member).resolve().is_relative_to(root):
                raise ModelError(f"The model archive has an unsafe path: {member!r}")
        zf.extractall(into)


def install_vosk_model(
    progress: bool = True,
    *,
    url: str = VOSK_MODEL_URL,
    sha256: str = VOSK_MODEL_SHA256,
    dest: Path | None = None,
    timeout: float = 30.0,
) -> Path:
    """Download, verify (SHA-256) and unpack the small English Vosk model into ``dest``
    (default :func:`models_dir`); returns the model folder. An already installed model is
    returned as is. The model appears atomically: unpacked in a temporary folder, then renamed.
    """
    dest = Path(dest) if dest is not None else models_dir()
    final = dest / VOSK_MODEL_NAME
    if vosk_model_problem(final) is None:
        return final
    try:
        dest.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".install-", dir=dest))
    except OSError as exc:
        raise ModelError(
            f"Cannot write to the models folder {dest}: {exc.strerror or exc}."
        ) from exc
    try:
        archive = work / f"{VOSK_MODEL_NAME}.zip"
        try:
            got = _download(url, archive, timeout, progress)
        except urllib.error.HTTPError as exc:
            raise ModelError(
                f"Could not download the English Vosk model (HTTP {exc.code}); "
                f"{_manual_hint(dest)}."
            ) from exc
        except (
            urllib.error.URLError,
            http.client.HTTPException,
            TimeoutError,
            ConnectionError,
            socket.gaierror,
            socket.herror,
        ) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise ModelError(
                f"Could not download the English Vosk model (no network? {reason}); "
                f"{_manual_hint(dest)}."
            ) from exc
        if got != sha256.lower():
            raise ModelError(
                f"The downloaded model is damaged (SHA-256 {got[:12]}... expected "
                f"{sha256[:12]}...); try again, or {_manual_hint(dest)}."
            )
        unpacked = work / "unpacked"
        try:
            _safe_extract(archive, unpacked)
        except zipfile.BadZipFile as exc:
            raise ModelError(f"The downloaded model archive is not a valid zip ({exc}).") from exc
        archive.unlink()
        models = [unpacked] if vosk_model_problem(unpacked) is None else _model_dirs_under(unpacked)
        if not models:
            raise ModelError("The downloaded archive does not contain a Vosk model.")
        if final.exists():  # an incomplete earlier copy: replace it
            shutil.rmtree(final)
        os.replace(models[0], final)
        return final
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise ModelError(f"The disk is full: cannot save the model into {dest}.") from exc
        raise ModelError(f"Cannot install the model into {dest}: {exc.strerror or exc}.") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
