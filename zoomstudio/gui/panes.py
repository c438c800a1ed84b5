"""Image panes: a pyqtgraph view with an image, a title, a pixel readout and optional links."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from .images import for_image_item, to_display


class ImagePane(QWidget):
    """One image with zoom/pan (mouse wheel / drag) and a pixel readout under the cursor."""

    hovered = Signal(int, int)  # x, y in image pixels

    def __init__(self, title: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel(title)
        self.title.setStyleSheet("font-weight: bold;")
        self.readout = QLabel(" ")
        self.readout.setStyleSheet("color: palette(mid); font-family: monospace;")
        self.view = pg.GraphicsLayoutWidget()
        self.view.setBackground("#1b1d23")
        self.box = self.view.addViewBox(lockAspect=True, invertY=True, enableMenu=False)
        self.item = pg.ImageItem(axisOrder="col-major")
        self.box.addItem(self.item)
        self.image: np.ndarray | None = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.setSpacing(2)
        lay.addWidget(self.title)
        lay.addWidget(self.view, 1)
        lay.addWidget(self.readout)
        self.view.scene().sigMouseMoved.connect(self._moved)

    def set_image(self, img: np.ndarray | None, title: str | None = None, autorange: bool = True) -> None:
        if title is not None:
            self.title.setText(title)
        if img is None:
            self.image = None
            self.item.clear()
            return
        self.image = to_display(img)
        self.item.setImage(for_image_item(self.image), autoLevels=False, levels=(0, 255))
        if autorange:
            self.box.autoRange(padding=0.02)

    def link(self, other: "ImagePane") -> None:
        """Synchronise zoom and pan with ``other``."""
        self.box.setXLink(other.box)
        self.box.setYLink(other.box)

    def _moved(self, pos) -> None:
        if self.image is None:
            return
        p = self.box.mapSceneToView(pos)
        x, y = int(p.x()), int(p.y())
        h, w = self.image.shape[:2]
        if 0 <= x < w and 0 <= y < h:
            r, g, b = (int(v) for v in self.image[y, x, :3])
            self.readout.setText(f"x {x:5d}  y {y:5d}   R {r:3d} G {g:3d} B {b:3d}")
            self.hovered.emit(x, y)
