"""The main window: sequence browser dock, FOV / Alignment / Training / Compare / Zoom tabs."""

from __future__ import annotations

import logging
import resource
from pathlib import Path

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
from .browser import SequenceBrowser
from .compare_view import CompareView
from .controllers.datasets import DatasetController
from .controllers.evaluation import EvaluationController
from .controllers.training import TrainingController
from .controllers.zoom import ZoomController
from .fov_view import FovView
from .gc_guard import GuiThreadGarbageCollector
from .inspector import AlignmentInspector
from .preferences import PreferencesDialog
from .settings import Settings
from .system import gpu_count
from .training_panel import TrainingPanel
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
        # one controller per tab / job kind, each with its own workers: a training run does not block browsing
        self.datasets = DatasetController(self.browser, self.fov, self.inspector, self)
        self.trainer = TrainingController(self.training, self.settings, self)
        self.evaluator = EvaluationController(self.compare, self.zoom, self.settings, self)
        self.zooming = ZoomController(self.zoom, self.compare, self.settings, self)
        self.controllers = (self.trainer, self.datasets, self.evaluator, self.zooming)  # training first
        for c in self.controllers:
            c.error.connect(self.show_error)
        for c in (self.datasets, self.evaluator):
            c.status.connect(self.job_label.setText)
        for c in (self.evaluator, self.zooming):
            c.show.connect(self.tabs.setCurrentWidget)
        self.datasets.opened.connect(self._dataset_opened)
        self.zoom.browse_requested.connect(self._open_raw_dialog)
        self.compare.open_raw_requested.connect(self._open_raw_dialog)
        self.compare.open_dataset_requested.connect(self._open_dataset_dialog)
        self.compare.evaluate_requested.connect(lambda: self.evaluate_dataset())
        self.training.evaluate_requested.connect(lambda model: self.evaluate_dataset(model=model))
        self.gpus = gpu_count()  # once: nvidia-smi, not torch, so the window opens fast
        # a CPU-only machine starts from the config that trains in minutes there
        self.training.apply_preset("paper-4x" if self.gpus else "default-4x")
        self.zoom.model.setText(self.settings.last_model)
        self.last_error: str | None = None
        self.errors_shown: list[str] = []
        self._restore_layout()
        self._update_status()
        self.trainer.refresh_runs()

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
        """Read an SR-RAW root in the background; the browser lists its sequences."""
        self.datasets.open_dataset(path)

    def _dataset_opened(self, root: str) -> None:
        self.settings.add_recent(root)
        self._fill_recent()
        self.training.data_root.setText(root)

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
        """Evaluate the open dataset: bicubic, the external baselines (default: the Compare tab's list) and
        ``model`` (default: the Zoom tab's). Runs in a child process like training."""
        if self.datasets.index is None:
            self.show_error("Open a dataset first (File > Open dataset), then evaluate it.")
            return
        self.evaluator.evaluate(str(self.datasets.index.root), model, baselines)

    # ---------------------------------------------------------------- closing
    def closeEvent(self, event) -> None:
        if self.trainer.job.running:
            answer = QMessageBox.question(self, "ZoomStudio", "A training run is in progress. Stop it (a checkpoint "
                                                              "is saved) and quit?")
            if answer != QMessageBox.Yes:
                event.ignore()
                return
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Cancel every job, wait for them (training saves its checkpoint), save settings."""
        jobs = [job for c in (self.trainer, self.datasets, self.evaluator) for job in c.jobs]
        for job in jobs:  # training first: its checkpoint is the work most worth keeping
            job.cancel()
        self.zooming.close()
        for job in jobs:
            job.wait(120000)
        self.save_settings()


# ---------------------------------------------------------------- job generators (run in worker threads)
