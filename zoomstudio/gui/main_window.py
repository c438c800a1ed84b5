"""The main window: sequence browser dock, FOV / Alignment / Training / Compare / Zoom tabs."""

from __future__ import annotations

import logging
import resource
from pathlib import Path

import numpy as np
import qtawesome as qta
from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import (
    QDialog,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QTabWidget,
)

from .. import __version__
from ..core.alignment.review import sequence_review
from ..core.data.srraw import DatasetIndex, Sequence, iter_scan
from ..core.events import Cancelled, Problem, Progress, Result
from .browser import SequenceBrowser
from .compare_view import CompareView
from .fov_view import FovView
from .gc_guard import GuiThreadGarbageCollector
from .inspector import AlignmentInspector
from .settings import Settings
from .training_panel import TrainingPanel
from .controllers.zoom import ZoomController
from .preferences import PreferencesDialog
from .system import gpu_count
from .worker import JobRunner
from .zoom_panel import ZoomPanel

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    def __init__(self, settings: Settings | None = None) -> None:
        super().__init__()
        from ..core.resources import icon_path

        self.gc_guard = GuiThreadGarbageCollector(self)  # worker threads must never collect Qt wrappers

        self.settings = settings or Settings.load()
        self.setWindowTitle(f"ZoomStudio {__version__}")
        self.setWindowIcon(QIcon(str(icon_path())))
        self.setAcceptDrops(True)
        self.resize(1400, 900)
        self.browser = SequenceBrowser()
        dock = QDockWidget("Sequences", self)
        dock.setObjectName("sequences")
        dock.setWidget(self.browser)
        self.addDockWidget(Qt.LeftDockWidgetArea, dock)
        self.fov = FovView()
        self.inspector = AlignmentInspector()
        self.training = TrainingPanel()
        self.compare = CompareView()
        self.zoom = ZoomPanel()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.fov, qta.icon("mdi.crop"), "FOV")
        self.tabs.addTab(self.inspector, qta.icon("mdi.layers-outline"), "Alignment")
        self.tabs.addTab(self.training, qta.icon("mdi.chart-bell-curve-cumulative"), "Training")
        self.tabs.addTab(self.compare, qta.icon("mdi.compare"), "Compare")
        self.tabs.addTab(self.zoom, qta.icon("mdi.magnify-plus-outline"), "Zoom")
        self.setCentralWidget(self.tabs)
        self.device_label = QLabel()
        self.memory_label = QLabel()
        self.job_label = QLabel()
        self.statusBar().addWidget(self.job_label, 1)
        self.statusBar().addPermanentWidget(self.device_label)
        self.statusBar().addPermanentWidget(self.memory_label)
        self._memory_timer = QTimer(self)
        self._memory_timer.timeout.connect(self._update_status)
        self._memory_timer.start(2000)
        self._build_menus()
        # jobs: one runner per kind so a training run does not block browsing
        self.scan_job = JobRunner(self)
        self.preview_job = JobRunner(self)
        self.align_job = JobRunner(self)
        self.train_job = JobRunner(self)
        self.eval_job = JobRunner(self)
        self.zooming = ZoomController(self.zoom, self.compare, self.settings, self)
        self.zooming.error.connect(self.show_error)
        self.zooming.show.connect(self.tabs.setCurrentWidget)
        self.zoom.browse_requested.connect(self._open_raw_dialog)
        self.compare.open_raw_requested.connect(self._open_raw_dialog)
        self.compare.open_dataset_requested.connect(self._open_dataset_dialog)
        # training first: shutdown cancels it first
        self.jobs = (self.train_job, self.align_job, self.preview_job, self.scan_job, self.eval_job)
        for job in self.jobs:
            job.failed.connect(self.show_error)
        self.scan_job.event.connect(self._scan_event)
        self.scan_job.finished.connect(self._scan_done)
        self.preview_job.event.connect(self._preview_event)
        self.align_job.event.connect(self._align_event)
        self.align_job.finished.connect(lambda: self._align_finished())
        self.train_job.event.connect(self.training.on_event)
        self.train_job.finished.connect(self._train_finished)
        self.eval_job.event.connect(self._eval_event)
        self.eval_job.finished.connect(lambda: self.compare.set_evaluating(False))
        self.compare.cancel_evaluation.clicked.connect(self.eval_job.cancel)
        self.compare.evaluate_requested.connect(lambda: self.evaluate_dataset())
        self.browser.sequence_selected.connect(self.open_sequence)
        self.browser.shot_selected.connect(self._shot_selected)
        self.inspector.realign_requested.connect(self.realign)
        self.inspector.cancel.clicked.connect(self.align_job.cancel)
        self.training.start_requested.connect(self.start_training)
        self.training.resume_requested.connect(self.resume_training)
        self.training.stop_requested.connect(self.train_job.cancel)
        self.training.evaluate_requested.connect(lambda model: self.evaluate_dataset(model=model))
        self.gpus = gpu_count()  # once: nvidia-smi, not torch, so the window opens fast
        # a CPU-only machine starts from the config that trains in minutes there
        self.training.apply_preset("paper-4x" if self.gpus else "default-4x")
        self.zoom.model.setText(self.settings.last_model)
        self.index: DatasetIndex | None = None
        self._pending_index: DatasetIndex | None = None
        self.sequence: Sequence | None = None
        self.last_error: str | None = None
        self.errors_shown: list[str] = []
        self._restore_layout()
        self._update_status()
        self._refresh_runs()

    # ---------------------------------------------------------------- menus, settings, status
    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        open_raw = QAction(qta.icon("mdi.file-image"), "&Open RAW files…", self)
        open_raw.triggered.connect(self._open_raw_dialog)
        open_ds = QAction(qta.icon("mdi.folder-open"), "Open &dataset…", self)
        open_ds.triggered.connect(self._open_dataset_dialog)
        self.recent_menu = file_menu.addMenu("Recent datasets")
        quit_action = QAction("&Quit", self)
        quit_action.triggered.connect(self.close)
        file_menu.addActions([open_raw, open_ds])
        file_menu.addSeparator()
        file_menu.addAction(quit_action)
        tools = self.menuBar().addMenu("&Tools")
        evaluate = QAction(qta.icon("mdi.table"), "&Evaluate dataset (bicubic, baselines, ours)", self)
        evaluate.triggered.connect(lambda: self.evaluate_dataset())
        prefs = QAction(qta.icon("mdi.cog"), "&Preferences…", self)
        prefs.triggered.connect(self.preferences)
        tools.addActions([evaluate, prefs])
        help_menu = self.menuBar().addMenu("&Help")
        about = QAction("&About ZoomStudio", self)
        about.triggered.connect(self.about)
        help_menu.addAction(about)
        self._fill_recent()

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in self.settings.recent_datasets:
            act = self.recent_menu.addAction(path)
            act.triggered.connect(lambda _=False, p=path: self.open_dataset(p))

    def _restore_layout(self) -> None:
        if self.settings.window_geometry:
            self.restoreGeometry(QByteArray.fromHex(self.settings.window_geometry.encode()))
        if self.settings.window_state:
            self.restoreState(QByteArray.fromHex(self.settings.window_state.encode()))

    def save_settings(self) -> None:
        self.settings.window_geometry = bytes(self.saveGeometry().toHex()).decode()
        self.settings.window_state = bytes(self.saveState().toHex()).decode()
        self.settings.last_model = self.zoom.model.text()
        self.settings.save()

    def _update_status(self) -> None:
        import sys

        dev = self.settings.device
        if dev == "auto" and "torch" not in sys.modules:  # jobs resolve it the same way (CUDA when present)
            dev = f"auto ({'cuda' if self.gpus else 'cpu'})"
        elif "torch" in sys.modules:  # resolve "auto" once a job has loaded torch; never import it for this
            from ..core.device import pick_device

            try:
                dev = str(pick_device(self.settings.device))
            except ValueError as exc:
                dev = f"{self.settings.device} ({exc})"
        self.device_label.setText(f"Device: {dev}")
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.memory_label.setText(f"Memory peak: {rss:.0f} MB")

    def show_error(self, message: str, details: str = "") -> None:
        """A non-blocking error dialog (message + expandable details); the app keeps working."""
        self.last_error = message
        self.errors_shown.append(message)
        box = QMessageBox(QMessageBox.Warning, "ZoomStudio", message, QMessageBox.Ok, self)
        if details:
            box.setDetailedText(details)
        box.setAttribute(Qt.WA_DeleteOnClose)
        box.setModal(False)
        box.show()
        self.job_label.setText(message)

    def about(self) -> None:
        QMessageBox.about(self, "About ZoomStudio",
                          f"ZoomStudio {__version__}\nLearned digital zoom from camera RAW files, after "
                          "\"Zoom to Learn, Learn to Zoom\" (Zhang et al., CVPR 2019).")

    def preferences(self) -> None:
        dlg = PreferencesDialog(self.settings, self, gpus=self.gpus)
        if dlg.exec() == QDialog.Accepted:
            dlg.apply()
            self.settings.save()
            self._update_status()

    # ---------------------------------------------------------------- datasets and sequences
    def _open_dataset_dialog(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open an SR-RAW root")
        if path:
            self.open_dataset(path)

    def open_dataset(self, path: str | Path) -> None:
        if self.scan_job.running:
            return
        self._pending_index = DatasetIndex(root=Path(path))
        self.job_label.setText(f"Reading {path}…")
        self.scan_job.start(lambda token, p=path: iter_scan(p, token))

    def _scan_event(self, ev) -> None:
        if isinstance(ev, Sequence):
            self._pending_index.sequences.append(ev)
        elif isinstance(ev, Problem):
            self._pending_index.problems.append(ev)
        elif isinstance(ev, Progress):
            self.job_label.setText(ev.message)

    def _scan_done(self) -> None:
        index = self._pending_index
        if index is None:
            return
        self.index = index
        self.browser.set_index(index)
        self.settings.add_recent(str(index.root))
        self._fill_recent()
        self.training.data_root.setText(str(index.root))
        self.job_label.setText(f"{index.root}: {len(index.sequences)} sequences, {len(index.problems)} problems")
        usable = [s for s in index.sequences if s.usable]
        if usable:
            self.browser.select_sequence(usable[0].name)

    def open_sequence(self, sequence: Sequence) -> None:
        if not sequence.usable:
            self.show_error(f"{sequence.path}: {sequence.problems[-1] if sequence.problems else 'not usable'}")
            return
        self.sequence = sequence
        if self.preview_job.running:
            self.preview_job.cancel()
            self.preview_job.wait()
        self.job_label.setText(f"Loading {sequence.name}…")
        self.preview_job.start(lambda token, s=sequence: sequence_review(s, cancel=token))

    def _preview_event(self, ev) -> None:
        if isinstance(ev, Problem):
            self.job_label.setText(str(ev))
            return
        if not isinstance(ev, Result) or self.sequence is None or ev.item != self.sequence.name:
            return
        v = ev.values
        self.fov.show_sequence(self.sequence, v["previews"], v["wide"])
        self.inspector.set_data(v["previews"], v["matrices"], v["full_hw"], v["frames"])
        self.job_label.setText(f"{self.sequence.name}: {len(v['previews'])} shots")

    def _shot_selected(self, sequence: Sequence, shot) -> None:
        if self.sequence is None or sequence.name != self.sequence.name:
            self.open_sequence(sequence)
            return
        self.fov.show_shot(shot)
        self.inspector.show_key(shot.key)

    def realign(self, motion: str, iterations: int) -> None:
        if self.sequence is None or self.align_job.running:
            return
        from ..core.geometry.ecc import EccConfig
        from ..core.alignment.sequence_align import align_sequence

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
            self.job_label.setText(ev.message)
        elif isinstance(ev, Problem):
            self.job_label.setText(str(ev))
        elif isinstance(ev, Result):
            frames = {f["key"]: f for f in ev.values["frames"]}
            matrices = {k: np.array(f["matrix"]) for k, f in frames.items()}
            self.inspector.set_data(self.inspector.previews, matrices, tuple(ev.values["full_size"]), frames)
            self.browser.refresh_status(ev.item)
            self.job_label.setText(f"{ev.item}: wrote tform.txt and wb.txt")
        elif isinstance(ev, Cancelled):
            self.job_label.setText(ev.message)

    def _align_finished(self) -> None:
        self.inspector.realign.setEnabled(True)
        self.inspector.cancel.setEnabled(False)
        self.inspector.progress.setVisible(False)

    # ---------------------------------------------------------------- training
    def start_training(self, config) -> None:
        if self.train_job.running:
            self.show_error("A training run is already running; stop it first.")
            return
        if self.settings.runs_dir:
            import dataclasses

            config = dataclasses.replace(config, runs_dir=self.settings.runs_dir)
        self.training.set_running(True)
        self.train_job.start(lambda token, c=config: _train_events(c, None, token))

    def resume_training(self, run_dir: str, steps: int | None = None) -> None:
        """Continue a run from its checkpoint, to ``steps`` (default: the run's own total)."""
        if self.train_job.running:
            return
        import dataclasses

        from ..core.train import load_config

        config = None
        if steps is not None:
            try:
                saved = load_config(Path(run_dir) / "config.yaml")
            except (OSError, ValueError) as exc:
                self.show_error(f"{run_dir}: cannot resume ({exc})")
                return
            config = dataclasses.replace(saved, steps=steps) if steps != saved.steps else None
        self.training.clear_plots()
        self.training.set_running(True)
        self.train_job.start(lambda token, c=config, r=run_dir: _train_events(c, r, token))

    def _train_finished(self) -> None:
        self.training.set_running(False)
        self._refresh_runs()

    def _refresh_runs(self) -> None:
        from ..core.train import list_runs

        self.training.set_runs(list_runs(self.settings.runs_dir or "runs"))

    # ---------------------------------------------------------------- zoom (drag and drop)
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        event.acceptProposedAction()
        self.zooming.add_files(paths)

    def _open_raw_dialog(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Open RAW files")
        if files:
            self.zooming.add_files([Path(f) for f in files])

    # ---------------------------------------------------------------- evaluation
    def evaluate_dataset(self, model: str | None = None, baselines: dict[str, str] | None = None) -> None:
        """Evaluate bicubic, the external baselines (default: the Compare tab's list) and ``model``.

        Runs in a child process like training (torch stays out of the GUI process).
        """
        if self.eval_job.running:
            return
        if self.index is None:
            self.show_error("Open a dataset first (File > Open dataset), then evaluate it.")
            return
        from ..core.metrics.methods import Method
        from ..core.metrics.protocol import EvalProtocol
        from ..core.process_job import run_in_child

        from ..core.resources import default_model_path, model_zoom

        model = model or self.zoom.model.text() or None
        if model:  # a model zooms by its own factor (a run's checkpoint, or the Zoom tab's model)
            scale = model_zoom(model)
            if scale is None:
                self.show_error(f"{model}: not a ZoomStudio model (cannot read its zoom factor)")
                return
        else:  # the bundled model for the Zoom tab's factor
            scale = int(self.zoom.scale.currentText())
            if not default_model_path(scale).exists():
                self.show_error(f"No bundled {scale}X model: choose a {scale}X model in the Zoom tab, or train one.")
                return
        baselines = self.compare.baselines() if baselines is None else baselines
        methods = ([Method("bicubic", "bicubic")] + [Method(n, "external", p) for n, p in baselines.items()]
                   + [Method("ours", "raw", model)])
        protocol = EvalProtocol(lpips_net=self.settings.lpips_net)
        device = self.settings.device  # resolved in the child ("auto": CUDA when present)
        root = str(self.index.root)
        self.compare.set_evaluating(True)
        self.job_label.setText(f"Evaluating at {scale}X…")
        pairs = self.compare.max_pairs.value() or None  # 0: all
        self.eval_job.start(lambda token: run_in_child(
            "zoomstudio.core.evaluation.pipeline:evaluate", root, scale, methods, protocol, cancel=token, device=device,
            max_pairs=pairs, preview_pairs=min(pairs or 50, 50)))

    def _eval_event(self, ev) -> None:
        if isinstance(ev, Progress):
            self.job_label.setText(ev.message)
            self.compare.set_progress(ev.done, ev.total)
        elif isinstance(ev, Problem):
            self.job_label.setText(str(ev))
        elif isinstance(ev, Result):
            self.compare.set_report(ev.values)
            self.tabs.setCurrentWidget(self.compare)
            self.job_label.setText(f"evaluated {ev.values['pairs']} pairs")
        elif isinstance(ev, Cancelled):
            self.job_label.setText(ev.message)

    # ---------------------------------------------------------------- closing
    def closeEvent(self, event) -> None:
        if self.train_job.running:
            answer = QMessageBox.question(self, "ZoomStudio", "A training run is in progress. Stop it (a checkpoint "
                                                              "is saved) and quit?")
            if answer != QMessageBox.Yes:
                event.ignore()
                return
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Cancel every job, wait for them (training saves its checkpoint), save settings."""
        for job in self.jobs:
            job.cancel()
        self.zooming.close()
        for job in self.jobs:
            job.wait(120000)
        self.save_settings()


# ---------------------------------------------------------------- job generators (run in worker threads)
def _train_events(config, resume, token):
    """The training generator, run in a child process: torch never loads in the GUI process, and
    its import, pair building and numpy work cannot hold the GUI's GIL."""
    from ..core.process_job import run_in_child

    yield from run_in_child("zoomstudio.core.train.loop:train", config, resume=resume, cancel=token, nice=5)
