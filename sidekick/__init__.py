"""Sidekick: an offline reading companion for children."""

__version__ = "0.1.0"
