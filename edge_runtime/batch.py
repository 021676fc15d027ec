"""Run one job per input file over a process pool, with a progress bar and a failure list.

One bad file is reported and skipped; the others finish. Workers are spawned (not
forked) so MediaPipe and LiteRT threads never get copied mid-flight. On Ctrl-C or
SIGTERM only the parent decides: workers ignore both signals; the parent sets a shared
event and each worker stops at its next frame through its own clean-up (cancel.py).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from edge_runtime import cancel
from edge_runtime.errors import EdgeEmoError


@dataclass(frozen=True)
class BatchOutcome:
    item: Any
    result: Any = None
    error: str | None = None
    exit_code: int = 0


def _call(func: Callable, item: Any, args: tuple) -> BatchOutcome:
    try:
        return BatchOutcome(item, func(item, *args))
    except EdgeEmoError as exc:
        return BatchOutcome(item, error=str(exc), exit_code=exc.exit_code)
    except Exception as exc:  # one file must not take the batch down
        return BatchOutcome(
            item, error=f"{item}: unexpected {type(exc).__name__}: {exc}", exit_code=1
        )


def _init_worker(stop_event) -> None:
    for signum in cancel.STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
    cancel.install(stop_event)
    if hasattr(signal, "pthread_sigmask"):  # POSIX; blocked by the parent at spawn
        signal.pthread_sigmask(signal.SIG_UNBLOCK, cancel.STOP_SIGNALS)


@contextlib.contextmanager
def _signals_blocked():
    if not hasattr(signal, "pthread_sigmask"):  # Windows: no signal masks
        yield
        return
    held = signal.pthread_sigmask(signal.SIG_BLOCK, cancel.STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def default_jobs(n_items: int) -> int:
    return max(1, min(n_items, os.cpu_count() or 1))


def run_batch(
    func: Callable,
    items: Sequence[Any],
    args: tuple = (),
    jobs: int | None = None,
    description: str = "working",
    quiet: bool = False,
) -> list[BatchOutcome]:
    """Apply `func(item, *args)` to every item; outcomes come back in input order."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    jobs = jobs or default_jobs(len(items))
    outcomes: dict[int, BatchOutcome] = {}
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, disable=quiet, transient=False) as progress:
        task = progress.add_task(description, total=len(items))
        if jobs == 1 or len(items) == 1:
            with cancel.stop_on_signals():
                for i, item in enumerate(items):
                    cancel.raise_if_stopped()
                    outcomes[i] = _call(func, item, args)
                    progress.advance(task)
        else:
            context = multiprocessing.get_context("spawn")
            stop = context.Event()
            pool = ProcessPoolExecutor(
                max_workers=jobs, mp_context=context, initializer=_init_worker, initargs=(stop,)
            )
            try:
                # The same stop mechanism as one job in-process (cancel.py): a signal only
                # asks for a stop, whatever disposition this process inherited (a shell
                # starts background jobs with SIGINT ignored, and Python then installs no
                # Ctrl-C handler of its own: the pool used to run on to the end there).
                with cancel.stop_on_signals():
                    # Workers start with the stop signals blocked (the mask survives exec), so
                    # a Ctrl-C during their start-up cannot interrupt them before they ignore it.
                    with _signals_blocked():
                        futures = {
                            pool.submit(_call, func, item, args): i for i, item in enumerate(items)
                        }
                    pending = set(futures)
                    while pending:
                        cancel.raise_if_stopped()
                        done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                        for future in done:
                            outcomes[futures[future]] = future.result()
                            progress.advance(task)
            except KeyboardInterrupt:
                stop.set()  # running jobs stop at their next frame and clean up
                pool.shutdown(wait=True, cancel_futures=True)
                raise
            pool.shutdown()
    return [outcomes[i] for i in range(len(items))]
