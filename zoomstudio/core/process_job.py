"""Run a job generator in a child process and stream its value events back.

Long CPU-bound jobs (training) hold the GIL for long stretches: importing torch
the first time, building pairs, large numpy operations. Run in a thread of the
GUI process, that freezes the event loop; in a child process it cannot.
:func:`run_in_child` is itself a job generator (same events, same cancel token),
so the GUI's :class:`JobRunner` and the CLI consume it like any other job.

The job is named by ``"package.module:function"`` so the parent never imports
it (the GUI process never loads torch for training). The function is called as
``function(*args, cancel=token, **kwargs)`` in the child and must yield
picklable value events (dataclasses of numbers, strings, numpy arrays).
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import os
import threading
import time
import traceback
from typing import Any, Iterator

from .events import CancelToken

log = logging.getLogger(__name__)

#: how often the parent looks for a cancel request while no event arrives (seconds)
POLL_S = 0.05


class ChildJobError(RuntimeError):
    """The job raised in the child (``details``: its traceback) or its process died."""

    def __init__(self, message: str, details: str = "") -> None:
        super().__init__(message)
        self.details = details


def _resolve(target: str):
    module, _, name = target.partition(":")
    if not module or not name:
        raise ValueError(f"job target must be 'package.module:function', got {target!r}")
    return getattr(importlib.import_module(module), name)


class SharedFlag:
    """A cancel flag in shared memory that both processes read and set without any lock.

    ``multiprocessing.Event`` guards its flag with a semaphore: a process killed (out of memory,
    SIGKILL, terminate) while holding it leaves it held, and the other side's next ``set`` or
    ``is_set`` blocks for ever. One aligned byte written once needs no lock.
    """

    def __init__(self, ctx) -> None:
        self._value = ctx.RawValue("b", 0)

    def set(self) -> None:
        self._value.value = 1

    def is_set(self) -> bool:
        return bool(self._value.value)


def _watch_parent(parent_pid: int, token: CancelToken) -> None:
    """Cancel (the job saves its state) if the parent process disappears."""
    while not token.cancelled:
        time.sleep(1.0)
        if os.getppid() != parent_pid:
            log.warning("parent process %d is gone; cancelling the job", parent_pid)
            token.cancel()
            return


def _child_main(conn, cancel_event, target: str, args: tuple, kwargs: dict, parent_pid: int, nice: int) -> None:
    token = CancelToken(cancel_event)  # the parent's cancel request, shared across processes
    threading.Thread(target=_watch_parent, args=(parent_pid, token), daemon=True).start()
    if nice and hasattr(os, "nice"):
        try:  # a background job yields the cores to the interactive process first
            os.nice(nice)
        except OSError:
            pass
    try:
        for event in _resolve(target)(*args, cancel=token, **kwargs):
            conn.send(("event", event))
    except Exception as exc:
        conn.send(("failed", f"{type(exc).__name__}: {exc}", traceback.format_exc()))
    finally:
        conn.close()


def run_in_child(target: str, *args: Any, cancel: CancelToken | None = None, nice: int = 0,
                 **kwargs: Any) -> Iterator[Any]:
    """Yield the events of ``target(*args, cancel=..., **kwargs)`` run in a fresh (spawned) process.

    Cancelling ``cancel`` forwards the request to the child, whose job returns
    normally after its cleanup; this generator then returns too. An exception
    in the child, or the child dying (killed, out of memory), raises
    :class:`ChildJobError` with the reason. Closing this generator early stops
    the child (cancel first, then terminate after 30 s).
    """
    cancel = cancel or CancelToken()
    ctx = multiprocessing.get_context("spawn")
    receiver, sender = ctx.Pipe(duplex=False)
    child_cancel = SharedFlag(ctx)
    process = ctx.Process(target=_child_main, name=f"zoomstudio-job {target}",
                          args=(sender, child_cancel, target, args, kwargs, os.getpid(), nice))
    process.start()
    sender.close()  # the child holds the only writer: EOF once it exits
    failure: tuple[str, str] | None = None
    try:
        while True:
            if cancel.cancelled and not child_cancel.is_set():
                child_cancel.set()
            if not receiver.poll(POLL_S):
                continue
            try:
                message = receiver.recv()
            except EOFError:
                break
            if message[0] == "event":
                yield message[1]
            else:
                failure = (message[1], message[2])
    finally:
        if process.is_alive():  # closed early: ask the job to stop and clean up first
            child_cancel.set()
        process.join(30.0)
        if process.is_alive():
            log.warning("job process %s did not stop; terminating it", process.pid)
            process.terminate()
            process.join(5.0)
        receiver.close()
    if failure is not None:
        raise ChildJobError(*failure)
    if process.exitcode:
        raise ChildJobError(f"the job's process exited with code {process.exitcode}"
                            + (" (killed: out of memory?)" if process.exitcode in (-9, 137) else ""))


def probe(*, cancel: CancelToken | None = None) -> Iterator[dict]:
    """A job that reports where it runs (``zoomstudio doctor`` checks child-process jobs with it)."""
    import torch

    yield {"pid": os.getpid(), "torch": torch.__version__, "threads": torch.get_num_threads()}
