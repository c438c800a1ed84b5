"""Terminal consumer of core job events: a progress line, problems, results."""

from __future__ import annotations

import signal
import sys
import time
from contextlib import contextmanager
from typing import Iterable, Iterator

from ..core.events import Cancelled, Problem, Progress, Result


class TerminalProgress:
    """Draws ``[####      ] 40% message`` on stderr (a redrawn line on a TTY)."""

    def __init__(self, stream=None, width: int = 28, quiet: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self.quiet = quiet
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._last_len = 0
        self._last_draw = 0.0
        self.start = time.perf_counter()

    def update(self, p: Progress) -> None:
        if self.quiet:
            return
        now = time.perf_counter()
        if self.tty and p.done < p.total and now - self._last_draw < 0.1:
            return
        self._last_draw = now
        frac = p.fraction
        filled = int(round(frac * self.width))
        elapsed = now - self.start
        eta = f" ETA {elapsed / frac - elapsed:4.0f}s" if 0 < frac < 1 and elapsed > 1 else ""
        line = f"[{'#' * filled}{' ' * (self.width - filled)}] {frac * 100:3.0f}% {p.message}{eta}"
        if self.tty:
            pad = max(0, self._last_len - len(line))
            self.stream.write("\r" + line + " " * pad)
            self._last_len = len(line)
            if p.done >= p.total:
                self.stream.write("\n")
                self._last_len = 0
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def message(self, text: str) -> None:
        if self.tty and self._last_len:
            self.stream.write("\r" + " " * self._last_len + "\r")
            self._last_len = 0
        self.stream.write(text + "\n")
        self.stream.flush()


def consume(events: Iterable, progress: TerminalProgress | None = None) -> tuple[list[Result], list[Problem], bool]:
    """Run a job generator to its end. Returns (results, problems, cancelled)."""
    progress = progress or TerminalProgress()
    results: list[Result] = []
    problems: list[Problem] = []
    cancelled = False
    for event in events:
        if isinstance(event, Progress):
            progress.update(event)
        elif isinstance(event, Problem):
            problems.append(event)
            progress.message(f"warning: {event}")
        elif isinstance(event, Result):
            results.append(event)
        elif isinstance(event, Cancelled):
            cancelled = True
            progress.message(event.message)
    return results, problems, cancelled


@contextmanager
def interrupt_cancels(token) -> Iterator[None]:
    """For the block, the first Ctrl-C sets ``token`` (the job finishes cleanly: a checkpoint, no
    half-written file) instead of killing the process; a second Ctrl-C interrupts at once."""
    previous = signal.getsignal(signal.SIGINT)

    def on_interrupt(signum, frame):
        token.cancel()
        signal.signal(signal.SIGINT, previous)

    try:
        signal.signal(signal.SIGINT, on_interrupt)
    except ValueError:  # not the main thread: Ctrl-C cannot be caught here, the default stays
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def interruptible(events: Iterable, token) -> Iterator:
    """``events`` (a job generator built with ``token``), with Ctrl-C cancelling it while it runs."""
    with interrupt_cancels(token):
        yield from events
