"""Listening: streaming speech recognition of a page (Vosk, or pocketsphinx as the fallback).

The engines are imported lazily by :func:`create_listener`; importing this package does not
load vosk or pocketsphinx.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sidekick.listening.base import SAMPLE_RATE, HeardWord, Hypothesis, Listener
from sidekick.listening.factory import NO_VOSK_NOTICE, create_listener
from sidekick.listening.models import (
    DISTRACTORS,
    VOSK_MODEL_NAME,
    VOSK_MODEL_SHA256,
    VOSK_MODEL_URL,
    find_vosk_model,
    install_vosk_model,
    page_words,
    vosk_model_problem,
)

if TYPE_CHECKING:
    from sidekick.listening.sphinx_engine import SphinxListener
    from sidekick.listening.vosk_engine import VoskListener

__all__ = [
    "DISTRACTORS",
    "NO_VOSK_NOTICE",
    "SAMPLE_RATE",
    "VOSK_MODEL_NAME",
    "VOSK_MODEL_SHA256",
    "VOSK_MODEL_URL",
    "HeardWord",
    "Hypothesis",
    "Listener",
    "SphinxListener",
    "VoskListener",
    "create_listener",
    "find_vosk_model",
    "install_vosk_model",
    "page_words",
    "vosk_model_problem",
]


def __getattr__(name: str) -> Any:
    if name == "VoskListener":
        from sidekick.listening.vosk_engine import VoskListener

        return VoskListener
    if name == "SphinxListener":
        from sidekick.listening.sphinx_engine import SphinxListener

        return SphinxListener
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
