"""How a written word sounds when no dictionary says: espeak-ng's letter-to-sound rules.

* :func:`phonemize`: IPA phonemes for a text from espeak-ng (through the bridge bundled with
  the ``piper`` package), the symbols Piper voices and the voice bundles are built on.
* :func:`pronunciations`: the CMU dictionary's pronunciations of a word, as ARPAbet strings.
* :func:`guess_pronunciation`: ARPAbet for a word the CMU dictionary lacks: from the parts of
  a compound ("ice-cream", "fox's") when the dictionary knows them, else espeak-ng's IPA
  mapped to CMU phones (:func:`ipa_to_arpabet`).
"""

from __future__ import annotations

import re
import threading
import unicodedata

_PHONEMIZER_LOCK = threading.Lock()
_PHONEMIZER = None


def phonemize(text: str, espeak_voice: str = "en-us") -> list[str]:
    """IPA phonemes for ``text`` as one list (espeak-ng, the symbols Piper voices use)."""
    global _PHONEMIZER
    with _PHONEMIZER_LOCK:
        if _PHONEMIZER is None:
            from piper.phonemize_espeak import EspeakPhonemizer

            _PHONEMIZER = EspeakPhonemizer()
        sentences = _PHONEMIZER.phonemize(espeak_voice, text)
    phonemes: list[str] = []
    for i, sentence in enumerate(sentences):
        if i:
            phonemes.append(" ")
        phonemes.extend(sentence)
    return phonemes


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
_SIBILANT = {"S", "Z", "SH", "ZH", "CH", "JH"}
_VOICELESS = {"P", "T", "K", "F", "TH"}


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
        ipa = "".join(phonemize(word.replace("-", " ")))
    except Exception:  # no espeak: the word is left out of the page's vocabulary
        return None
    phones = ipa_to_arpabet(ipa)
    return phones or None
