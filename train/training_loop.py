"""The skeleton both learnt models' training loops share: ``fit`` and the duration aligner.

A run resumes from its checkpoint: :func:`atomic_save` writes it whole or not at all, and
:func:`saving_on_interrupt` writes it on Ctrl-C (and on ``kill``, which the command line
turns into Ctrl-C) and at the end. :class:`StepWindow` averages the values of the steps
between two log lines, times them, and appends the rows to ``RUN/log.jsonl``.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch


def pick_device(name: str, local_rank: int | None = None) -> torch.device:
    """``auto``: CUDA when present (``local_rank``: this process's GPU under torchrun), else
    the CPU; any other name as torch spells it (``cpu``, ``cuda:1``)."""
    if name == "auto":
        cuda = "cuda" if local_rank is None else f"cuda:{local_rank}"
        return torch.device(cuda if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def atomic_save(obj: dict[str, Any], path: Path) -> None:
    """``torch.save`` to a temporary file, then renamed: an interrupted save keeps the old one."""
    tmp = path.with_name(f".{path.name}.tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


@contextmanager
def saving_on_interrupt(save: Callable[[], None]) -> Iterator[None]:
    """Run the loop inside; ``save()`` when it ends, and on Ctrl-C before passing it on."""
    try:
        yield
    except KeyboardInterrupt:
        save()
        raise
    save()


class StepWindow:
    """The steps since the last log line: their summed values and how long they took."""

    def __init__(self, log_path: Path, elapsed: float = 0.0, write: bool = True) -> None:
        self.log_path = log_path
        self.elapsed = elapsed  # seconds of training so far, earlier sessions of the run included
        self.enabled = write
        self.sums: dict[str, float] = {}
        self.steps = 0
        self.tick = time.perf_counter()

    def add(self, values: dict[str, float]) -> None:
        for key, value in values.items():
            self.sums[key] = self.sums.get(key, 0.0) + value
        self.steps += 1

    def close(self) -> tuple[dict[str, float], float]:
        """The window's mean values and seconds per step; the next window starts now."""
        now = time.perf_counter()
        per_step = (now - self.tick) / self.steps
        self.elapsed += now - self.tick
        self.tick = now
        means = {key: value / self.steps for key, value in self.sums.items()}
        self.sums, self.steps = {}, 0
        return means, per_step

    def write(self, row: dict[str, Any]) -> None:
        """Append one row to the log (nothing when this process does not write)."""
        if self.enabled:
            with open(self.log_path, "a", encoding="utf-8") as f:
                f.write(json.dumps(row) + "\n")
