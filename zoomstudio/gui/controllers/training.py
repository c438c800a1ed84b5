"""The training controller: start, resume (to a chosen step) and stop runs in a child process, and
keep the panel's list of past runs current."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from ..worker import JobRunner


def _train_events(config, resume, token):
    """The training generator, run in a child process: torch never loads in the GUI process, and
    its import, pair building and numpy work cannot hold the GUI's GIL."""
    from ...core.process_job import run_in_child

    yield from run_in_child("zoomstudio.core.train.loop:train", config, resume=resume, cancel=token, nice=5)


class TrainingController(QObject):
    """Drives ``panel`` (the TrainingPanel); runs go under ``settings.runs_dir``.

    Signals: ``error(message, details)``.
    """

    error = Signal(str, str)

    def __init__(self, panel, settings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.panel, self.settings = panel, settings
        self.job = JobRunner(self)
        self.jobs = (self.job,)
        self.job.failed.connect(self.error)
        self.job.event.connect(panel.on_event)
        self.job.finished.connect(self._finished)
        panel.start_requested.connect(self.start)
        panel.resume_requested.connect(self.resume)
        panel.stop_requested.connect(self.job.cancel)

    def start(self, config) -> None:
        if self.job.running:
            self.error.emit("A training run is already running; stop it first.", "")
            return
        if self.settings.runs_dir:
            config = dataclasses.replace(config, runs_dir=self.settings.runs_dir)
        self.panel.set_running(True)
        self.job.start(lambda token, c=config: _train_events(c, None, token))

    def resume(self, run_dir: str, steps: int | None = None) -> None:
        """Continue a run from its checkpoint, to ``steps`` (default: the run's own total)."""
        if self.job.running:
            return
        from ...core.train import load_config

        config = None
        if steps is not None:
            try:
                saved = load_config(Path(run_dir) / "config.yaml")
            except (OSError, ValueError) as exc:
                self.error.emit(f"{run_dir}: cannot resume ({exc})", "")
                return
            config = dataclasses.replace(saved, steps=steps) if steps != saved.steps else None
        self.panel.clear_plots()
        self.panel.set_running(True)
        self.job.start(lambda token, c=config, r=run_dir: _train_events(c, r, token))

    def _finished(self) -> None:
        self.panel.set_running(False)
        self.refresh_runs()

    def refresh_runs(self) -> None:
        from ...core.train import list_runs

        self.panel.set_runs(list_runs(self.settings.runs_dir or "runs"))
