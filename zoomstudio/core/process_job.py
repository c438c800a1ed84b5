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
import itertools
import logging
import multiprocessing
import os
import queue
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


def _serve(conn, factory: str) -> None:
    """The service process: one session object, each request's job in its own thread, events back."""
    session = _resolve(factory)()
    tokens: dict[int, CancelToken] = {}
    send_lock = threading.Lock()
    workers: list[threading.Thread] = []

    def send(message) -> None:
        with send_lock:
            conn.send(message)

    def work(job_id: int, method: str, args: tuple, kwargs: dict) -> None:
        try:
            for event in getattr(session, method)(*args, cancel=tokens[job_id], **kwargs):
                send(("event", job_id, event))
            send(("done", job_id))
        except Exception as exc:
            try:
                send(("failed", job_id, f"{type(exc).__name__}: {exc}", traceback.format_exc()))
            except OSError:  # the parent is gone
                pass
        finally:
            tokens.pop(job_id, None)

    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):  # the parent closed its end or died: stop
            break
        if message[0] == "run":
            _, job_id, method, args, kwargs = message
            if method.startswith("_") or not callable(getattr(session, method, None)):
                send(("failed", job_id, f"ValueError: the service has no job {method!r}", ""))
                continue
            tokens[job_id] = CancelToken()
            workers = [w for w in workers if w.is_alive()]
            workers.append(threading.Thread(target=work, args=(job_id, method, args, kwargs), daemon=True))
            workers[-1].start()
        elif message[0] == "cancel" and message[1] in tokens:
            tokens[message[1]].cancel()
        elif message[0] == "stop":
            break
    for token in list(tokens.values()):
        token.cancel()
    for worker in workers:
        worker.join(30.0)
    conn.close()


class ChildService:
    """A long-lived child process that keeps its state between jobs (decoded files, a loaded model).

    ``factory`` (``"package.module:Class"``) is called once in the child; each
    :meth:`run` calls one of its job methods there (``method(*args, cancel=token,
    **kwargs)``, a generator of picklable value events) and yields those events
    here, like :func:`run_in_child`, without paying a process start and a torch
    import per job. Jobs run concurrently in the child, each in its own thread.
    The process starts on the first job; if it dies, the jobs in flight raise
    :class:`ChildJobError` and the next job starts a fresh one. Thread-safe.
    """

    def __init__(self, factory: str, name: str = "zoomstudio-service") -> None:
        self.factory = factory
        self.name = name
        self._lock = threading.Lock()
        self._reap_lock = threading.Lock()
        self._ids = itertools.count(1)
        self._pending: dict[int, queue.Queue] = {}
        self._process = None
        self._conn = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.is_alive()

    def start(self) -> None:
        """Start the process now (it starts with the first job otherwise), e.g. while the user picks files."""
        with self._lock:
            if self._process is None or not self._process.is_alive():
                self._start()

    def _start(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        here, there = ctx.Pipe(duplex=True)
        self._process = ctx.Process(target=_serve, name=self.name, args=(there, self.factory), daemon=True)
        self._process.start()
        there.close()
        self._conn = here
        threading.Thread(target=self._read, args=(here, self._process), name=f"{self.name}-reader",
                         daemon=True).start()

    def _send(self, message) -> None:
        with self._lock:
            if self._conn is None:
                raise ChildJobError(f"the {self.name} process is not running")
            self._conn.send(message)

    def _read(self, conn, process) -> None:
        """Hand each event to its job's queue; on EOF, fail every job still waiting."""
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                break
            with self._lock:
                waiting = self._pending.get(message[1])
            if waiting is not None:
                waiting.put((message[0],) + tuple(message[2:]))
        with self._reap_lock:  # one thread reaps the child: two joining at once can see it alive for ever
            process.join(5.0)
        with self._lock:
            if self._process is process:
                self._process, self._conn = None, None
            orphans = list(self._pending.values())
        for waiting in orphans:
            waiting.put(("failed", f"the {self.name} process exited with code {process.exitcode}", ""))

    def run(self, method: str, *args: Any, cancel: CancelToken | None = None, **kwargs: Any) -> Iterator[Any]:
        """Yield the events of ``session.method(*args, cancel=..., **kwargs)`` run in the service."""
        waiting: queue.Queue = queue.Queue()
        with self._lock:
            if self._process is None or not self._process.is_alive():
                self._start()
            job_id = next(self._ids)
            self._pending[job_id] = waiting
        finished = cancel_sent = False
        try:
            self._send(("run", job_id, method, args, kwargs))
            while True:
                if cancel is not None and cancel.cancelled and not cancel_sent:
                    self._send(("cancel", job_id))
                    cancel_sent = True
                try:
                    message = waiting.get(timeout=POLL_S)
                except queue.Empty:
                    continue
                if message[0] == "event":
                    yield message[1]
                elif message[0] == "done":
                    finished = True
                    return
                else:
                    finished = True
                    raise ChildJobError(message[1], message[2])
        finally:
            with self._lock:
                self._pending.pop(job_id, None)
            if not finished:  # closed early: the job in the child stops too
                try:
                    self._send(("cancel", job_id))
                except (ChildJobError, OSError):
                    pass

    def close(self, timeout: float = 30.0) -> None:
        """Stop the service (its jobs are cancelled and finish their cleanup first)."""
        with self._lock:
            process, conn = self._process, self._conn
            self._process, self._conn = None, None
        if process is None:
            return
        try:
            conn.send(("stop",))
        except OSError:
            pass
        with self._reap_lock:
            process.join(timeout)
        if process.exitcode is None:
            log.warning("%s process %s did not stop; terminating it", self.name, process.pid)
            process.terminate()
            process.join(5.0)
        conn.close()


def probe(*, cancel: CancelToken | None = None) -> Iterator[dict]:
    """A job that reports where it runs (``zoomstudio doctor`` checks child-process jobs with it)."""
    import torch

    yield {"pid": os.getpid(), "torch": torch.__version__, "threads": torch.get_num_threads()}
