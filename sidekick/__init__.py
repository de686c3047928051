"""Sidekick: an offline reading companion for children."""

from sidekick.offline import keep_offline

keep_offline()  # before anything Sidekick uses is imported: no telemetry, no network

__version__ = "0.1.0"
