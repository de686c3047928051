"""Synthetic readers beyond Piper and flite: espeak-ng (its English accents and, through
MBROLA, diphone voices and English with other first-language accents) and festival.

Every backend has the interface of ``generate.PiperBackend``: ``name``, ``sr``, ``family``
and ``synth(tokens, puncts, rate) -> (audio float32, [(start, end) seconds per token])``.
Word times come from the synthesizer itself:

* espeak-ng (``libespeak-ng``, through ctypes): a word starts at its first phoneme event
  (the one that carries the word's text position) and ends where the next begins, or at a
  pause espeak inserts, with trailing silence trimmed by energy;
* festival: the ``Word`` relation's first segment start and ``word_end``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import soundfile as sf

# espeak-ng's C API (speak_lib.h)
_SYNCHRONOUS = 2
_INIT_PHONEME_EVENTS = 0x0001
_CHARS_UTF8 = 1
_EV_PHONEME, _EV_LIST_END = 7, 0
_RATE = 1
_DEFAULT_WPM = 175  # espeak-ng's own default speed
READING_WPM = 150  # reading a story aloud is slower than speaking


class _EspeakEvent(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_char * 8),
    ]


_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_EspeakEvent)
)


class _Espeak:
    """One process-wide espeak-ng engine (the library keeps global state)."""

    lock = threading.Lock()

    def __init__(self) -> None:
        path = ctypes.util.find_library("espeak-ng") or "libespeak-ng.so.1"
        try:
            self.lib = ctypes.CDLL(path)
        except OSError as e:
            raise RuntimeError("espeak-ng is not installed (apt-get install espeak-ng)") from e
        self.lib.espeak_Initialize.restype = ctypes.c_int
        if self.lib.espeak_Initialize(_SYNCHRONOUS, 0, None, _INIT_PHONEME_EVENTS) < 0:
            raise RuntimeError("espeak-ng failed to start")
        self._samples: list[np.ndarray] = []
        self._events: list[tuple[int, int, int, bytes]] = []  # type, text pos, sample, id
        self._cb = _CALLBACK(self._on_audio)
        self.lib.espeak_SetSynthCallback(self._cb)

    def _on_audio(self, wav, n, events) -> int:  # noqa: ANN001 - ctypes callback
        if n > 0:
            self._samples.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
        k = 0
        while events[k].type != _EV_LIST_END:
            ev = events[k]
            self._events.append((ev.type, ev.text_position, ev.sample, bytes(ev.id)))
            k += 1
        return 0

    def synth(self, voice: str, text: str, wpm: int) -> tuple[np.ndarray, int, list]:
        with self.lock:
            if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise RuntimeError(f"espeak-ng has no voice {voice!r} (is its MBROLA voice "
                                   "installed?)")  # fmt: skip
            self.lib.espeak_SetParameter(_RATE, int(wpm), 0)
            self._samples, self._events = [], []
            data = text.encode("utf-8")
            err = self.lib.espeak_Synth(data, len(data) + 1, 0, 0, 0, _CHARS_UTF8, None, None)
            self.lib.espeak_Synchronize()
            if err != 0:
                raise RuntimeError(f"espeak-ng could not say {text!r} (error {err})")
            sr = int(self.lib.espeak_ng_GetSampleRate())
            audio = np.concatenate(self._samples) if self._samples else np.zeros(0, np.int16)
            return audio.astype(np.float32) / 32768.0, sr, list(self._events)


@functools.lru_cache(maxsize=1)
def _espeak() -> _Espeak:
    return _Espeak()


def _trim_end(audio: np.ndarray, sr: int, s: int, e: int, floor_db: float = -35.0) -> int:
    """Where sound ends in samples [s, e): the end of the last 5 ms frame louder than
    ``floor_db`` relative to the clip's peak (at least one frame after ``s``)."""
    hop = max(1, int(0.005 * sr))
    peak = float(np.max(np.abs(audio))) + 1e-9
    end = e
    while end - hop > s:
        frame = audio[end - hop : end]
        if 20 * np.log10(float(np.sqrt(np.mean(frame**2))) / peak + 1e-12) > floor_db:
            break
        end -= hop
    return max(end, s + hop)


def espeak_say(voice: str, text: str, wpm: int = READING_WPM) -> tuple[np.ndarray, int]:
    """``text`` said by espeak-ng voice ``voice``: (audio float32, sample rate)."""
    audio, sr, _ = _espeak().synth(voice, text, wpm)
    return audio, sr


class EspeakBackend:
    """An espeak-ng voice: an English accent (``en-gb-scotland``) or an MBROLA voice
    (``mb-us1``, ``mb-de4-en``: English with a German speaker's diphones)."""

    def __init__(self, name: str, voice: str, family: str) -> None:
        self.name, self.voice, self.family = name, voice, family
        _, self.sr, _ = _espeak().synth(voice, "a", _DEFAULT_WPM)

    def synth(
        self, tokens: Sequence[str], puncts: Sequence[str], rate: float
    ) -> tuple[np.ndarray, list[tuple[float, float]]]:
        pieces, offsets, pos = [], [], 0
        for t, p in zip(tokens, puncts, strict=True):
            offsets.append((pos, pos + len(t.encode("utf-8"))))
            pieces.append(t + p)
            pos += len((t + p).encode("utf-8")) + 1
        text = " ".join(pieces)
        audio, sr, events = _espeak().synth(self.voice, text, round(READING_WPM * rate))
        if sr != self.sr:
            raise RuntimeError(f"{self.voice}: sample rate changed {self.sr} -> {sr}")
        # A phoneme event carries its word's text position on the word's first phoneme
        # (espeak's word events are unreliable with MBROLA voices).
        phones = [(tp - 1, smp, pid.rstrip(b"\0")) for typ, tp, smp, pid in events
                  if typ == _EV_PHONEME]  # fmt: skip
        pauses = sorted(smp for _, smp, pid in phones if pid.startswith(b"_"))
        starts: list[int | None] = []
        k0 = 0
        for lo, hi in offsets:
            k = next((j for j in range(k0, len(phones)) if lo <= phones[j][0] < hi), None)
            starts.append(None if k is None else phones[k][1])
            k0 = k if k is not None else k0
        if starts[0] is None:
            starts[0] = 0
        for k in range(1, len(starts)):  # a word with no event of its own joins the one before
            if starts[k] is None:
                starts[k] = starts[k - 1]
        bounds = [int(s) for s in starts] + [len(audio)]  # type: ignore[arg-type]
        spans = []
        for k in range(len(tokens)):
            s, e = bounds[k], max(bounds[k + 1], bounds[k] + 1)
            e = min([e] + [p for p in pauses if s < p < e])
            e = _trim_end(audio, sr, s, e)
            spans.append((s / sr, e / sr))
        return audio, _split_shared(spans)


def _split_shared(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Tokens given the same start share that time equally, in order."""
    out = list(spans)
    k = 0
    while k < len(out):
        j = k
        while j + 1 < len(out) and out[j + 1][0] == out[k][0]:
            j += 1
        if j > k:
            s, e = out[k][0], max(x[1] for x in out[k : j + 1])
            step = (e - s) / (j - k + 1)
            for i in range(k, j + 1):
                out[i] = (s + step * (i - k), s + step * (i - k + 1))
        k = j + 1
    return out


_FESTIVAL_SCRIPT = """({voice})
(Parameter.set 'Duration_Stretch {stretch:.4f})
(set! utt (Utterance Text "{text}"))
(utt.synth utt)
(utt.save.wave utt "{wav}" 'riff)
(mapcar (lambda (w) (format t "W %s %f %f\\n" (item.name w)
  (item.feat w "R:SylStructure.daughter1.daughter1.R:Segment.p.end")
  (item.feat w "word_end"))) (utt.relation.items utt 'Word))
"""


class FestivalBackend:
    """A festival voice (Debian ``festival`` and a ``festvox-*`` voice), timed by its own
    word relation."""

    def __init__(self, name: str, voice: str, family: str) -> None:
        if shutil.which("festival") is None:
            raise RuntimeError("festival is not installed (apt-get install festival)")
        self.name, self.voice, self.family = name, voice, family
        audio, self.sr, _ = self._run(["hello"], 1.0)

    def _run(self, tokens: Sequence[str], stretch: float) -> tuple[np.ndarray, int, list]:
        text = " ".join(tokens).replace("\\", " ").replace('"', " ")
        with tempfile.TemporaryDirectory() as tmp:
            wav, scm = Path(tmp) / "f.wav", Path(tmp) / "f.scm"
            script = _FESTIVAL_SCRIPT.format(voice=self.voice, stretch=stretch, text=text, wav=wav)
            scm.write_text(script, encoding="utf-8")
            out = subprocess.run(["festival", "-b", str(scm)], capture_output=True, text=True,
                                 check=True).stdout  # fmt: skip
            if not wav.exists():
                raise RuntimeError(f"festival voice {self.voice} said nothing ({out[-200:]})")
            audio, sr = sf.read(wav, dtype="float32")
        words = []
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 4 and parts[0] == "W":
                words.append((parts[1], float(parts[2]), float(parts[3])))
        return audio, int(sr), words

    def synth(
        self, tokens: Sequence[str], puncts: Sequence[str], rate: float
    ) -> tuple[np.ndarray, list[tuple[float, float]]]:
        text = [t + p for t, p in zip(tokens, puncts, strict=True)]
        audio, sr, words = self._run(text, 1.0 / rate)
        assert sr == self.sr, (sr, self.sr)
        spans = _match_words(tokens, words)
        return audio, spans


def _norm(w: str) -> str:
    return re.sub(r"[^a-z0-9]", "", w.lower())


def _match_words(
    tokens: Sequence[str], words: Sequence[tuple[str, float, float]]
) -> list[tuple[float, float]]:
    """Each token's (start, end) from the synthesizer's words, matched in order; a token
    the synthesizer said as several words (``don't`` -> ``do n't``) spans them all."""
    spans: list[tuple[float, float]] = []
    j = 0
    for tok in tokens:
        key, got, s = _norm(tok), "", None
        while j < len(words) and (not got or key.startswith(got + _norm(words[j][0]))):
            if s is None:
                s = words[j][1]
            got += _norm(words[j][0])
            e = words[j][2]
            j += 1
            if got == key:
                break
        if s is None:
            raise RuntimeError(f"no synthesized word for {tok!r} in {[w[0] for w in words]}")
        spans.append((s, e))
    return spans
