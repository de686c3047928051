"""No network at run time: every dependency's telemetry is turned off here, once, before any of
them loads.

onnxruntime (1.29 and later, Linux builds included) starts a telemetry client when it is
imported: it keeps ``~/.cache/Microsoft/DeveloperTools/.onnxruntime/onnxruntime.db`` (events
with the OS, CPU, Python path and a device id) and, about 15 s later, looks up
``mobile.events.data.microsoft.com`` to send them. ``ORT_DISABLE_TELEMETRY`` set before the
import stops all of it; ``disable_telemetry_events()`` alone comes too late (the client and
its files already exist by then), so it is only a second line for a process that imported
onnxruntime before Sidekick. Importing :mod:`sidekick` calls :func:`keep_offline`.
"""

from __future__ import annotations

import os
import sys

#: Environment switches that keep dependencies quiet. DO_NOT_TRACK is the common opt-out
#: that several libraries honour.
QUIET_ENV = {"ORT_DISABLE_TELEMETRY": "1", "DO_NOT_TRACK": "1"}


def keep_offline() -> None:
    """Turn off every dependency's telemetry (idempotent, cheap)."""
    os.environ.update(QUIET_ENV)
    ort = sys.modules.get("onnxruntime")
    if ort is not None and hasattr(ort, "disable_telemetry_events"):
        ort.disable_telemetry_events()
