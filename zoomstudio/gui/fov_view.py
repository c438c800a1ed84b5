"""FOV view: the widest shot with a labelled rectangle per longer focal length's field of view."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QHBoxLayout, QWidget

from ..core.data.srraw import Sequence, Shot
from ..core.geometry.fov import fov_crop_box
from .panes import ImagePane

COLOURS = ["#f5a524", "#46a758", "#3e63dd", "#e5484d", "#8e4ec6", "#12a594", "#d6409f", "#ffffff"]


def fov_rectangles(sequence: Sequence, size_hw: tuple[int, int]) -> list[tuple[str, tuple[int, int, int, int], str]]:
    """(shot key, (x, y, w, h) in the widest shot's pixels, label) for every longer focal length."""
    widest = sequence.shots[-1]
    out = []
    for shot in sequence.shots[:-1]:
        box = fov_crop_box(size_hw, float(widest.focal_length), float(shot.focal_length))
        ratio = float(shot.focal_length) / float(widest.focal_length)
        out.append((shot.key, box, f"{shot.key}: {shot.focal_length:g} mm ({ratio:.2f}x)"))
    return out


class FovView(QWidget):
    """Left: the widest shot with FOV rectangles; right: the selected shot FOV-matched to the reference."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.wide = ImagePane("Widest shot")
        self.crop = ImagePane("FOV-matched shot")
        lay = QHBoxLayout(self)
        lay.addWidget(self.wide, 1)
        lay.addWidget(self.crop, 1)
        self.rects: list[tuple[str, pg.RectROI, pg.TextItem]] = []
        self.sequence: Sequence | None = None
        self.previews: dict[str, np.ndarray] = {}

    def show_sequence(self, sequence: Sequence, previews: dict[str, np.ndarray], wide_image: np.ndarray) -> None:
        """``previews``: FOV-matched previews by key; ``wide_image``: the widest shot (H, W, 3)."""
        self.sequence, self.previews = sequence, previews
        self.wide.set_image(wide_image, f"Widest shot {sequence.shots[-1].key} "
                                        f"({sequence.shots[-1].focal_length:g} mm)")
        for _, roi, label in self.rects:
            self.wide.box.removeItem(roi)
            self.wide.box.removeItem(label)
        self.rects.clear()
        for i, (key, (x, y, w, h), text) in enumerate(fov_rectangles(sequence, wide_image.shape[:2])):
            colour = COLOURS[i % len(COLOURS)]
            roi = pg.RectROI((x, y), (w, h), pen=pg.mkPen(colour, width=2), movable=False, resizable=False,
                             rotatable=False)
            for handle in roi.getHandles():
                roi.removeHandle(handle)
            label = pg.TextItem(text, color=colour, anchor=(0, 1))
            label.setPos(x, y)
            self.wide.box.addItem(roi)
            self.wide.box.addItem(label)
            self.rects.append((key, roi, label))
        ref = sequence.reference
        self.show_shot(ref)

    def show_shot(self, shot: Shot) -> None:
        img = self.previews.get(shot.key)
        ratio = ""
        if self.sequence is not None:
            ratio = f", {float(self.sequence.reference.focal_length) / float(shot.focal_length):.2f}x enlarged"
        self.crop.set_image(img, f"{shot.key} ({shot.focal_length:g} mm) FOV-matched to 00001{ratio}")
