"""Helpers shared by the tests: UI pilots and scripted sessions, book builders, listening,
voice training."""
