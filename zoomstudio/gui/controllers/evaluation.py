"""The evaluation controller: score bicubic, the external baselines and our model on the open dataset
(in a child process, as training), with progress and cancel, and show the report in Compare."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from ...core.events import Cancelled, Problem, Progress, Result
from ..worker import JobRunner


class EvaluationController(QObject):
    """Drives ``compare`` (the CompareView); the model and zoom factor default to ``zoom_panel``'s.

    Signals: ``status(text)``, ``error(message, details)``, ``show(widget)``.
    """

    status = Signal(str)
    error = Signal(str, str)
    show = Signal(QWidget)

    def __init__(self, compare, zoom_panel, settings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.compare, self.zoom_panel, self.settings = compare, zoom_panel, settings
        self.job = JobRunner(self)
        self.jobs = (self.job,)
        self.job.failed.connect(self.error)
        self.job.event.connect(self._event)
        self.job.finished.connect(lambda: self.compare.set_evaluating(False))
        compare.cancel_evaluation.clicked.connect(self.job.cancel)

    def evaluate(self, root: str, model: str | None = None, baselines: dict[str, str] | None = None) -> bool:
        """Evaluate the dataset at ``root``: bicubic, ``baselines`` (default: Compare's list) and ``model``
        (default: the Zoom tab's, else the bundled model for its zoom factor). Returns whether it started."""
        if self.job.running:
            return False
        from ...core.metrics.methods import Method
        from ...core.metrics.protocol import EvalProtocol
        from ...core.process_job import run_in_child
        from ...core.resources import default_model_path, model_zoom

        model = model or self.zoom_panel.model.text() or None
        if model:  # a model zooms by its own factor (a run's checkpoint, or the Zoom tab's model)
            scale = model_zoom(model)
            if scale is None:
                self.error.emit(f"{model}: not a ZoomStudio model (cannot read its zoom factor)", "")
                return False
        else:  # the bundled model for the Zoom tab's factor
            scale = int(self.zoom_panel.scale.currentText())
            if not default_model_path(scale).exists():
                self.error.emit(f"No bundled {scale}X model: choose a {scale}X model in the Zoom tab, or train one.",
                                "")
                return False
        baselines = self.compare.baselines() if baselines is None else baselines
        methods = ([Method("bicubic", "bicubic")] + [Method(n, "external", p) for n, p in baselines.items()]
                   + [Method("ours", "raw", model)])
        protocol = EvalProtocol(lpips_net=self.settings.lpips_net)
        device = self.settings.device  # resolved in the child ("auto": CUDA when present)
        pairs = self.compare.max_pairs.value() or None  # 0: all
        self.compare.set_evaluating(True)
        self.status.emit(f"Evaluating at {scale}X…")
        self.job.start(lambda token: run_in_child(
            "zoomstudio.core.evaluation.pipeline:evaluate", root, scale, methods, protocol, cancel=token, device=device,
            max_pairs=pairs, preview_pairs=min(pairs or 50, 50)))
        return True

    def _event(self, ev) -> None:
        if isinstance(ev, Progress):
            self.status.emit(ev.message)
            self.compare.set_progress(ev.done, ev.total)
        elif isinstance(ev, Problem):
            self.status.emit(str(ev))
        elif isinstance(ev, Result):
            self.compare.set_report(ev.values)
            self.show.emit(self.compare)
            self.status.emit(f"evaluated {ev.values['pairs']} pairs")
        elif isinstance(ev, Cancelled):
            self.status.emit(ev.message)
