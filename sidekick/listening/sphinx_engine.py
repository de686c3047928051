"""The pocketsphinx recognizer (offline English fallback) with a language model per page.

One decoder is kept; each page gets its own small dictionary and ARPA language model (the
page's words in reading order plus distractors) and the decoder is re-initialized on them,
which takes milliseconds (adding an LM to a decoder holding the full 126k-word dictionary
takes over a second).

Nothing heard of the child reaches a disk: the page files, the reader's transform and the
features of what they read live in memory (:mod:`sidekick.private_files`).
"""

from __future__ import annotations

import itertools
import json
import math
import os
import re
import shutil
import unicodedata
import weakref
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sidekick.audio.pitch import median_pitch
from sidekick.errors import ModelError
from sidekick.listening.base import SAMPLE_RATE, HeardWord, Hypothesis
from sidekick.listening.models import DISTRACTORS, page_words, unique
from sidekick.private_files import MemoryFile, private_dir

FRAME_SECONDS = 0.01  # pocketsphinx frames are 10 ms
PAGE_WEIGHT = 3  # the page as written counts this many times against each misreading
#: Extra pocketsphinx settings for both decoders. ``warp_params`` warps the frequency axis
#: (inverse linear) towards the higher formants of children's shorter vocal tracts; 1.2 is
#: the warp a reader starts with, before :data:`WARP_BY_PITCH` follows their voice.
#: ``SIDEKICK_SPHINX_OPTIONS`` (JSON) overrides any setting, for experiments.
_OVERRIDES: dict[str, Any] = json.loads(os.environ.get("SIDEKICK_SPHINX_OPTIONS", "{}"))
DECODER_OPTIONS: dict[str, Any] = {"warp_params": "1.2", **_OVERRIDES}
#: (median pitch in Hz, warp) points of a ramp, linear in semitones between them: a higher
#: voice usually comes from a shorter vocal tract. Men's voices (up to about 105 Hz) are
#: recognized best unwarped, child voices best at 1.2, and the highest child voices (about
#: 235 Hz) at 1.5; one warp for every voice loses the low ones. An explicit ``warp_params``
#: override turns the ramp off. Figures: tests/benchmarks/reading_eval/NOTES.md.
WARP_BY_PITCH = ((105.0, 1.0), (115.0, 1.2), (180.0, 1.2), (235.0, 1.5))
_ALT = re.compile(r"\(\d+\)$")  # "to(3)": third pronunciation of "to"
#: In a noisy recording (see :mod:`sidekick.audio.denoise`) a second look calls a word
#: misread only when the misreading's posterior is at least this: in noise the recognizer
#: hears plausible misreadings in correctly read words far more often. Clean recordings are
#: unaffected.
NOISY_MIN_POSTERIOR = 0.5
#: A new reader's warp is chosen while they read, once this much audio is in (and every
#: ``LIVE_PITCH_EVERY_S`` after, until a voice is heard), and what was heard so far is
#: decoded again with it; the page end measures the whole page again.
LIVE_PITCH_S = 2.0
LIVE_PITCH_EVERY_S = 0.5
#: ... and the model is fitted to a new reader (an MLLR transform, as at the end of a page)
#: once this much audio is in, and what was heard so far decoded again with it (about
#: 0.4 s, once), so that words are lit and stuck words helped on the reader's own voice
#: well before the page ends.
LIVE_ADAPT_S = 4.0
MIN_ADAPT_FRAMES = 100  # 1 s of speech and silence at least, or the model is left as it is
#: In a noisy recording a "word" whose loudest 20 ms is this many dB under the reading's
#: median (on the denoised signal) is noise the recognizer took for a word: it is dropped.
FAINT_DB = 20.0


def warp_for_pitch(pitch: float) -> float:
    """The frequency warp for a reader whose voice has this median pitch (Hz), in steps of
    0.1 so that small differences in the estimate change nothing."""
    points = WARP_BY_PITCH
    if pitch <= points[0][0]:
        return points[0][1]
    for (low, warp_low), (high, warp_high) in itertools.pairwise(points):
        if pitch <= high:
            share = math.log(pitch / low) / math.log(high / low)
            return round(warp_low + share * (warp_high - warp_low), 1)
    return points[-1][1]


def _model_dir() -> Path:
    import pocketsphinx

    return Path(pocketsphinx.get_model_path("en-us"))


def pronunciations(word: str) -> list[str]:
    """The CMU dictionary's pronunciations of a word (ARPAbet strings; [] if unknown).

    The dictionary is loaded once and shared with the reading check (one copy in memory).
    """
    from sidekick.words.pronounce import lexicon

    return [" ".join(p) for p in lexicon().prons.get(word, ())]


# espeak-ng (bundled with piper-tts) IPA -> ARPABET, for words the CMU dictionary lacks.
_IPA_TO_ARPA: dict[str, str] = {
    "tʃ": "CH", "dʒ": "JH", "eɪ": "EY", "aɪ": "AY", "aʊ": "AW", "oʊ": "OW", "əʊ": "OW",
    "ɔɪ": "OY", "ɑːɹ": "AA R", "ɔːɹ": "AO R", "ɛɹ": "EH R", "ɪɹ": "IH R", "ʊɹ": "UH R",
    "iə": "IY AH", "aɪɚ": "AY ER", "p": "P", "b": "B", "t": "T", "d": "D", "k": "K",
    "ɡ": "G", "g": "G", "f": "F", "v": "V", "θ": "TH", "ð": "DH", "s": "S", "z": "Z",
    "ʃ": "SH", "ʒ": "ZH", "h": "HH", "m": "M", "n": "N", "ŋ": "NG", "l": "L", "ɹ": "R",
    "r": "R", "w": "W", "j": "Y", "ɾ": "T", "x": "K", "i": "IY", "ɪ": "IH", "e": "EY",
    "ɛ": "EH", "æ": "AE", "a": "AA", "ɑ": "AA", "ɒ": "AA", "ɔ": "AO", "o": "OW",
    "ʊ": "UH", "u": "UW", "ʌ": "AH", "ə": "AH", "ɐ": "AH", "ɚ": "ER", "ɝ": "ER",
    "ɜ": "ER", "ᵻ": "IH", "y": "UW",
}  # fmt: skip
_IPA_KEYS = sorted(_IPA_TO_ARPA, key=len, reverse=True)


def accent_variants(words: Sequence[str], prons: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """Accent variants of the page ``words`` for the page dictionary ``prons``: those that
    are no pronunciation of it and no common word (:func:`sidekick.words.variants.
    page_variants`), so that a reader's accent is heard as the word and a misreading still
    as the other word."""
    from sidekick.words.pronounce import COMMON, lexicon, word_frequency
    from sidekick.words.variants import page_variants

    by_pron = lexicon().words_by_pron

    def common(pron: tuple[str, ...]) -> bool:
        return any(word_frequency(w) > COMMON for w in by_pron.get(pron, ()))

    return page_variants({w: prons[w] for w in words if w in prons}, common, taken=prons)


def ipa_to_arpabet(ipa: str) -> str:
    """Map espeak-ng IPA to CMU phones (stress, length and unknown marks are dropped)."""
    text = "".join(c for c in unicodedata.normalize("NFD", ipa) if not unicodedata.combining(c))
    text = re.sub(r"[ˈˌːˑ\s\-.,;:!?'‖|]", "", text)
    phones: list[str] = []
    i = 0
    while i < len(text):
        for key in _IPA_KEYS:
            if text.startswith(key, i):
                phones.append(_IPA_TO_ARPA[key])
                i += len(key)
                break
        else:
            i += 1  # a symbol with no English equivalent (e.g. a glottal stop)
    return " ".join(phones)


_SIBILANT = {"S", "Z", "SH", "ZH", "CH", "JH"}
_VOICELESS = {"P", "T", "K", "F", "TH"}


def _known(word: str) -> str | None:
    if alts := pronunciations(word):
        return alts[0]
    parts = [p for p in word.split("-") if p]
    if len(parts) > 1 and all(pronunciations(p) for p in parts):
        return " ".join(pronunciations(p)[0] for p in parts)
    return None


def guess_pronunciation(word: str) -> str | None:
    """A pronunciation for a word not in the CMU dictionary, or None.

    Tries the parts of a compound ("ice-cream", "fox's") from the dictionary, then
    espeak-ng's letter-to-sound rules (bundled with piper-tts).
    """
    if word.endswith("'s") and (base := _known(word[:-2])):
        last = base.split()[-1]
        suffix = "IH Z" if last in _SIBILANT else "S" if last in _VOICELESS else "Z"
        return f"{base} {suffix}"
    if base := _known(word):
        return base
    try:
        from sidekick.speaking.piper_voice import phonemize

        ipa = "".join(phonemize(word.replace("-", " ")))
    except Exception:  # no espeak: the word is left out of the page's vocabulary
        return None
    phones = ipa_to_arpabet(ipa)
    return phones or None


class FeatureLog:
    """pocketsphinx's log of an utterance's features, caught in memory.

    A decoder with ``mfclogdir`` writes each utterance's features to ``DIR/%09u.mfc``, named
    by its count of utterances. Before an utterance, the name it will write is made a link
    to a :class:`MemoryFile`, so the features never reach a file system. Should the count be
    other than expected, the file it wrote instead (inside the private folder) is read,
    deleted at once, and the count taken from its name.
    """

    def __init__(self) -> None:
        self.folder = private_dir() / f"features-{id(self):x}"
        self.folder.mkdir(mode=0o700)
        self._memory = MemoryFile("features")
        self._next = 0  # the decoder's next utterance number
        self.caught = 0  # utterances whose features were caught in memory

    def record(self, utterance: Callable[[], None]) -> bytes:
        """Run ``utterance`` (one start_utt ... end_utt of the logging decoder) and return
        the features it logged (b"" if none)."""
        link = self.folder / f"{self._next:09d}.mfc"
        if self._memory.in_memory:
            self._memory.write(b"")
            link.unlink(missing_ok=True)
            link.symlink_to(self._memory.path)
        data = b""
        try:
            utterance()
        finally:
            for path in sorted(self.folder.iterdir()):
                if path.is_symlink():
                    if data := self._memory.read():
                        self._next += 1
                        self.caught += 1
                else:  # not where it was expected: read it and take the count from it
                    data = path.read_bytes()
                    if path.stem.isdigit():
                        self._next = int(path.stem) + 1
                path.unlink()
        return data

    def close(self) -> None:
        self._memory.close()
        shutil.rmtree(self.folder, ignore_errors=True)


class SphinxListener:
    """pocketsphinx 5 with the bundled en-us acoustic model and a language model per page.

    Per page: a dictionary of the page's words (CMU pronunciations, guessed ones for new
    words) and common :data:`DISTRACTORS`, and an ARPA model built from the page's words in
    reading order (``<s> ... </s>``) plus each distractor once, so the text as written is
    most likely but a misread can still surface as another word. Page words that no
    pronunciation could be found for are in :attr:`unknown_words`. With ``accents`` (the
    default) the page's words also get their consonant accent variants that are no other
    word (:func:`accent_variants`): "thing" said "fing" is heard as "thing", in the live
    decode and the second looks alike.

    With ``denoise`` (the default) the audio goes through :class:`~sidekick.audio.denoise.
    Denoiser` first, streaming; a recording without noise passes through unchanged.

    With ``adapt_warp`` (the default) the frequency warp follows the reader's pitch
    (:func:`warp_for_pitch`): at the end of an utterance the pitch is measured and, if it
    calls for another warp than the one the utterance was decoded with, the utterance is
    decoded again with it. The warp stays for the next page, so a reader's later pages are
    decoded once; a page with no voice in it (silence, noise) leaves it as it was. For a
    new reader the warp is already chosen while they read (:data:`LIVE_PITCH_S`), so that
    the words light up as they are read.

    With ``adapt_speaker`` (the default) the model is then fitted to the reader's voice on
    what was heard (:mod:`sidekick.listening.adapt`: an MLLR transform of its means) and
    the utterance is decoded once more with it; the second looks use it too. A reader's
    later pages are decoded with their last page's transform from the start (the live decode
    already knows the reader), then adapted to and decoded again like the first. On a new
    reader's first page the model is also fitted to them while they read
    (:data:`LIVE_ADAPT_S`), for the live decode only.
    :meth:`new_reader` forgets the reader (warp and transform).
    """

    name = "pocketsphinx"

    def __init__(
        self,
        distractors: bool = True,
        denoise: bool = True,
        adapt_warp: bool = True,
        adapt_speaker: bool = True,
        accents: bool = True,
    ) -> None:
        try:
            import pocketsphinx
        except (ImportError, OSError) as exc:
            raise ModelError(f"The pocketsphinx package cannot be loaded: {exc}.") from exc
        self._ps = pocketsphinx
        model = _model_dir()
        self._hmm = model / "en-us"
        if not (self._hmm / "mdef").is_file():
            raise ModelError(f"pocketsphinx's en-us model is missing from {model}: reinstall it.")
        self.distractors = distractors
        self.accents = accents
        self.denoise = denoise
        self.unknown_words: frozenset[str] = frozenset()
        self.vocabulary: list[str] = []
        # The page's dictionary and language model, the reader's transform and the features
        # it is learnt from: in memory only.
        self._dict_file, self._lm_file = MemoryFile("page.dict"), MemoryFile("page.arpa")
        self._transform = MemoryFile("reader.mllr")
        self._features: FeatureLog | None = None
        self._files: list[MemoryFile | FeatureLog] = [self._dict_file, self._lm_file,
                                                      self._transform]  # fmt: skip
        self._cleanup = weakref.finalize(self, _close_all, self._files)
        self._decoder: Any = None
        self._in_utt = False
        self._odd = b""
        self._denoiser: Any = None
        self.adapt_warp = adapt_warp and "warp_params" not in _OVERRIDES
        self.warp = float(DECODER_OPTIONS["warp_params"])
        self._warp_heard = False  # whether the warp was chosen from this reader's voice
        self._next_pitch_s = LIVE_PITCH_S
        self._live_adapt_tried = False
        self.adapt_speaker = adapt_speaker
        self._audio: list[bytes] = []  # the utterance as decoded, to decode it again
        self._prons: dict[str, str] = {}  # the page dictionary's entries ("to(2)": "T UW")
        self._adapted = False  # whether the decoders hold the reader's (last page's) transform
        self._aligner: Any = None  # grammar decoders: the transform's alignment, second looks
        self._checker: Any = None
        pronunciations("a")  # load the dictionary now, not on the first page
        if adapt_speaker:
            from sidekick.listening.adapt import acoustic_model

            acoustic_model(self._hmm)  # and the model's Gaussians
        self._load([])  # a small decoder now, so the first page starts quickly

    def _write_page(
        self, words: list[str], misreadings: Mapping[str, Sequence[str]]
    ) -> tuple[str, str]:
        prons: dict[str, list[str]] = {}
        unknown = set()
        for w in unique(words):
            guess = pronunciations(w) or ([g] if (g := guess_pronunciation(w)) else None)
            if guess:
                prons[w] = guess
            else:
                unknown.add(w)
        likely = [d for ds in misreadings.values() for d in page_words(list(ds))]
        extra = unique([*likely, *DISTRACTORS]) if self.distractors else []
        extra = [w for w in extra if w not in prons and pronunciations(w)]
        if not prons and not extra:
            extra = list(DISTRACTORS)  # nothing recognizable on the page: keep a valid model
        for w in extra:
            prons[w] = pronunciations(w)
        if self.accents:
            for w, alts in accent_variants(unique(words), prons).items():
                prons[w] = [*prons[w], *alts]
        self.unknown_words = frozenset(unknown)
        self.vocabulary = list(prons)

        self._prons = {
            w if i == 0 else f"{w}({i + 1})": phones
            for w, alts in prons.items()
            for i, phones in enumerate(alts)
        }
        entries = "".join(f"{w} {phones}\n" for w, phones in self._prons.items())
        self._dict_file.write(entries.encode("utf-8"))

        from pocketsphinx.lm import ArpaBoLM

        sequence = [w for w in words if w in prons]
        lines = [" ".join(sequence)] * PAGE_WEIGHT if sequence else []
        if self.distractors:  # each likely misreading in the context where it would be said
            for i, w in enumerate(sequence):
                for d in misreadings.get(w, ()):
                    if d in prons:
                        lines.append(" ".join([*sequence[max(0, i - 1) : i], d,
                                               *sequence[i + 1 : i + 2]]))  # fmt: skip
        lm = ArpaBoLM(text="\n".join(lines) + "\n" if lines else None, add_start=True)
        for w in extra:
            lm.grams_1[w] += 1
        if "<s>" not in lm.grams_1:  # no page text: sentence marks for a valid model
            lm.grams_1["<s>"] += 1
            lm.grams_1["</s>"] += 1
        lm.compute()
        if not lm.write_file(self._lm_file.path):
            raise ModelError("Cannot write the page language model.")
        return self._dict_file.path, self._lm_file.path

    def _load(
        self, words: list[str], misreadings: Mapping[str, Sequence[str]] | None = None
    ) -> None:
        dict_path, lm_path = self._write_page(words, misreadings or {})
        self._dict_path = dict_path
        self._page_serial = getattr(self, "_page_serial", 0) + 1
        try:
            if self._decoder is None:
                self._decoder = self._ps.Decoder(
                    hmm=str(self._hmm),
                    dict=dict_path,
                    lm=lm_path,
                    loglevel="FATAL",
                    **DECODER_OPTIONS,
                )
            else:
                config = self._decoder.config
                config["dict"] = dict_path
                config["lm"] = lm_path
                # A reader's later pages are decoded with what was learnt on the last one.
                config["mllr"] = self._transform.path if self._adapted else None
                self._decoder.reinit(config)
        except (RuntimeError, ValueError) as exc:
            raise ModelError(f"pocketsphinx could not load the page model: {exc}.") from exc

    def start(
        self, expected_words: list[str], misreadings: Mapping[str, Sequence[str]] | None = None
    ) -> None:
        """Begin an utterance for a page (swaps in the page's dictionary and LM)."""
        if self._in_utt:
            self._decoder.end_utt()
            self._in_utt = False
        self._load(page_words(expected_words), misreadings)
        self._decoder.start_utt()
        self._in_utt = True
        self._odd = b""
        self._audio = []
        self._next_pitch_s = LIVE_PITCH_S
        self._live_adapt_tried = False
        if self.denoise:
            from sidekick.audio.denoise import Denoiser

            self._denoiser = Denoiser()

    def _require(self) -> Any:
        if not self._in_utt:
            raise RuntimeError("SphinxListener: call start() before accept()/finish()")
        return self._decoder

    def _words(self, with_times: bool) -> list[HeardWord]:
        dec = self._decoder
        if not with_times:
            hyp = dec.hyp()
            return [HeardWord(w) for w in (hyp.hypstr.split() if hyp else [])]
        out = []
        for seg in dec.seg() or ():
            if seg.word.startswith(("<", "[")):
                continue  # <s>, </s>, <sil>, [NOISE], [SPEECH]
            conf = min(1.0, max(0.0, seg.prob))  # pocketsphinx 5 gives the posterior itself
            out.append(
                HeardWord(
                    _ALT.sub("", seg.word),
                    round(seg.start_frame * FRAME_SECONDS, 3),
                    round((seg.end_frame + 1) * FRAME_SECONDS, 3),
                    conf,
                )
            )
        return out

    def accept(self, pcm: bytes) -> Hypothesis:
        """Feed PCM of any length; returns the best hypothesis so far (with word times)."""
        dec = self._require()
        data = self._odd + bytes(pcm)
        cut = len(data) - len(data) % 2
        data, self._odd = data[:cut], data[cut:]
        if self._denoiser is not None:
            data = self._denoiser.process(data)
        if data:
            dec.process_raw(data, False, False)
            self._audio.append(data)
            heard_s = sum(map(len, self._audio)) / (2 * SAMPLE_RATE)
            self._live_warp(heard_s)
            self._live_adapt(heard_s)
        return Hypothesis(tuple(self._words(with_times=True)), final=False)

    def _live_warp(self, heard_s: float) -> None:
        """For a reader whose voice is not known yet: once there is enough audio
        (``heard_s`` seconds so far), set the warp their pitch calls for and decode what
        was heard so far again with it."""
        if not self.adapt_warp or self._warp_heard or heard_s < self._next_pitch_s:
            return
        self._next_pitch_s = heard_s + LIVE_PITCH_EVERY_S
        audio = b"".join(self._audio)
        pitch = median_pitch(audio)
        if pitch is None:
            return
        self._warp_heard = True
        if (warp := warp_for_pitch(pitch)) != self.warp:
            self._decoder.end_utt()
            self._set_warp(warp)
            self._forget_reader()
            self._resume(audio)

    def _live_adapt(self, heard_s: float) -> None:
        """For a reader the model is not fitted to yet: fit it on the audio so far, once a
        page, and decode that audio again with the transform."""
        if not self.adapt_speaker or self._adapted or self._live_adapt_tried:
            return
        if self.adapt_warp and not self._warp_heard:
            return  # the transform is learnt on the features of the reader's warp
        if heard_s < LIVE_ADAPT_S:
            return
        self._live_adapt_tried = True
        audio = b"".join(self._audio)
        self._decoder.end_utt()  # the segmentation so far is what it learns from
        self._adapt(audio)
        self._resume(audio)

    def _resume(self, audio: bytes) -> None:
        """Go on with the utterance after a change to the decoder: the audio so far is
        decoded again, and the stream stays open."""
        self._decoder.start_utt()
        self._decoder.process_raw(audio, False, False)

    def finish(self) -> Hypothesis:
        """End the utterance; the words with start/end times (s) and posteriors."""
        dec = self._require()
        if self._denoiser is not None and (tail := self._denoiser.flush()):
            dec.process_raw(tail, False, False)
            self._audio.append(tail)
        dec.end_utt()
        self._in_utt = False
        audio = b"".join(self._audio)
        if self.adapt_warp:
            pitch = median_pitch(audio)  # None: no voice heard, nothing learnt of the reader
            self._warp_heard = self._warp_heard or pitch is not None
            if pitch is not None and (warp := warp_for_pitch(pitch)) != self.warp:
                self._set_warp(warp)
                self._forget_reader()  # it was learnt on features of the other warp
                self._decode(audio)
        if self._adapted and self._live_adapt_tried:
            # Fitted on this page's start only: the page is adapted to as a whole from an
            # unadapted decode, as before live adaptation (whose decode found fewer miscues
            # on the development sets: 71.5% against 72.2%).
            self._forget_reader()
            self._decode(audio)
        if self.adapt_speaker and audio and self._adapt(audio):
            self._decode(audio)
        words = self._words(with_times=True)
        return Hypothesis(tuple(self._audible(words, audio)), final=True)

    def _audible(self, words: list[HeardWord], audio: bytes) -> list[HeardWord]:
        """The words, less those too faint to be words (:data:`FAINT_DB`; noisy recordings
        only: in quiet ones a soft word is still a word)."""
        if not words or self.quiet() or self._denoiser is None:
            return words
        import numpy as np

        x = np.frombuffer(audio, dtype="<i2").astype(np.float64)
        frame = SAMPLE_RATE // 50  # 20 ms
        peaks = []
        for w in words:
            part = x[int((w.start or 0.0) * SAMPLE_RATE) : int((w.end or 0.0) * SAMPLE_RATE)]
            power = (part[: len(part) // frame * frame].reshape(-1, frame) ** 2).mean(axis=1)
            peaks.append(10 * np.log10(power.max() + 1e-9) if len(power) else -np.inf)
        floor = float(np.median(peaks)) - FAINT_DB
        return [w for w, peak in zip(words, peaks, strict=True) if peak >= floor]

    def _decode(self, audio: bytes) -> None:
        """Decode the utterance again (with the decoder's current warp and transform)."""
        self._resume(audio)
        self._decoder.end_utt()

    def _adapt(self, audio: bytes) -> bool:
        """Fit the model to the reader on what was just heard; True if the decoder now
        holds the transform."""
        from sidekick.listening import adapt

        heard = [seg.word for seg in self._decoder.seg() or () if seg.word in self._prons]
        if not heard:
            return False
        if self._features is None:
            self._features = FeatureLog()  # the front end's log of each utterance, in memory
            self._files.append(self._features)
        aligner = self._helper("_aligner", mfclogdir=str(self._features.folder))

        def align() -> None:
            aligner.start_utt()
            aligner.process_raw(audio, False, True)
            aligner.end_utt()

        aligner.set_align_text(" ".join(_ALT.sub("", w) for w in heard))
        try:
            logged = self._features.record(align)
            segments = [(s.word, s.start_frame, s.end_frame) for s in aligner.seg() or ()]
        except RuntimeError:  # no alignment reached the end: nothing to learn from
            return False
        cepstra = adapt.read_cepstra(logged) if logged else None
        if cepstra is None or not len(cepstra):
            return False
        model = adapt.acoustic_model(self._hmm)
        prons = {w: p.split() for w, p in self._prons.items()}
        codebook = adapt.frame_phones(segments, prons, model, len(cepstra))
        if (codebook >= 0).sum() < MIN_ADAPT_FRAMES:
            return False
        transform = adapt.estimate(model, codebook, adapt.streams(cepstra))
        self._transform.write(adapt.transform_text(transform).encode("ascii"))
        config = self._decoder.config
        config["mllr"] = self._transform.path
        self._decoder.reinit(config)
        self._adapted = True
        return True

    def quiet(self) -> bool:
        """Whether the denoiser found no noise worth removing in the last utterance (False
        without a denoiser)."""
        return self._denoiser is not None and not self._denoiser.noisy

    def new_reader(self) -> None:
        """Forget what was learnt of the last reader: the warp and the transform."""
        self._forget_reader()
        self._warp_heard = False
        if self.adapt_warp:
            self._set_warp(float(DECODER_OPTIONS["warp_params"]))

    def _forget_reader(self) -> None:
        if self._adapted:
            config = self._decoder.config
            config["mllr"] = None
            self._decoder.reinit(config)
            self._adapted = False

    def _set_warp(self, warp: float) -> None:
        config = self._decoder.config
        config["warp_params"] = str(warp)
        self._decoder.reinit_feat(config)  # the front end only: microseconds
        self.warp = warp

    def second_look(
        self,
        pcm: bytes,
        written: str,
        heard: str | None,
        before: str | None = None,
        after: str | None = None,
    ) -> bool:
        """Decode just this audio with a grammar that allows only the written word or the
        heard one (for a word not heard at all: the written word or nothing), between the
        neighbouring words when they are given. The audio is denoised with the noise
        estimate of the utterance; in a noisy recording a misreading must also be likely
        (posterior >= :data:`NOISY_MIN_POSTERIOR`) to count."""
        clean = [_ALT.sub("", w.lower()) if w else None for w in (written, heard, before, after)]
        written, heard, before, after = clean
        vocab = set(self.vocabulary)
        if written not in vocab or (heard is not None and heard not in vocab):
            return True  # cannot check: give the reader the benefit of the doubt
        if heard == written:
            return True
        # For a word not heard, the stretch runs from the word read before it to the word
        # read after it: those must be there, only the word itself is optional. For a word
        # heard as another, the stretch may hold only part of its neighbours.
        data = bytes(pcm[: len(pcm) - len(pcm) % 2])
        if self._denoiser is not None:
            from sidekick.audio.denoise import denoise

            data = denoise(data, self._denoiser.frozen())
        core = f"[ {written} ]" if heard is None else f"( {written} | {heard} )"
        fmt = "{}" if heard is None else "[ {} ]"
        parts = [fmt.format(w) for w in (before,) if w in vocab]
        parts += [core] + [fmt.format(w) for w in (after,) if w in vocab]
        rule = " ".join(parts)
        checker = self._checker_for_page()
        checker.add_jsgf_string("check", f"#JSGF V1.0;\ngrammar check;\npublic <s> = {rule};\n")
        checker.activate_search("check")
        checker.start_utt()
        checker.process_raw(data, False, True)
        checker.end_utt()
        hyp = checker.hyp()
        said = [_ALT.sub("", w) for w in (hyp.hypstr.split() if hyp else [])]
        if written in said:
            return True
        prob = float(hyp.prob) if hyp is not None else 0.0
        noisy = self._denoiser is not None and self._denoiser.noisy
        return heard is not None and noisy and prob < NOISY_MIN_POSTERIOR

    def _checker_for_page(self) -> Any:
        """A second decoder on the current page's dictionary, for :meth:`second_look`; it
        decodes with the current warp and the reader's transform."""
        return self._helper("_checker", mllr=self._transform.path if self._adapted else None)

    def _helper(self, name: str, **options: Any) -> Any:
        """A grammar decoder (``name``: its attribute) on the current page's dictionary and
        warp, created once and re-initialized when those change. Every page is written to
        the same file name, so the page number tells whether it holds an older page."""
        state = (self._page_serial, self.warp, *options.values())
        helper = getattr(self, name, None)
        if getattr(self, f"{name}_state", None) != state:
            settings = {"dict": self._dict_path, "warp_params": str(self.warp), **options}
            if helper is None:
                helper = self._ps.Decoder(
                    hmm=str(self._hmm), lm=None, loglevel="FATAL",
                    **{**DECODER_OPTIONS, **settings},
                )  # fmt: skip
                setattr(self, name, helper)
            else:
                config = helper.config
                for key, value in settings.items():
                    config[key] = value
                helper.reinit(config)
            setattr(self, f"{name}_state", state)
        return helper

    def close(self) -> None:
        """Drop the page files, the reader's transform and the feature log."""
        self._cleanup()


def _close_all(files: Sequence[MemoryFile | FeatureLog]) -> None:
    for f in files:
        f.close()
