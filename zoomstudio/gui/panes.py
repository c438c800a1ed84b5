"""Image panes: a pyqtgraph view with an image, a title, a pixel readout, a loupe and optional links."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from .images import for_image_item, magnified, to_display, to_qimage

#: the loupe: image pixels either side of the pointer, and screen pixels per image pixel
LOUPE_RADIUS = 8
LOUPE_MAGNIFY = 10


class ImagePane(QWidget):
    """One image with zoom/pan (mouse wheel / drag), a pixel readout and a loupe.

    ``hovered(x, y)`` reports the image pixel under the pointer, so linked panes
    can show the same pixel (:meth:`show_pixel`, :meth:`show_loupe`).
    """

    hovered = Signal(int, int)  # x, y in image pixels

    def __init__(self, title: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel(title)
        self.title.setStyleSheet("font-weight: bold;")
        self.readout = QLabel(" ")
        self.readout.setStyleSheet("color: palette(mid); font-family: monospace;")
        self.view = pg.GraphicsLayoutWidget()
        self.view.setBackground("#1b1d23")
        self.view.ci.layout.setContentsMargins(0, 0, 0, 0)
        self.box = self.view.addViewBox(lockAspect=True, invertY=True, enableMenu=False)
        self.box.setDefaultPadding(0.0)
        self.item = pg.ImageItem(axisOrder="col-major")
        self.box.addItem(self.item)
        self.loupe = QLabel(self.view)  # floats over the view's top-right corner
        self.loupe.setStyleSheet("border: 2px solid #f0a020; background: #1b1d23;")
        self.loupe.hide()
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
            self.loupe.hide()
            return
        self.image = to_display(img)
        self.item.setImage(for_image_item(self.image), autoLevels=False, levels=(0, 255))
        if autorange:
            self.fit()

    def link(self, other: "ImagePane") -> None:
        """Synchronise zoom and pan with ``other``."""
        self.box.setXLink(other.box)
        self.box.setYLink(other.box)

    # ------------------------------------------------------------ views
    def fit(self) -> None:
        """The whole image, as large as the pane allows, and kept so as the pane resizes (until the user
        zooms or pans: pyqtgraph then turns auto-range off)."""
        if self.image is not None:
            self.box.autoRange(padding=0.0)  # now (auto-range alone waits for the next paint) ...
            self.box.enableAutoRange()  # ... and again whenever the pane resizes

    def actual_pixels(self) -> None:
        """1:1 (100 %): one image pixel per screen pixel, centred where the view is now."""
        if self.image is None:
            return
        rect = self.box.viewRect()
        ratio = self.devicePixelRatioF() or 1.0  # logical -> physical screen pixels
        w, h = self.box.width() * ratio, self.box.height() * ratio
        cx, cy = rect.center().x(), rect.center().y()
        self.box.setRange(xRange=(cx - w / 2, cx + w / 2), yRange=(cy - h / 2, cy + h / 2), padding=0)

    def screen_pixels_per_image_pixel(self) -> float:
        """The view's magnification (1.0 at 1:1), in physical screen pixels."""
        width = self.box.viewRect().width()
        return float(self.box.width() * (self.devicePixelRatioF() or 1.0) / width) if width else 0.0

    # ------------------------------------------------------------ pointer
    def _moved(self, pos) -> None:
        if self.image is None:
            return
        p = self.box.mapSceneToView(pos)
        x, y = int(np.floor(p.x())), int(np.floor(p.y()))
        h, w = self.image.shape[:2]
        if 0 <= x < w and 0 <= y < h:
            self.show_pixel(x, y)
            self.hovered.emit(x, y)

    def show_pixel(self, x: int, y: int) -> None:
        """The readout of image pixel (x, y), which the pointer may be over in another, linked pane."""
        if self.image is None:
            return
        h, w = self.image.shape[:2]
        if 0 <= x < w and 0 <= y < h:
            r, g, b = (int(v) for v in self.image[y, x, :3])
            self.readout.setText(f"x {x:5d}  y {y:5d}   R {r:3d} G {g:3d} B {b:3d}")
        else:
            self.readout.setText(" ")

    def show_loupe(self, x: int, y: int) -> None:
        """Magnify the pixels around (x, y) in the view's top-right corner (nearest neighbour)."""
        if self.image is None:
            return
        patch = magnified(self.image, x, y, LOUPE_RADIUS, LOUPE_MAGNIFY)
        self.loupe.setPixmap(QPixmap.fromImage(to_qimage(patch)))
        self.loupe.resize(patch.shape[1] + 4, patch.shape[0] + 4)
        self.loupe.move(max(0, self.view.width() - self.loupe.width() - 6), 6)
        self.loupe.show()
        self.loupe.raise_()

    def hide_loupe(self) -> None:
        self.loupe.hide()
