"""The Zoom tab's controller: dropped files checked, queued, previewed, zoomed and saved, all in workers.

Every step that touches the disk or the network runs as a core job in a
:class:`JobRunner` (file checks, the region preview, the zoom queue, saving),
so the window never waits. The preview and the zoom run in one long-lived
child process (a :class:`ChildService` around ``core.infer.session.ZoomSession``):
torch never loads into the window's process, a decoded RAW is shared by the
preview and the zoom that follows it, and the model stays loaded across runs.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QWidget

from ...core.events import Cancelled, Problem, Progress, Result
from ...core.nets.config import PRECISIONS
from ...core.process_job import ChildService
from ..worker import JobRunner


class ZoomController(QObject):
    """Drives ``panel`` (the ZoomPanel); results go to ``compare`` (the CompareView).

    ``results``: one dict per zoomed file of the last run (``zoom_raw``'s values plus ``path``).
    Signals: ``error(message, details)`` for the window's error dialog; ``show(widget)`` asks the
    window to bring a tab forward. (Signals, not references: the window owns this controller.)
    """

    error = Signal(str, str)
    show = Signal(QWidget)

    def __init__(self, panel, compare, settings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.panel = panel
        self.compare = compare
        self.settings = settings
        self.service = ChildService("zoomstudio.core.infer.session:ZoomSession", name="zoomstudio-zoom")
        self.check_job = JobRunner(self)
        self.preview_job = JobRunner(self)
        self.job = JobRunner(self)
        self.save_job = JobRunner(self)
        self.jobs = (self.job, self.check_job, self.preview_job, self.save_job)
        self.results: list[dict] = []
        self.last_saved: Path | None = None
        self._next_preview: str | None = None
        self._cancel_requested = False
        self._queue_grew = False
        self._pending_inputs: list[Path] = []
        self._check_problems: list[str] = []
        self._checked: list[Path] = []
        for job in self.jobs:
            job.failed.connect(self.error)
        self.check_job.event.connect(self._check_event)
        self.check_job.finished.connect(self._check_finished)
        self.preview_job.event.connect(self._preview_event)
        self.preview_job.finished.connect(self._preview_finished)
        self.job.event.connect(self._zoom_event)
        self.job.finished.connect(self._zoom_finished)
        self.save_job.event.connect(self._save_event)
        self.save_job.finished.connect(lambda: self.panel.save.setEnabled(bool(self.results)))
        self.panel.run_requested.connect(self.run_queue)
        self.panel.preview_requested.connect(self.load_preview)
        self.panel.cancel_requested.connect(self.cancel)
        self.panel.save_requested.connect(self.save)

    # ------------------------------------------------------------ adding files
    def add_files(self, paths: list[Path]) -> None:
        """Check dropped files and folders in a worker; usable RAWs are queued and zoomed, the others
        listed in one message naming each file and the reason."""
        if self.check_job.running:  # checked after the current batch
            self._pending_inputs.extend(paths)
            return
        from ...core.infer.inputs import check_inputs

        self.service.start()  # its start-up (torch) overlaps the checks
        self._check_problems, self._checked = [], []
        inputs = list(paths)
        self.panel.status.setText(f"checking {len(inputs)} dropped item(s)…")
        self.check_job.start(lambda token: check_inputs(inputs, cancel=token))

    def _check_event(self, ev) -> None:
        if isinstance(ev, Progress):
            self.panel.progress.setMaximum(max(1, ev.total))
            self.panel.progress.setValue(ev.done)
            self.panel.status.setText(ev.message)
        elif isinstance(ev, Problem):
            self._check_problems.append(str(ev))
        elif isinstance(ev, Result):
            self._checked = [Path(f) for f in ev.values["files"]]

    def _check_finished(self) -> None:
        if self._check_problems:
            self.error.emit("Some dropped files cannot be zoomed:\n" + "\n".join(self._check_problems), "")
        if self._checked:
            self.panel.add_files(self._checked)
            self.show.emit(self.panel)
            self.run_queue()
        if self._pending_inputs:
            pending, self._pending_inputs = self._pending_inputs, []
            self.add_files(pending)

    # ------------------------------------------------------------ the region preview
    def load_preview(self, path: str) -> None:
        """Load a queued RAW's preview in the background (the latest request wins)."""
        if self.preview_job.running:
            self._next_preview = path
            return
        self._next_preview = None
        self.preview_job.start(lambda token, p=path: self.service.run("preview", p, cancel=token))

    def _preview_event(self, ev) -> None:
        if isinstance(ev, Result):
            self.panel.set_preview(ev.values["image"], tuple(ev.values["sensor_hw"]), ev.item)
        elif isinstance(ev, Problem):
            self.panel.status.setText(str(ev))

    def _preview_finished(self) -> None:
        if self._next_preview is not None:
            self.load_preview(self._next_preview)

    # ------------------------------------------------------------ zooming
    def run_queue(self) -> None:
        if self.job.running:  # the running job took its file list: run the newcomers after it
            self._queue_grew = True
            return
        self._queue_grew = False
        if not self.panel.queued():
            return
        from ...core.infer.options import ZoomOptions

        settings = self.settings
        scale = int(self.panel.scale.currentText())
        model = self.panel.model.text() or None
        files = self.panel.queued()
        opts = ZoomOptions(roi=self.panel.region(), tile=settings.tile or None, memory_mb=settings.memory_mb,
                           device=settings.device, colour=self.panel.colour.currentData(), with_bicubic=True,
                           precision=settings.precision if settings.precision in PRECISIONS else "auto")
        self.panel.run.setEnabled(False)
        self.panel.cancel.setEnabled(True)
        self._cancel_requested = False
        self.results = []
        self.job.start(lambda token: self.service.run("zoom", files, model, scale, opts, cancel=token))

    def _zoom_event(self, ev) -> None:
        panel = self.panel
        if isinstance(ev, Progress):
            panel.progress.setMaximum(max(1, ev.total))
            panel.progress.setValue(ev.done)
            panel.status.setText(ev.message)
        elif isinstance(ev, Problem):
            self.error.emit(str(ev), "")
            panel.mark(ev.item, panel.FAILED, ev.reason)  # a device/model problem leaves files pending
        elif isinstance(ev, Result):
            self.results.append(ev.values | {"path": ev.item})
            panel.mark(ev.item, panel.DONE, f"{ev.values['seconds']:.1f} s, {ev.values['colour']} colours")
            self.compare.set_images({"bicubic": ev.values["bicubic"], "ours": ev.values["image"]})
            self.show.emit(self.compare)
            panel.save.setEnabled(True)
            note = f" ({ev.values['colour_note']})" if ev.values["colour_note"] else ""
            panel.status.setText(f"{Path(ev.item).name}: zoomed in {ev.values['seconds']:.1f} s, "
                                 f"{ev.values['colour']} colours{note}")
        elif isinstance(ev, Cancelled):
            panel.status.setText(ev.message)

    def cancel(self) -> None:
        self._cancel_requested = True
        self.job.cancel()

    def _zoom_finished(self) -> None:
        self.panel.run.setEnabled(True)
        self.panel.cancel.setEnabled(False)
        if self._queue_grew and not self._cancel_requested:  # files queued during this run
            self.run_queue()

    def stats(self) -> dict:
        """The zoom service's counts: ``decodes`` (real RAW decodes) and ``model_loads``."""
        return list(self.service.run("stats"))[-1].values

    def close(self) -> None:
        """Cancel and wait for every zoom job, then stop the zoom service."""
        for job in self.jobs:
            job.cancel()
        for job in self.jobs:
            job.wait(120000)
        self.service.close()

    # ------------------------------------------------------------ saving
    def default_save_path(self, fmt: str) -> Path:
        """Beside the RAW, or in the output folder of the Preferences when one is set."""
        from ...core.infer import FORMATS

        r = self.results[-1]
        src = Path(r["path"])
        folder = src.parent
        if self.settings.output_dir:
            try:
                Path(self.settings.output_dir).mkdir(parents=True, exist_ok=True)
                folder = Path(self.settings.output_dir)
            except OSError as exc:  # offered beside the RAW instead; the status says why
                self.panel.status.setText(f"{self.settings.output_dir}: cannot use the output folder ({exc})")
        return folder / f"{src.stem}_zoom{r['scale']}x{FORMATS[fmt]}"

    def save(self, fmt: str, path: str | None = None) -> bool:
        """Save the last result as ``fmt`` to ``path`` (asked for when ``None``) in a worker; returns
        whether a save started. The panel's status says where it went, or the error dialog why not."""
        if not self.results or self.save_job.running:
            return False
        from ...core.infer import zoom_description
        from ...core.infer.output import save_image_job

        if path is None:
            path, _ = QFileDialog.getSaveFileName(self.panel, "Save zoomed image", str(self.default_save_path(fmt)))
            if not path:
                return False
        r = self.results[-1]
        image, exif, colour, xyz_to_cam = r["image"], r["exif"], r["camera_colour"], r["xyz_to_cam"]
        description = zoom_description(r, Path(r["path"]).name)
        self.panel.save.setEnabled(False)
        self.save_job.start(lambda token: save_image_job(path, image, fmt, exif=exif, description=description,
                                                         colour=colour, xyz_to_cam=xyz_to_cam, cancel=token))
        return True

    def _save_event(self, ev) -> None:
        if isinstance(ev, Progress):
            self.panel.status.setText(ev.message)
        elif isinstance(ev, Problem):
            self.error.emit(str(ev), "")
        elif isinstance(ev, Result):
            self.last_saved = Path(ev.item)
            self.panel.status.setText(f"saved {ev.item}")
