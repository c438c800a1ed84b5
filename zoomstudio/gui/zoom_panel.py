"""Zoom panel: a queue of RAW files, zoom factor, region (centre or dragged rectangle), model, run.

Queue items stay listed with their state (pending, done, failed); "Zoom queue"
runs the pending ones and "Zoom selected again" re-queues finished ones, e.g.
after dragging a new region. Selecting an item shows its preview (a quick
half-size RAW render loaded by the window in the background), on which the
rectangle is the region in sensor pixels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
import qtawesome as qta
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from .panes import ImagePane


class DropZone(QFrame):
    """The empty preview: a large target that says what to do; a click asks for a file dialog."""

    clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dropzone")
        self.setStyleSheet("#dropzone { border: 3px dashed #8a8f98; border-radius: 16px; }"
                           "#dropzone:hover { border-color: #f5a524; }")
        self.setCursor(Qt.PointingHandCursor)
        self.setToolTip("Drop RAW files or folders here, or click to choose files")
        icon = QLabel()
        icon.setPixmap(qta.icon("mdi6.tray-arrow-down", color="#8a8f98").pixmap(96, 96))
        icon.setAlignment(Qt.AlignCenter)
        self.title = QLabel("Drop RAW files or folders here")
        self.title.setAlignment(Qt.AlignCenter)
        self.title.setStyleSheet("font-size: 20pt; font-weight: bold; border: none;")
        hint = QLabel("or click to choose files. Any camera LibRaw reads: ARW, CR2, CR3, NEF, RAF, ORF, RW2, "
                      "DNG, …<br>Each file is zoomed with its camera's own colours; drag the rectangle on its "
                      "preview to choose the region.")
        hint.setAlignment(Qt.AlignCenter)
        hint.setWordWrap(True)
        hint.setStyleSheet("border: none;")
        lay = QVBoxLayout(self)
        lay.addStretch(1)
        lay.addWidget(icon)
        lay.addWidget(self.title)
        lay.addWidget(hint)
        lay.addStretch(1)

    def mouseReleaseEvent(self, event) -> None:
        if event.button() == Qt.LeftButton and self.rect().contains(event.position().toPoint()):
            self.clicked.emit()
        super().mouseReleaseEvent(event)


class ZoomPanel(QWidget):
    """The queue and options; the main window runs the zoom jobs."""

    browse_requested = Signal()  # the drop zone was clicked: choose files
    run_requested = Signal()
    cancel_requested = Signal()
    save_requested = Signal(str)  # format
    preview_requested = Signal(str)  # a RAW path whose preview the window should load

    PENDING, DONE, FAILED = "pending", "done", "failed"
    ROLE_PATH, ROLE_STATE = 256, 257

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.queue = QListWidget()
        self.scale = QComboBox()
        self.scale.addItems(["4", "2", "8"])
        self.model = QLineEdit()
        self.model.setPlaceholderText("bundled model for the chosen zoom")
        self.colour = QComboBox()
        for mode, label in (("camera", "Camera's colours (its JPEG)"), ("libraw", "LibRaw (colour matrix, sRGB)"),
                            ("model", "The model's own rendering")):
            self.colour.addItem(label, mode)
        self.colour.setToolTip("camera: the colours of the camera's own JPEG (embedded preview or a sibling .JPG), "
                               "else LibRaw's; libraw: the file's white balance and colour matrix; model: the "
                               "network's learned rendering")
        self.custom_region = QCheckBox("Use the dragged rectangle (else the centre 1/zoom)")
        self.preview = ImagePane("Preview (drag the rectangle to choose the region)")
        self.roi = pg.RectROI((0, 0), (10, 10), pen=pg.mkPen("#f5a524", width=2))
        self.preview.box.addItem(self.roi)
        self.run = QPushButton(qta.icon("mdi.magnify-plus"), "Zoom queue")
        self.requeue = QPushButton(qta.icon("mdi.restore"), "Zoom selected again")
        self.requeue.setToolTip("Queue the selected files again (e.g. with a new region), then zoom")
        self.cancel = QPushButton(qta.icon("mdi.stop"), "Cancel")
        self.cancel.setEnabled(False)
        self.fmt = QComboBox()
        self.fmt.addItems(["tiff", "png", "png8", "jpeg", "dng"])
        self.save = QPushButton(qta.icon("mdi.content-save"), "Save result…")
        self.save.setEnabled(False)
        self.progress = QProgressBar()
        self.status = QLabel("")
        self.status.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Zoom", self.scale)
        form.addRow("Model", self.model)
        form.addRow("Colours", self.colour)
        form.addRow(self.custom_region)
        left = QVBoxLayout()
        left.addWidget(QLabel("Queue"))
        left.addWidget(self.queue, 1)
        left.addLayout(form)
        row = QHBoxLayout()
        row.addWidget(self.run)
        row.addWidget(self.requeue)
        row.addWidget(self.cancel)
        left.addLayout(row)
        row2 = QHBoxLayout()
        row2.addWidget(self.fmt)
        row2.addWidget(self.save)
        left.addLayout(row2)
        left.addWidget(self.progress)
        left.addWidget(self.status)
        self.drop_zone = DropZone()
        self.drop_zone.clicked.connect(self.browse_requested)
        self.right = QStackedWidget()
        self.right.addWidget(self.drop_zone)
        self.right.addWidget(self.preview)
        lay = QHBoxLayout(self)
        lay.addLayout(left, 1)
        lay.addWidget(self.right, 2)
        self.run.clicked.connect(self.run_requested)
        self.cancel.clicked.connect(self.cancel_requested)
        self.save.clicked.connect(lambda: self.save_requested.emit(self.fmt.currentText()))
        self.requeue.clicked.connect(self._requeue_selected)
        self.queue.setSelectionMode(QListWidget.ExtendedSelection)
        self.queue.currentItemChanged.connect(self._current_changed)
        self.scale.currentTextChanged.connect(lambda _: self._centre_roi())
        self.custom_region.toggled.connect(lambda on: on or self._centre_roi())
        self.roi.sigRegionChangeFinished.connect(lambda _: self.custom_region.setChecked(True))  # dragged: use it
        self.preview_scale = 1.0
        self.preview_path: str | None = None

    # ------------------------------------------------------------ queue
    def _item(self, path: str | Path) -> QListWidgetItem | None:
        for i in range(self.queue.count()):
            if self.queue.item(i).data(self.ROLE_PATH) == str(path):
                return self.queue.item(i)
        return None

    def add_files(self, paths: list[Path]) -> None:
        """Queue ``paths`` (pending; a file already listed is queued again) and preview the first."""
        first = None
        for p in paths:
            item = self._item(p)
            if item is None:
                item = QListWidgetItem(p.name)
                item.setData(self.ROLE_PATH, str(p))
                self.queue.addItem(item)
            self.mark(p, self.PENDING)
            first = first or item
        if first is not None:
            self.queue.setCurrentItem(first)

    def queued(self) -> list[Path]:
        """The pending files, in queue order."""
        items = (self.queue.item(i) for i in range(self.queue.count()))
        return [Path(it.data(self.ROLE_PATH)) for it in items if it.data(self.ROLE_STATE) == self.PENDING]

    def state(self, path: str | Path) -> str | None:
        item = self._item(path)
        return None if item is None else item.data(self.ROLE_STATE)

    def mark(self, path: str | Path, state: str, note: str = "") -> bool:
        """Set a listed file's state (icon and tooltip); False when it is not listed."""
        item = self._item(path)
        if item is None:
            return False
        icon = {self.PENDING: ("mdi.camera", None), self.DONE: ("mdi.check-circle", "#46a758"),
                self.FAILED: ("mdi.alert-circle", "#e5484d")}[state]
        item.setIcon(qta.icon(icon[0], color=icon[1]) if icon[1] else qta.icon(icon[0]))
        item.setData(self.ROLE_STATE, state)
        item.setToolTip(f"{item.data(self.ROLE_PATH)}\n{state}" + (f": {note}" if note else ""))
        return True

    def _requeue_selected(self) -> None:
        for item in self.queue.selectedItems():
            self.mark(item.data(self.ROLE_PATH), self.PENDING)
        if self.queued():
            self.run_requested.emit()

    def _current_changed(self, current: QListWidgetItem | None, _previous) -> None:
        if current is not None and current.data(self.ROLE_PATH) != self.preview_path:
            self.preview_requested.emit(current.data(self.ROLE_PATH))

    # ------------------------------------------------------------ preview and region
    def set_preview(self, rgb: np.ndarray, sensor_hw: tuple[int, int], path: str | None = None) -> None:
        """Show ``rgb`` (a reduced view of a ``sensor_hw`` mosaic); the rectangle stays where the user put it."""
        self.preview_path = path
        self.right.setCurrentWidget(self.preview)
        self.preview.set_image(rgb, f"Preview of {Path(path).name}: drag the rectangle to choose the region"
                               if path else None)
        self.preview_scale = rgb.shape[1] / sensor_hw[1]
        if not self.custom_region.isChecked():
            self._centre_roi()

    def _centre_roi(self) -> None:
        """The default region: the centre 1/zoom of the frame."""
        if self.preview.image is None:
            return
        h, w = self.preview.image.shape[:2]
        scale = int(self.scale.currentText())
        # finish=False: a programmatic move is not the user's drag (which turns the custom region on)
        self.roi.setPos(((w - w / scale) / 2, (h - h / scale) / 2), finish=False)
        self.roi.setSize((w / scale, h / scale), finish=False)

    def region(self) -> tuple[int, int, int, int] | None:
        """The dragged rectangle in sensor pixels, or ``None`` for the centre default."""
        if not self.custom_region.isChecked():
            return None
        x, y = self.roi.pos()
        w, h = self.roi.size()
        s = self.preview_scale or 1.0
        return int(x / s), int(y / s), int(w / s), int(h / s)
