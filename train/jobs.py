"""Progress bars (rich) and a process pool that reports progress as results arrive."""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def progress_bar(enabled: bool = True, info: bool = False):  # -> rich.progress.Progress
    """The project's progress bar; ``info``: a last column showing the task's ``info`` field
    (training losses); ``enabled`` False: a bar that draws nothing."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    extra = [TextColumn("{task.fields[info]}")] if info else []
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        *extra,
        transient=False,
        disable=not enabled,
    )


def track(
    items: Iterable[T], description: str, enabled: bool = True, total: int | None = None
) -> Iterator[T]:
    """Iterate with a progress bar (or silently); ``total`` defaults to ``len(items)``."""
    if not enabled:
        yield from items
        return
    with progress_bar() as progress:
        task = progress.add_task(
            description,
            total=len(items) if total is None else total,  # type: ignore[arg-type]
        )
        for item in items:
            yield item
            progress.advance(task)


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


def parallel_map(
    func: Callable[[Any], R],
    items: Sequence[Any],
    description: str,
    workers: int = 2,
    initializer: Callable[..., None] | None = None,
    initargs: tuple = (),
    progress: bool = True,
) -> Iterable[R]:
    """``func`` over ``items`` in ``workers`` processes, results in completion order.

    With one worker everything runs in this process (easier to debug, no pickling).
    """
    if not items:
        return
    if workers <= 1:
        if initializer:
            initializer(*initargs)
        yield from (func(x) for x in track(items, description, progress))
        return
    ctx = mp.get_context("spawn")  # no forked onnxruntime/torch state
    with ctx.Pool(workers, initializer=initializer, initargs=initargs) as pool:
        results = pool.imap_unordered(func, items, chunksize=1)
        yield from track(results, description, progress, total=len(items))
