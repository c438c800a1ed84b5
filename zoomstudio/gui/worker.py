"""Running core generators off the GUI thread.

A :class:`JobRunner` runs one generator of value events in a ``QThread``
and re-emits each event through a queued signal, so widgets are only ever
touched on the GUI thread. Cancelling sets the job's ``CancelToken``; the
generator cleans up and returns normally. Exceptions become a ``failed``
signal with a one-line message and the full details.
"""

from __future__ import annotations

import traceback
from typing import Callable, Iterator

from PySide6.QtCore import QObject, Qt, QThread, Signal

from ..core.events import CancelToken
from ..core.process_job import ChildJobError


class _Worker(QObject):
    event = Signal(object)
    failed = Signal(str, str)
    done = Signal()

    def __init__(self, make: Callable[[CancelToken], Iterator], token: CancelToken) -> None:
        super().__init__()
        self._make = make
        self._token = token

    def run(self) -> None:
        try:
            for ev in self._make(self._token):
                self.event.emit(ev)
        except Exception as exc:  # shown in an error dialog; the app keeps working
            if isinstance(exc, ChildJobError):  # already "Type: message", with the child's traceback
                self.failed.emit(str(exc), exc.details or traceback.format_exc())
            else:
                self.failed.emit(f"{type(exc).__name__}: {exc}", traceback.format_exc())
        finally:
            self.done.emit()


class JobRunner(QObject):
    """Start a job with :meth:`start`; connect to ``event``, ``failed`` and ``finished``."""

    event = Signal(object)
    failed = Signal(str, str)
    finished = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: QThread | None = None
        self._worker: _Worker | None = None
        self.token = CancelToken()

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self, make: Callable[[CancelToken], Iterator]) -> None:
        if self.running:
            raise RuntimeError("a job is already running")
        self.token = CancelToken()
        self._thread = QThread()
        self._worker = _Worker(make, self.token)
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._worker.event.connect(self.event)
        self._worker.failed.connect(self.failed)
        # Direct: QThread.quit is thread-safe, and a queued call would need the GUI event loop,
        # which is blocked while shutdown() waits for this thread.
        self._worker.done.connect(self._thread.quit, Qt.DirectConnection)
        self._thread.finished.connect(self._cleanup)
        self._thread.start()

    def cancel(self) -> None:
        self.token.cancel()

    def wait(self, ms: int = 30000) -> bool:
        if self._thread is None:
            return True
        return self._thread.wait(ms)

    def _cleanup(self) -> None:
        if self._worker is not None:
            self._worker.deleteLater()
        if self._thread is not None:
            self._thread.deleteLater()
        self._worker = None
        self._thread = None
        self.finished.emit()
