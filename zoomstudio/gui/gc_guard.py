"""Python's cyclic garbage collector, run only on the GUI thread.

The collector runs in whichever thread happens to allocate when a threshold is
crossed. If that is a worker thread and the garbage holds Qt wrappers made on
the GUI thread (widgets, pixmaps, closures over them), Qt objects are destroyed
off their thread, which Qt does not allow. While a main window lives, automatic
collection is off and a GUI-thread timer collects instead, with the
interpreter's own generation thresholds (pyqtgraph's GarbageCollector does the
same; this one is owned by the window and turns collection back on when the
last window is destroyed).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

_holders = 0  # windows keeping automatic collection off (gc itself is process-wide)


def _release() -> None:
    """A window is being destroyed. Its ``destroyed`` signal comes before its children are deleted, and
    a collection running inside that deletion (any allocation may start one) deletes other Qt wrappers
    re-entrantly, which deadlocked on a Qt mutex the outer destructor held: so automatic collection comes
    back only on the next turn of the event loop, once the deletion is over, and only if no window has
    taken it again by then."""
    global _holders
    _holders = max(0, _holders - 1)
    if _holders == 0:
        QTimer.singleShot(0, _enable_if_free)


def _enable_if_free() -> None:
    if _holders == 0:
        gc.enable()


class GuiThreadGarbageCollector(QObject):
    """Owned by a window: disables automatic gc until the window is destroyed."""

    def __init__(self, parent: QObject, interval_ms: int = 100) -> None:
        global _holders
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        _holders += 1
        gc.disable()
        parent.destroyed.connect(_release)  # a plain function: this object is gone by then
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.collect)
        self.timer.start()

    def collect(self) -> int:
        """Collect the generations whose counts crossed their thresholds, as gc would."""
        counts = gc.get_count()
        found = 0
        for generation in range(3):
            if counts[generation] <= self.thresholds[generation]:
                break
            found += gc.collect(generation)
        return found
