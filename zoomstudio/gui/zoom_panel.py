"""Zoom panel: a queue of RAW files, zoom factor, region (centre or dragged rectangle), model, run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
import qtawesome as qta
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from .panes import ImagePane


class ZoomPanel(QWidget):
    """The queue and options; the main window runs the zoom jobs."""

    run_requested = Signal()
    cancel_requested = Signal()
    save_requested = Signal(str)  # format

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.queue = QListWidget()
        self.scale = QComboBox()
        self.scale.addItems(["4", "2", "8"])
        self.model = QLineEdit()
        self.model.setPlaceholderText("bundled model for the chosen zoom")
        self.custom_region = QCheckBox("Use the dragged rectangle (else the centre 1/zoom)")
        self.preview = ImagePane("Preview (drag the rectangle to choose the region)")
        self.roi = pg.RectROI((0, 0), (10, 10), pen=pg.mkPen("#f5a524", width=2))
        self.preview.box.addItem(self.roi)
        self.run = QPushButton(qta.icon("mdi.magnify-plus"), "Zoom queue")
        self.cancel = QPushButton(qta.icon("mdi.stop"), "Cancel")
        self.cancel.setEnabled(False)
        self.fmt = QComboBox()
        self.fmt.addItems(["tiff", "png", "png8", "jpeg"])
        self.save = QPushButton(qta.icon("mdi.content-save"), "Save result…")
        self.save.setEnabled(False)
        self.progress = QProgressBar()
        self.status = QLabel("Drop RAW files or folders anywhere on the window, or use File > Open.")
        self.status.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Zoom", self.scale)
        form.addRow("Model", self.model)
        form.addRow(self.custom_region)
        left = QVBoxLayout()
        left.addWidget(QLabel("Queue"))
        left.addWidget(self.queue, 1)
        left.addLayout(form)
        row = QHBoxLayout()
        row.addWidget(self.run)
        row.addWidget(self.cancel)
        left.addLayout(row)
        row2 = QHBoxLayout()
        row2.addWidget(self.fmt)
        row2.addWidget(self.save)
        left.addLayout(row2)
        left.addWidget(self.progress)
        left.addWidget(self.status)
        lay = QHBoxLayout(self)
        lay.addLayout(left, 1)
        lay.addWidget(self.preview, 2)
        self.run.clicked.connect(self.run_requested)
        self.cancel.clicked.connect(self.cancel_requested)
        self.save.clicked.connect(lambda: self.save_requested.emit(self.fmt.currentText()))
        self.preview_scale = 1.0

    def add_files(self, paths: list[Path]) -> None:
        for p in paths:
            item = QListWidgetItem(qta.icon("mdi.camera"), p.name)
            item.setData(256, str(p))
            item.setToolTip(str(p))
            self.queue.addItem(item)

    def queued(self) -> list[Path]:
        return [Path(self.queue.item(i).data(256)) for i in range(self.queue.count())]

    def remove(self, path: str | Path) -> bool:
        """Take ``path`` off the queue (done or failed); False when it is not queued."""
        for i in range(self.queue.count()):
            if self.queue.item(i).data(256) == str(path):
                self.queue.takeItem(i)
                return True
        return False

    def set_preview(self, rgb: np.ndarray, sensor_hw: tuple[int, int], scale: int) -> None:
        """Show a preview of the next file with the default (centre) region as the rectangle."""
        self.preview.set_image(rgb)
        self.preview_scale = rgb.shape[1] / sensor_hw[1]
        h, w = rgb.shape[:2]
        self.roi.setPos(((w - w / scale) / 2, (h - h / scale) / 2))
        self.roi.setSize((w / scale, h / scale))

    def region(self) -> tuple[int, int, int, int] | None:
        """The dragged rectangle in sensor pixels, or ``None`` for the centre default."""
        if not self.custom_region.isChecked():
            return None
        x, y = self.roi.pos()
        w, h = self.roi.size()
        s = self.preview_scale or 1.0
        return int(x / s), int(y / s), int(w / s), int(h / s)
