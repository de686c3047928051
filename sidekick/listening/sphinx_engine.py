"""The pocketsphinx recognizer (offline English fallback): the live stream of a page and
its end.

Each page gets its own dictionary and language model (:mod:`.sphinx_page`); the decoder
follows the reader's voice while they read and is fitted to it at the page end
(:mod:`.sphinx_reader`); a doubtful word gets a second look (:mod:`.sphinx_second_look`).

Nothing heard of the child reaches a disk: the page files, the reader's transform and the
features of what they read live in memory (:mod:`sidekick.private_files`).
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from typing import Any

from sidekick.audio.pitch import median_pitch
from sidekick.errors import ModelError
from sidekick.listening.base import SAMPLE_RATE, HeardWord, Hypothesis, Stretch
from sidekick.listening.models import page_words
from sidekick.listening.sphinx_page import (
    DECODER_OPTIONS,
    WARP_FIXED,
    base_word,
    model_dir,
    write_page_model,
)
from sidekick.listening.sphinx_reader import FeatureLog, fit_transform, warp_for_pitch
from sidekick.listening.sphinx_second_look import second_look
from sidekick.private_files import MemoryFile
from sidekick.words.letter_to_sound import pronunciations

FRAME_SECONDS = 0.01  # pocketsphinx frames are 10 ms
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
#: In a noisy recording a "word" whose loudest 20 ms is this many dB under the reading's
#: median (on the denoised signal) is noise the recognizer took for a word: it is dropped.
FAINT_DB = 20.0


class SphinxListener:
    """pocketsphinx 5 with the bundled en-us acoustic model and a language model per page.

    Per page: a dictionary of the page's words and common distractors, and an ARPA model
    built from the page's words in reading order
    (:func:`~sidekick.listening.sphinx_page.write_page_model`). Page words that no
    pronunciation could be found for are in :attr:`unknown_words`. With ``accents`` (the
    default) the page's words also get their consonant accent variants that are no other
    word: "thing" said "fing" is heard as "thing", in the live decode and the second looks
    alike.

    With ``denoise`` (the default) the audio goes through :class:`~sidekick.audio.denoise.
    Denoiser` first, streaming; a recording without noise passes through unchanged.

    With ``adapt_warp`` (the default) the frequency warp follows the reader's pitch
    (:func:`~sidekick.listening.sphinx_reader.warp_for_pitch`): at the end of an utterance
    the pitch is measured and, if it calls for another warp than the one the utterance was
    decoded with, the utterance is decoded again with it. The warp stays for the next page,
    so a reader's later pages are decoded once; a page with no voice in it (silence, noise)
    leaves it as it was. For a new reader the warp is already chosen while they read
    (:data:`LIVE_PITCH_S`), so that the words light up as they are read.

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
        model = model_dir()
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
        self.adapt_warp = adapt_warp and not WARP_FIXED
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

    def _load(
        self, words: list[str], misreadings: Mapping[str, Sequence[str]] | None = None
    ) -> None:
        page = write_page_model(
            words, misreadings or {}, self._dict_file, self._lm_file,
            distractors=self.distractors, accents=self.accents,
        )  # fmt: skip
        self.vocabulary, self.unknown_words = page.vocabulary, page.unknown_words
        self._prons = page.entries
        dict_path, lm_path = self._dict_file.path, self._lm_file.path
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
                    base_word(seg.word),
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
        heard = [seg.word for seg in self._decoder.seg() or () if seg.word in self._prons]
        if not heard:
            return False
        if self._features is None:
            self._features = FeatureLog()  # the front end's log of each utterance, in memory
            self._files.append(self._features)
        aligner = self._helper("_aligner", mfclogdir=str(self._features.folder))
        transform = fit_transform(aligner, self._features, audio, heard, self._prons, self._hmm)
        if transform is None:
            return False
        self._transform.write(transform.encode("ascii"))
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

    def second_look(self, stretch: Stretch) -> bool:
        """Decode just this stretch again with a grammar of the written word or the heard one
        (:func:`~sidekick.listening.sphinx_second_look.second_look`), with the current warp
        and the reader's transform, and the utterance's noise estimate."""
        return second_look(stretch, self.vocabulary, self._checker_for_page, self._denoiser)

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
