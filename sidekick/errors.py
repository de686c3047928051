"""User-facing errors.

Anything a family or teacher can cause (a missing book, no microphone, a broken model
directory) is raised as a :class:`SidekickError` whose message is one clear line. The CLI
prints that line without a traceback; the UI shows it as a notification.
"""


class SidekickError(Exception):
    """An error whose message is meant for the user, as one line."""


class BookError(SidekickError):
    """A book file that cannot be read or parsed."""


class AudioDeviceError(SidekickError):
    """No usable microphone or speaker (or PortAudio is missing)."""


class ModelError(SidekickError):
    """A recognizer or voice model that is missing or broken."""
