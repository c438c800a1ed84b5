"""Alignment inspector: reference vs FOV-matched shot, before / after alignment, in several modes."""

from __future__ import annotations

import math

import numpy as np
import qtawesome as qta
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..core.geometry import overlays
from ..core.geometry.ecc import MOTION_MODELS, warp_to_reference
from .panes import ImagePane

MODES = ("blend", "difference", "checkerboard", "blink", "mean")


def render_mode(mode: str, ref: np.ndarray, frame: np.ndarray, *, alpha: float = 0.5, tile: int = 48,
                blink_on: bool = False, mean_frames: list[np.ndarray] | None = None) -> np.ndarray:
    """The inspector's picture for ``mode`` (float RGB in [0, 1])."""
    if mode == "blend":
        return overlays.blend(ref, frame, alpha)
    if mode == "difference":
        return overlays.difference(ref, frame)
    if mode == "checkerboard":
        return overlays.checkerboard(ref, frame, tile)
    if mode == "blink":
        return frame if blink_on else ref
    if mode == "mean":
        return overlays.mean_image(mean_frames or [ref, frame])
    raise ValueError(f"unknown mode {mode!r}")


class AlignmentInspector(QWidget):
    """Shows one shot against the reference, unaligned (left) and aligned (right)."""

    realign_requested = Signal(str, int)  # motion model, iterations

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.before = ImagePane("Before alignment")
        self.after = ImagePane("After alignment")
        self.before.link(self.after)
        self.mode = QComboBox()
        self.mode.addItems(MODES)
        self.alpha = QSlider(Qt.Horizontal)
        self.alpha.setRange(0, 100)
        self.alpha.setValue(50)
        self.info = QPlainTextEdit()
        self.info.setReadOnly(True)
        self.info.setMaximumHeight(110)
        self.motion = QComboBox()
        self.motion.addItems(MOTION_MODELS)
        self.motion.setCurrentText("euclidean")
        self.iterations = QSpinBox()
        self.iterations.setRange(10, 2000)
        self.iterations.setValue(100)
        self.realign = QPushButton(qta.icon("mdi.image-filter-center-focus"), "Re-align && save")
        self.cancel = QPushButton(qta.icon("mdi.stop"), "Cancel")
        self.cancel.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        controls = QFormLayout()
        controls.addRow("Mode", self.mode)
        controls.addRow("Blend", self.alpha)
        controls.addRow("Motion model", self.motion)
        controls.addRow("ECC iterations / level", self.iterations)
        buttons = QHBoxLayout()
        buttons.addWidget(self.realign)
        buttons.addWidget(self.cancel)
        side = QVBoxLayout()
        side.addLayout(controls)
        side.addLayout(buttons)
        side.addWidget(self.progress)
        side.addWidget(QLabel("Alignment"))
        side.addWidget(self.info)
        side.addStretch(1)
        panes = QHBoxLayout()
        panes.addWidget(self.before, 1)
        panes.addWidget(self.after, 1)
        lay = QHBoxLayout(self)
        lay.addLayout(panes, 4)
        lay.addLayout(side, 1)
        self._blink = QTimer(self)
        self._blink.setInterval(500)
        self._blink.timeout.connect(self._toggle_blink)
        self._blink_on = False
        self.previews: dict[str, np.ndarray] = {}
        self.matrices: dict[str, np.ndarray] = {}
        self.frames_info: dict[str, dict] = {}
        self.full_hw = (1, 1)
        self.key = "00001"
        self.mode.currentTextChanged.connect(self._mode_changed)
        self.alpha.valueChanged.connect(self.refresh)
        self.realign.clicked.connect(lambda: self.realign_requested.emit(self.motion.currentText(),
                                                                          self.iterations.value()))

    def set_data(self, previews: dict[str, np.ndarray], matrices: dict[str, np.ndarray], full_hw,
                 frames_info: dict[str, dict] | None = None) -> None:
        self.previews, self.matrices, self.full_hw = previews, matrices, full_hw
        self.frames_info = frames_info or {}
        if (self.key not in previews or self.key == "00001") and previews:
            others = [k for k in sorted(previews) if k != "00001"]
            self.key = others[0] if others else "00001"
        self.refresh(autorange=True)

    def show_key(self, key: str) -> None:
        self.key = key
        self.refresh(autorange=True)

    def _mode_changed(self, mode: str) -> None:
        self.alpha.setEnabled(mode == "blend")
        if mode == "blink":
            self._blink.start()
        else:
            self._blink.stop()
        self.refresh()

    def _toggle_blink(self) -> None:
        self._blink_on = not self._blink_on
        self.refresh()

    def aligned(self, key: str) -> np.ndarray:
        return warp_to_reference(self.previews[key], self.matrices.get(key, np.eye(3)), self.full_hw)

    def refresh(self, *_, autorange: bool = False) -> None:
        if "00001" not in self.previews or self.key not in self.previews:
            return
        ref = self.previews["00001"]
        frame = self.previews[self.key]
        aligned = self.aligned(self.key)
        mode = self.mode.currentText()
        kw = dict(alpha=self.alpha.value() / 100, blink_on=self._blink_on)
        if mode == "mean":
            unaligned_all = [self.previews[k] for k in sorted(self.previews)]
            aligned_all = [self.aligned(k) for k in sorted(self.previews)]
            self.before.set_image(render_mode(mode, ref, frame, mean_frames=unaligned_all, **kw),
                                  "Mean of unaligned frames", autorange=autorange)
            self.after.set_image(render_mode(mode, ref, aligned, mean_frames=aligned_all, **kw),
                                 "Mean of aligned frames", autorange=autorange)
        else:
            self.before.set_image(render_mode(mode, ref, frame, **kw), f"{self.key} vs 00001, before ({mode})",
                                  autorange=autorange)
            self.after.set_image(render_mode(mode, ref, aligned, **kw), f"{self.key} vs 00001, after ({mode})",
                                 autorange=autorange)
        m = self.matrices.get(self.key, np.eye(3))
        fi = self.frames_info.get(self.key, {})
        shift = math.hypot(m[0, 2], m[1, 2])
        rot = math.degrees(math.atan2(m[1, 0], m[0, 0]))
        score = fi.get("score")
        state = "valid" if fi.get("valid", True) else f"INVALID: {fi.get('reason')}"
        rows = "\n".join(" ".join(f"{v:9.4f}" for v in row) for row in m[:2])
        self.info.setPlainText(f"{self.key}: ECC score {score if score is not None else 'n/a'} ({state})\n"
                               f"shift {shift:.2f} px, rotation {rot:.3f} deg\n{rows}")
