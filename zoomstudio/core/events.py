"""Small value events and a cancel token shared by every long-running job.

Long work (alignment, synthesis, training, zoom, evaluation) is written as a
generator that yields these events and checks a :class:`CancelToken`. The CLI
and the GUI are two consumers of the same generators. Events carry plain
values only (numbers, strings, small numpy copies) so they can cross threads.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any


class CancelToken:
    """Thread-safe flag a consumer sets to ask a job to stop at its next check.

    ``event``: any object with ``set`` / ``is_set`` (default a ``threading.Event``);
    a flag in shared memory (``process_job.SharedFlag``) lets a parent process cancel a job in a child.
    """

    def __init__(self, event=None) -> None:
        self._event = event if event is not None else threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


@dataclass(frozen=True)
class Progress:
    """``done`` of ``total`` units finished; ``message`` says what is going on."""

    done: int
    total: int
    message: str = ""

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0


@dataclass(frozen=True)
class Problem:
    """A non-fatal failure of one item (a file, a frame); the job goes on."""

    item: str
    reason: str

    def __str__(self) -> str:
        return f"{self.item}: {self.reason}"


@dataclass(frozen=True)
class Result:
    """A finished item and what it produced (paths, numbers)."""

    item: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Cancelled:
    """The job noticed the cancel token and returned after cleaning up."""

    message: str = "cancelled"
