"""Training panel: config form, Start / Stop / Resume, live plots, previews and past runs.

Selecting past runs (several with Ctrl / Shift) overlays their loss and
validation PSNR curves while nothing trains; "Evaluate selected" scores a run's
best checkpoint in Compare.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import qtawesome as qta
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..core.events import Problem
from ..core.train import TrainConfig, read_metrics
from ..core.train.events import CheckpointSaved, PreviewReady, RunFinished, RunStarted, StepDone, ValidationDone
from .panes import ImagePane


class TrainingPanel(QWidget):
    """Emits ``start_requested(config)`` / ``resume_requested(run_dir, steps)`` / ``stop_requested``; the main
    window runs the job and feeds events back through :meth:`on_event`."""

    start_requested = Signal(object)
    resume_requested = Signal(str, int)  # run folder, the step to train to
    stop_requested = Signal()
    evaluate_requested = Signal(str)  # a checkpoint file to evaluate as "ours"

    #: one colour per compared run
    RUN_COLOURS = ("#f5a524", "#3e63dd", "#e5484d", "#46a758", "#8e4ec6", "#12a594", "#d6409f", "#f5f7fa")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from ..core.resources import config_names

        self.preset = QComboBox()
        self.preset.addItems(config_names())
        self.preset.setToolTip("A bundled configuration to start from (default-4x trains on a CPU in minutes; "
                               "paper-4x / paper-8x are the paper's network, for a GPU)")
        self.data_root = QLineEdit()
        self.zoom = QComboBox()
        self.zoom.addItems(["4", "8", "2"])
        self.rgb_weight = _dspin(1.0, 0, 100)
        self.vgg_weight = _dspin(1.0, 0, 100)
        self.l1_weight = _dspin(0.0, 0, 100)
        self.patch_n = _ispin(10, 1, 32)
        self.w_spatial = _dspin(0.1, 0, 10, 0.05)
        self.lr = QLineEdit("1e-4")
        self.steps = _ispin(100000, 1, 10_000_000)
        self.batch = _ispin(1, 1, 256)
        self.patch = _ispin(512, 16, 2048, step=16)
        self.device = QComboBox()
        self.device.addItems(["auto", "cpu", "cuda"])
        self.split_seed = _ispin(0, 0, 1_000_000)
        self.width_net = _ispin(64, 4, 256)
        self.blocks = _ispin(16, 1, 64)
        self.val_every = _ispin(0, 0, 1_000_000)
        self.val_every.setSpecialValueText("never")
        self.val_lpips = QCheckBox("LPIPS too (slower)")
        self.input_kind = QComboBox()
        self.input_kind.addItems(["raw", "png", "syn-raw"])
        self.input_kind.setToolTip("What the network is fed: raw (the packed sensor data, the paper's method), "
                                   "png (the camera JPEG: the paper's 'Ours-png' control) or syn-raw (a mosaic "
                                   "synthesised from that JPEG: 'Ours-syn-raw')")
        form = QFormLayout()
        form.addRow("Preset", self.preset)
        form.addRow("Data root", self.data_root)
        form.addRow("Zoom", self.zoom)
        form.addRow("Input", self.input_kind)
        form.addRow("CoBi RGB weight", self.rgb_weight)
        form.addRow("CoBi VGG weight (λ)", self.vgg_weight)
        form.addRow("L1 weight", self.l1_weight)
        form.addRow("RGB patch n", self.patch_n)
        form.addRow("w_spatial", self.w_spatial)
        form.addRow("Learning rate", self.lr)
        form.addRow("Steps", self.steps)
        form.addRow("Batch", self.batch)
        form.addRow("Patch (target px)", self.patch)
        form.addRow("Net width / blocks", _row(self.width_net, self.blocks))
        form.addRow("Device", self.device)
        form.addRow("Split seed", self.split_seed)
        form.addRow("Validate every", _row(self.val_every, self.val_lpips))
        self.start = QPushButton(qta.icon("mdi.play"), "Start")
        self.stop = QPushButton(qta.icon("mdi.stop"), "Stop")
        self.resume = QPushButton(qta.icon("mdi.restart"), "Resume selected")
        self.resume_steps = _ispin(0, 0, 10_000_000)
        self.resume_steps.setPrefix("to ")
        self.resume_steps.setSpecialValueText("select a run")  # shown at 0: no run chosen, no target yet
        self.resume_steps.setToolTip("Resume the selected run up to this step (its own total when selected; raise "
                                     "it to train longer)")
        self.evaluate = QPushButton(qta.icon("mdi.table"), "Evaluate selected")
        self.evaluate.setToolTip("Score the selected run's best checkpoint against bicubic on the open dataset")
        self.stop.setEnabled(False)
        self.status = QLabel("Idle")
        self.status.setWordWrap(True)
        self.warnings = QLabel("")  # the run's problems (unaligned sequences, a damaged checkpoint passed over)
        self.warnings.setWordWrap(True)
        self.warnings.setStyleSheet("color: #b54708")
        self.warnings.setVisible(False)
        self._warning_lines: list[str] = []
        self.runs = QListWidget()
        self.runs.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.runs.setToolTip("Select runs to compare their curves (Ctrl / Shift for several)")
        self.running = False
        left = QVBoxLayout()
        left.addLayout(form)
        left.addWidget(_row(self.start, self.stop, self.resume, self.resume_steps))
        left.addWidget(self.status)
        left.addWidget(self.warnings)
        left.addWidget(QLabel("Past runs"))
        left.addWidget(self.runs, 1)
        left.addWidget(self.evaluate)
        self.loss_plot = pg.PlotWidget(title="CoBi losses")
        self.loss_plot.addLegend()
        self.loss_plot.setLabel("bottom", "step")
        self.val_plot = pg.PlotWidget(title="Validation")
        self.val_plot.addLegend()
        self.val_plot.setLabel("bottom", "step")
        self.curves = {}
        self.series: dict[str, tuple[list, list]] = {}
        self.previews = [ImagePane("input"), ImagePane("output"), ImagePane("target")]
        prev = QHBoxLayout()
        for p in self.previews:
            prev.addWidget(p)
        right = QVBoxLayout()
        right.addWidget(self.loss_plot, 2)
        right.addWidget(self.val_plot, 1)
        right.addLayout(prev, 2)
        lay = QHBoxLayout(self)
        lay.addLayout(left, 1)
        lay.addLayout(right, 3)
        self.start.clicked.connect(self._start)
        self.stop.clicked.connect(self.stop_requested)
        self.resume.clicked.connect(self._resume)
        self.runs.currentItemChanged.connect(self._run_selected)
        self.resume_steps.valueChanged.connect(self._update_resume)
        self._update_resume()
        self.evaluate.clicked.connect(self._evaluate)
        self.runs.itemSelectionChanged.connect(self._selection_changed)
        self.base_config = TrainConfig()
        self.preset.textActivated.connect(self.apply_preset)

    def apply_preset(self, name: str) -> None:
        """Fill the form from a bundled config, keeping the data root already chosen."""
        from ..core.resources import config_path
        from ..core.train.config import load_config

        root = self.data_root.text()
        try:
            cfg = load_config(config_path(name))
        except (OSError, ValueError) as exc:
            self.status.setText(f"cannot load preset {name}: {exc}")
            return
        self.set_config(dataclasses.replace(cfg, data=dataclasses.replace(cfg.data, root=root or cfg.data.root)))
        self.preset.setCurrentText(name)
        self.status.setText(f"preset {name}")

    def config(self) -> TrainConfig:
        """The form as a TrainConfig (on top of ``base_config``)."""
        b = self.base_config
        zoom = int(self.zoom.currentText())
        return dataclasses.replace(
            b,
            device=self.device.currentText(),
            steps=self.steps.value(),
            val_every=self.val_every.value(),
            val_lpips=self.val_lpips.isChecked(),
            batch_size=self.batch.value(),
            data=dataclasses.replace(b.data, root=self.data_root.text(), zoom=zoom, patch=self.patch.value(),
                                     split_seed=self.split_seed.value(), input=self.input_kind.currentText()),
            net=dataclasses.replace(b.net, zoom=zoom, width=self.width_net.value(), blocks=self.blocks.value(),
                                    in_channels=3 if self.input_kind.currentText() == "png" else 4),
            loss=dataclasses.replace(b.loss, rgb_weight=self.rgb_weight.value(), vgg_weight=self.vgg_weight.value(),
                                     l1_weight=self.l1_weight.value(), patch=self.patch_n.value(),
                                     w_spatial=self.w_spatial.value()),
            optim=dataclasses.replace(b.optim, lr=float(self.lr.text())),
        )

    def set_config(self, cfg: TrainConfig) -> None:
        self.base_config = cfg
        self.data_root.setText(cfg.data.root)
        self.zoom.setCurrentText(str(cfg.data.zoom))
        self.input_kind.setCurrentText(cfg.data.input)
        self.rgb_weight.setValue(cfg.loss.rgb_weight)
        self.vgg_weight.setValue(cfg.loss.vgg_weight)
        self.l1_weight.setValue(cfg.loss.l1_weight)
        self.patch_n.setValue(cfg.loss.patch)
        self.w_spatial.setValue(cfg.loss.w_spatial)
        self.lr.setText(f"{cfg.optim.lr:g}")
        self.steps.setValue(cfg.steps)
        self.batch.setValue(cfg.batch_size)
        self.patch.setValue(cfg.data.patch)
        self.width_net.setValue(cfg.net.width)
        self.blocks.setValue(cfg.net.blocks)
        self.device.setCurrentText(cfg.device)
        self.split_seed.setValue(cfg.data.split_seed)
        self.val_every.setValue(cfg.val_every)
        self.val_lpips.setChecked(cfg.val_lpips)

    def set_runs(self, runs: list[dict]) -> None:
        self.runs.clear()
        for r in runs:
            best = f", best PSNR {r['best_psnr']:.2f}" if r["best_psnr"] is not None else ""
            item = QListWidgetItem(qta.icon("mdi.chart-line"), f"{r['name']}: {r['steps']} steps{best}")
            item.setData(256, r["run"])
            self.runs.addItem(item)
        self._update_resume()

    def _start(self) -> None:
        try:
            cfg = self.config()
        except ValueError as exc:
            self.status.setText(f"Invalid settings: {exc}")
            return
        self.clear_plots()
        self.start_requested.emit(cfg)

    def _run_selected(self, item, _previous=None) -> None:
        """A run's own total steps become the resume target (from its config.yaml; no torch)."""
        from ..core.train import load_config

        self._update_resume()
        if item is None:
            self.resume_steps.setValue(0)
            return
        try:
            self.resume_steps.setValue(load_config(Path(item.data(256)) / "config.yaml").steps)
        except (OSError, ValueError) as exc:
            self.resume_steps.setValue(0)
            self.status.setText(f"{item.data(256)}: cannot read its config ({exc})")
        self._update_resume()

    def _update_resume(self) -> None:
        """Resuming needs a selected run (and its target step) and no run in progress."""
        chosen = self.runs.currentItem() is not None
        self.resume_steps.setEnabled(chosen and not self.running)
        self.resume.setEnabled(chosen and not self.running and self.resume_steps.value() > 0)

    def _resume(self) -> None:
        item = self.runs.currentItem()
        if item is not None:
            self.resume_requested.emit(item.data(256), self.resume_steps.value())

    def _evaluate(self) -> None:
        item = self.runs.currentItem()
        if item is None:
            return
        ck = Path(item.data(256)) / "checkpoints"
        best = ck / "best.safetensors"
        model = best if best.exists() else ck / "last.safetensors"
        if not model.exists():
            self.status.setText(f"{item.data(256)}: no checkpoint to evaluate yet")
            return
        self.evaluate_requested.emit(str(model))

    def _selection_changed(self) -> None:
        if not self.running:
            self.show_runs([it.data(256) for it in self.runs.selectedItems()])

    def show_runs(self, run_dirs: list[str]) -> None:
        """Overlay the total loss and validation PSNR of past runs (one colour each)."""
        self.clear_plots()
        for i, run in enumerate(run_dirs):
            records = read_metrics(run)
            name = Path(run).name
            pen = pg.mkPen(self.RUN_COLOURS[i % len(self.RUN_COLOURS)], width=2)
            steps = [(r["step"], r["loss"]) for r in records if "loss" in r]
            vals = [(r["step"], r["val"]["psnr"]) for r in records if "psnr" in r.get("val", {})]
            for plot, points in ((self.loss_plot, steps), (self.val_plot, vals)):
                if points:
                    xs, ys = (np.array(v, dtype=float) for v in zip(*points))
                    key = f"{name} {'loss' if plot is self.loss_plot else 'PSNR'}"
                    self.curves[key] = plot.plot(xs, ys, pen=pen, name=name)
                    self.series[key] = (list(xs), list(ys))

    def set_running(self, running: bool) -> None:
        self.running = running
        self.start.setEnabled(not running)
        self._update_resume()
        self.evaluate.setEnabled(not running)
        self.stop.setEnabled(running)

    def clear_plots(self) -> None:
        self.loss_plot.clear()
        self.val_plot.clear()
        self.curves.clear()
        self.series.clear()

    def _add_point(self, plot: pg.PlotWidget, name: str, x: float, y: float) -> None:
        colours = {"total": "#f5f7fa", "cobi_rgb": "#e5484d", "cobi_vgg": "#3e63dd", "l1": "#46a758",
                   "psnr": "#f5a524", "ssim": "#12a594", "lpips": "#8e4ec6"}
        if name not in self.curves:
            self.curves[name] = plot.plot([], [], pen=pg.mkPen(colours.get(name, "#ffffff"), width=2), name=name)
            self.series[name] = ([], [])
        xs, ys = self.series[name]
        xs.append(x)
        ys.append(y)
        self.curves[name].setData(np.array(xs), np.array(ys))

    def point_count(self, name: str) -> int:
        return len(self.series.get(name, ([], []))[0])

    def on_event(self, ev) -> None:
        if isinstance(ev, Problem):
            self._warning_lines = (self._warning_lines + [f"warning: {ev}"])[-3:]  # the newest three
            self.warnings.setText("\n".join(self._warning_lines))
            self.warnings.setVisible(True)
        elif isinstance(ev, RunStarted):
            self._warning_lines = self._warning_lines if ev.resumed_from else []
            self.warnings.setVisible(bool(self._warning_lines))
            self.status.setText(f"Running on {ev.device}: {ev.run_dir}")
        elif isinstance(ev, StepDone):
            self._add_point(self.loss_plot, "total", ev.step, ev.loss)
            for k, v in ev.terms.items():
                self._add_point(self.loss_plot, k, ev.step, v)
            self.status.setText(f"step {ev.step}/{ev.total}  loss {ev.loss:.4f}  {ev.steps_per_s:.2f} it/s  "
                                f"ETA {ev.eta_s / 60:.1f} min")
        elif isinstance(ev, ValidationDone):
            for k, v in ev.metrics.items():
                if isinstance(v, float):
                    self._add_point(self.val_plot, k, ev.step, v)
        elif isinstance(ev, PreviewReady):
            for pane, key in zip(self.previews, ("input", "output", "target")):
                pane.set_image(ev.images.get(key), f"{key} (step {ev.step})")
        elif isinstance(ev, CheckpointSaved) and ev.kind != "periodic":
            self.status.setText(f"step {ev.step}: saved {ev.kind} checkpoint")
        elif isinstance(ev, RunFinished):
            extra = f": {ev.message}" if ev.message else ""
            self.status.setText(f"{ev.reason} at step {ev.step}{extra}")


def _ispin(value: int, lo: int, hi: int, step: int = 1) -> QSpinBox:
    s = QSpinBox()
    s.setRange(lo, hi)
    s.setSingleStep(step)
    s.setValue(value)
    return s


def _dspin(value: float, lo: float, hi: float, step: float = 0.1) -> QDoubleSpinBox:
    s = QDoubleSpinBox()
    s.setRange(lo, hi)
    s.setDecimals(3)
    s.setSingleStep(step)
    s.setValue(value)
    return s


def _row(*widgets) -> QWidget:
    w = QWidget()
    lay = QHBoxLayout(w)
    lay.setContentsMargins(0, 0, 0, 0)
    for x in widgets:
        lay.addWidget(x)
    return w


__all__ = ["TrainingPanel", "Path"]
