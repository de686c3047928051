"""Where things live: bundled books and voices, and the user's data directory."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_config_path, user_data_path

REPO_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_BOOKS = REPO_ROOT / "books"
BUNDLED_VOICES = REPO_ROOT / "voices"


def data_dir() -> Path:
    """The user data directory (``SIDEKICK_HOME`` overrides it, e.g. in tests)."""
    override = os.environ.get("SIDEKICK_HOME")
    return Path(override) if override else user_data_path("sidekick", appauthor=False)


def config_dir() -> Path:
    """The user config directory (under ``SIDEKICK_HOME`` when that is set)."""
    override = os.environ.get("SIDEKICK_HOME")
    return Path(override) / "config" if override else user_config_path("sidekick", appauthor=False)


def user_books_dir() -> Path:
    return data_dir() / "books"


def models_dir() -> Path:
    return data_dir() / "models"
