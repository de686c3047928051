"""Choosing the recognizer: Vosk when an English model is found, pocketsphinx otherwise.

It sits above :mod:`sidekick.listening.models` and both engines (which use the models
module's page vocabulary), and imports the engines only when a listener is made, so that
importing :mod:`sidekick.listening` loads neither vosk nor pocketsphinx.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from sidekick.errors import ModelError
from sidekick.listening.models import VOSK_MODEL_ENV, find_vosk_model
from sidekick.paths import models_dir

if TYPE_CHECKING:
    from sidekick.listening.base import Listener

ENGINES = ("auto", "vosk", "pocketsphinx")

NO_VOSK_NOTICE = (
    "No English Vosk model found: using pocketsphinx "
    "(run `sidekick models install` for better recognition)."
)


def create_listener(
    engine: str | None = None, vosk_model: str | os.PathLike[str] | None = None
) -> tuple[Listener, str | None]:
    """The recognizer to use and a one-line notice for the user (or None).

    ``engine``: None/"auto" (Vosk if an English model is found, else pocketsphinx), "vosk"
    (ModelError without a model) or "pocketsphinx".
    """
    choice = (engine or "auto").lower()
    if choice == "sphinx":
        choice = "pocketsphinx"
    if choice not in ENGINES:
        raise ModelError(f"Unknown recognizer {engine!r}: choose one of {', '.join(ENGINES)}.")

    from sidekick.listening.sphinx_engine import SphinxListener
    from sidekick.listening.vosk_engine import VoskListener

    if choice == "pocketsphinx":
        return SphinxListener(), None
    path = find_vosk_model(vosk_model)  # explicit/env problems raise here
    if path is None:
        if choice == "vosk":
            raise ModelError(
                "No English Vosk model found: run `sidekick models install`, or pass "
                "--vosk-model PATH, or put the unzipped model in " + str(models_dir()) + "."
            )
        return SphinxListener(), NO_VOSK_NOTICE
    explicit = bool(vosk_model or os.environ.get(VOSK_MODEL_ENV))
    try:
        listener = VoskListener(path)
    except ModelError as exc:
        if choice == "vosk" or explicit:
            raise
        return SphinxListener(), f"{exc} Using pocketsphinx instead."
    notice = None
    if not listener.uses_grammar:
        notice = f"Vosk model {path.name} has a static graph: recognizing without the page grammar."
    return listener, notice
