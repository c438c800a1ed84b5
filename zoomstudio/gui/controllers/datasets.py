"""The dataset controller: open an SR-RAW root (scanned in a worker), show a sequence in the FOV and
Alignment tabs, and re-align it; all disk work in workers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal

from ...core.alignment.review import sequence_review
from ...core.data.srraw import DatasetIndex, Sequence, iter_scan
from ...core.events import Cancelled, Problem, Progress, Result
from ..worker import JobRunner


class DatasetController(QObject):
    """Drives the sequence ``browser``, the ``fov`` view and the alignment ``inspector``.

    ``index``: the open dataset (``None`` before one is read); ``sequence``: the one shown.
    Signals: ``status(text)`` for the status line, ``error(message, details)``, ``opened(root)``.
    """

    status = Signal(str)
    error = Signal(str, str)
    opened = Signal(str)

    def __init__(self, browser, fov, inspector, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.browser, self.fov, self.inspector = browser, fov, inspector
        self.scan_job = JobRunner(self)
        self.preview_job = JobRunner(self)
        self.align_job = JobRunner(self)
        self.jobs = (self.align_job, self.preview_job, self.scan_job)
        for job in self.jobs:
            job.failed.connect(self.error)
        self.index: DatasetIndex | None = None
        self._pending_index: DatasetIndex | None = None
        self.sequence: Sequence | None = None
        self.scan_job.event.connect(self._scan_event)
        self.scan_job.finished.connect(self._scan_done)
        self.preview_job.event.connect(self._preview_event)
        self.align_job.event.connect(self._align_event)
        self.align_job.finished.connect(self._align_finished)
        browser.sequence_selected.connect(self.open_sequence)
        browser.shot_selected.connect(self._shot_selected)
        inspector.realign_requested.connect(self.realign)
        inspector.cancel.clicked.connect(self.align_job.cancel)

    # ------------------------------------------------------------ the dataset
    def open_dataset(self, path: str | Path) -> None:
        if self.scan_job.running:
            return
        self._pending_index = DatasetIndex(root=Path(path))
        self.status.emit(f"Reading {path}…")
        self.scan_job.start(lambda token, p=path: iter_scan(p, token))

    def _scan_event(self, ev) -> None:
        if isinstance(ev, Sequence):
            self._pending_index.sequences.append(ev)
        elif isinstance(ev, Problem):
            self._pending_index.problems.append(ev)
        elif isinstance(ev, Progress):
            self.status.emit(ev.message)

    def _scan_done(self) -> None:
        index = self._pending_index
        if index is None:
            return
        self.index = index
        self.browser.set_index(index)
        self.opened.emit(str(index.root))
        self.status.emit(f"{index.root}: {len(index.sequences)} sequences, {len(index.problems)} problems")
        usable = [s for s in index.sequences if s.usable]
        if usable:
            self.browser.select_sequence(usable[0].name)

    # ------------------------------------------------------------ a sequence
    def open_sequence(self, sequence: Sequence) -> None:
        if not sequence.usable:
            self.error.emit(f"{sequence.path}: {sequence.problems[-1] if sequence.problems else 'not usable'}", "")
            return
        self.sequence = sequence
        if self.preview_job.running:
            self.preview_job.cancel()
            self.preview_job.wait()
        self.status.emit(f"Loading {sequence.name}…")
        self.preview_job.start(lambda token, s=sequence: sequence_review(s, cancel=token))

    def _preview_event(self, ev) -> None:
        if isinstance(ev, Problem):
            self.status.emit(str(ev))
            return
        if not isinstance(ev, Result) or self.sequence is None or ev.item != self.sequence.name:
            return
        v = ev.values
        self.fov.show_sequence(self.sequence, v["previews"], v["wide"])
        self.inspector.set_data(v["previews"], v["matrices"], v["full_hw"], v["frames"])
        self.status.emit(f"{self.sequence.name}: {len(v['previews'])} shots")

    def _shot_selected(self, sequence: Sequence, shot) -> None:
        if self.sequence is None or sequence.name != self.sequence.name:
            self.open_sequence(sequence)
            return
        self.fov.show_shot(shot)
        self.inspector.show_key(shot.key)

    # ------------------------------------------------------------ re-alignment
    def realign(self, motion: str, iterations: int) -> None:
        if self.sequence is None or self.align_job.running:
            return
        from ...core.alignment.sequence_align import align_sequence
        from ...core.geometry.ecc import EccConfig

        cfg = EccConfig(motion=motion, iterations=iterations)
        seq = self.sequence
        self.inspector.realign.setEnabled(False)
        self.inspector.cancel.setEnabled(True)
        self.inspector.progress.setVisible(True)
        # Re-align is the user's explicit request to replace this sequence's tform.txt / wb.txt
        self.align_job.start(lambda token: align_sequence(seq, cfg, overwrite=True, cancel=token))

    def _align_event(self, ev) -> None:
        if isinstance(ev, Progress):
            self.inspector.progress.setMaximum(ev.total)
            self.inspector.progress.setValue(ev.done)
            self.status.emit(ev.message)
        elif isinstance(ev, Problem):
            self.status.emit(str(ev))
        elif isinstance(ev, Result):
            frames = {f["key"]: f for f in ev.values["frames"]}
            matrices = {k: np.array(f["matrix"]) for k, f in frames.items()}
            self.inspector.set_data(self.inspector.previews, matrices, tuple(ev.values["full_size"]), frames)
            self.browser.refresh_status(ev.item)
            self.status.emit(f"{ev.item}: wrote tform.txt and wb.txt")
        elif isinstance(ev, Cancelled):
            self.status.emit(ev.message)

    def _align_finished(self) -> None:
        self.inspector.realign.setEnabled(True)
        self.inspector.cancel.setEnabled(False)
        self.inspector.progress.setVisible(False)
