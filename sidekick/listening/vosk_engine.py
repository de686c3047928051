"""The Vosk (Kaldi) recognizer: one model loaded once, one recognizer per page."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from sidekick.errors import ModelError
from sidekick.listening.base import SAMPLE_RATE, HeardWord, Hypothesis, Stretch
from sidekick.listening.models import (
    DISTRACTORS,
    page_words,
    unique,
    vosk_model_problem,
    vosk_uses_grammar,
)

UNK = "[unk]"


def _words(items: list[dict[str, Any]] | None) -> list[HeardWord]:
    out = []
    for item in items or ():
        word = str(item.get("word", "")).lower()
        if word:
            out.append(HeardWord(word, item.get("start"), item.get("end"), item.get("conf")))
    return out


@contextlib.contextmanager
def _captured_stderr() -> Iterator[list[str]]:
    """Send file descriptor 2 to a temporary file for the duration (Kaldi prints usage text
    and errors straight to stderr, which would garble a terminal UI); yields a list that
    receives the captured lines afterwards."""
    lines: list[str] = []
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real stderr: nothing to protect
        yield lines
        return
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield lines
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            text = tmp.read().decode("utf-8", "replace")
            lines.extend(line.strip() for line in text.splitlines() if line.strip())


def _kaldi_error(lines: list[str]) -> str:
    """The last ERROR line Kaldi printed, without its source location."""
    for line in reversed(lines):
        if line.startswith(("ERROR", "ASSERTION_FAILED")):
            text = line.split(") ", 1)[-1]
            text = "".join(c for c in text if c.isprintable() and c != "\ufffd")
            return text if len(text) <= 160 else text[:157] + "..."
    return ""


class VoskListener:
    """Streams 16 kHz int16 PCM into Vosk, restricted to the page's words when it can be.

    The grammar of a page is: the page's words in reading order (so Vosk's bigram model
    expects the text as written), each page word on its own (skips and re-reads stay
    possible), common :data:`DISTRACTORS` not on the page, and ``[unk]`` — all filtered to
    the model's vocabulary. Page words the model does not know are listed in
    :attr:`unknown_words` after :meth:`start` (they cannot be heard; the caller decides how
    to score them). Static-graph models (HCLG.fst) cannot take a grammar:
    :attr:`uses_grammar` is False and recognition is free.
    """

    def __init__(self, model_path: str | Path, distractors: bool = True) -> None:
        self.model_path = Path(model_path)
        problem = vosk_model_problem(self.model_path)
        if problem:
            raise ModelError(f"Vosk model: {problem}.")
        try:
            import vosk
        except (ImportError, OSError) as exc:
            raise ModelError(f"The vosk package cannot be loaded: {exc}.") from exc
        vosk.SetLogLevel(-2)  # keep Kaldi's logs off the terminal
        self._vosk = vosk
        with _captured_stderr() as lines:
            try:
                self.model = vosk.Model(str(self.model_path))
                failure = None
            except Exception as exc:  # vosk raises a bare Exception("Failed to create a model")
                failure = exc
        if failure is not None:
            detail = _kaldi_error(lines) or "damaged or incompatible files?"
            raise ModelError(
                f"Vosk could not load the model in {self.model_path} ({detail}): "
                "reinstall it with `sidekick models install`."
            ) from failure
        self.uses_grammar = vosk_uses_grammar(self.model_path)
        self.distractors = distractors
        self.name = f"Vosk ({self.model_path.name})"
        self.grammar: list[str] | None = None
        self.unknown_words: frozenset[str] = frozenset()
        self._rec: Any = None
        self._done: list[HeardWord] = []
        self._odd = b""

    def knows(self, word: str) -> bool:
        """True if the model's vocabulary has this word."""
        return self.model.vosk_model_find_word(word) >= 0

    def build_grammar(
        self, expected_words: list[str], misreadings: Mapping[str, Sequence[str]] | None = None
    ) -> tuple[list[str], frozenset[str]]:
        """The grammar phrases for a page and the page words the model cannot recognize."""
        words = page_words(expected_words)
        known = {w: self.knows(w) for w in unique(words)}
        phrases: list[str] = []
        run: list[str] = []
        for w in [*words, ""]:  # the page in order, split where a word is unknown
            if w and known[w]:
                run.append(w)
            elif run:
                phrases.append(" ".join(run))
                run = []
        phrases += [w for w, ok in known.items() if ok]
        if self.distractors:
            extra = [d for ds in (misreadings or {}).values() for d in ds]
            likely = [*page_words(extra), *DISTRACTORS]
            phrases += [w for w in likely if w not in known and self.knows(w)]
        if phrases and self.knows(UNK):
            phrases.append(UNK)
        return unique(phrases), frozenset(w for w, ok in known.items() if not ok)

    def start(
        self, expected_words: list[str], misreadings: Mapping[str, Sequence[str]] | None = None
    ) -> None:
        """Begin an utterance for a page (a fresh recognizer each time)."""
        vosk = self._vosk
        self.grammar, self.unknown_words = None, frozenset()
        if self.uses_grammar:
            phrases, self.unknown_words = self.build_grammar(expected_words, misreadings)
            self.grammar = phrases or None
        if self.grammar:
            grammar = json.dumps(self.grammar, ensure_ascii=False)
            self._rec = vosk.KaldiRecognizer(self.model, SAMPLE_RATE, grammar)
        else:
            self._rec = vosk.KaldiRecognizer(self.model, SAMPLE_RATE)
        self._rec.SetWords(True)
        self._rec.SetPartialWords(True)
        self._done = []
        self._odd = b""

    def _require(self) -> Any:
        if self._rec is None:
            raise RuntimeError("VoskListener: call start() before accept()/finish()")
        return self._rec

    def accept(self, pcm: bytes) -> Hypothesis:
        """Feed PCM of any length; returns the words so far (final segments + partial)."""
        rec = self._require()
        data = self._odd + bytes(pcm)
        cut = len(data) - len(data) % 2
        data, self._odd = data[:cut], data[cut:]
        partial: list[HeardWord] = []
        if data:
            if rec.AcceptWaveform(data):
                self._done += _words(json.loads(rec.Result()).get("result"))
            else:
                partial = _words(json.loads(rec.PartialResult()).get("partial_result"))
        return Hypothesis(tuple(self._done + partial), final=False)

    def finish(self) -> Hypothesis:
        """End the utterance; all words with start/end times (s) and confidences."""
        rec = self._require()
        self._done += _words(json.loads(rec.FinalResult()).get("result"))
        self._rec = None
        return Hypothesis(tuple(self._done), final=True)

    def quiet(self) -> bool:
        """Unknown: this listener does not measure the recording's noise."""
        return False

    def new_reader(self) -> None:
        """Nothing to forget: this listener does not adapt to a reader."""

    def second_look(self, stretch: Stretch) -> bool:
        """Re-recognize this audio with a grammar of only the written word, the heard one,
        the neighbouring words and ``[unk]``; True if the written word comes out."""
        written, heard = stretch.written, stretch.heard
        if not self.uses_grammar or not self.knows(written):
            return True  # cannot check: give the reader the benefit of the doubt
        options = [written] + ([heard] if heard and heard != written and self.knows(heard) else [])
        neighbours = (stretch.before, stretch.after)
        options += [w for w in neighbours if w and w not in options and self.knows(w)]
        if self.knows(UNK):
            options.append(UNK)
        rec = self._vosk.KaldiRecognizer(self.model, SAMPLE_RATE, json.dumps(options))
        rec.AcceptWaveform(stretch.even_pcm())
        said = json.loads(rec.FinalResult()).get("text", "").split()
        return written in said
