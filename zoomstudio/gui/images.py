"""numpy images <-> what pyqtgraph / Qt show."""

from __future__ import annotations

import numpy as np


def to_display(img: np.ndarray) -> np.ndarray:
    """float [0, 1] or uint8 (H, W[, 3]) -> uint8 (H, W, 3) for display."""
    a = np.asarray(img)
    if a.dtype != np.uint8:
        a = np.clip(np.rint(a.astype(np.float32) * 255), 0, 255).astype(np.uint8)
    if a.ndim == 2:
        a = np.stack([a] * 3, axis=-1)
    return np.ascontiguousarray(a[..., :3])


def for_image_item(img: np.ndarray) -> np.ndarray:
    """pyqtgraph's ImageItem uses (x, y) = (col, row) order: transpose rows and columns."""
    return np.ascontiguousarray(to_display(img).transpose(1, 0, 2))


def to_qimage(rgb: np.ndarray):
    """uint8 (H, W, 3) RGB -> a QImage that owns a copy of the pixels."""
    from PySide6.QtGui import QImage

    a = np.ascontiguousarray(to_display(rgb))
    h, w = a.shape[:2]
    return QImage(a.data, w, h, 3 * w, QImage.Format_RGB888).copy()


def magnified(rgb: np.ndarray, x: int, y: int, radius: int, factor: int) -> np.ndarray:
    """The (2 radius + 1)^2 pixels around (x, y) of a uint8 (H, W, 3) image, each drawn as a
    ``factor`` x ``factor`` block (outside the image: black), the centre pixel outlined."""
    h, w = rgb.shape[:2]
    side = 2 * radius + 1
    patch = np.zeros((side, side, 3), np.uint8)
    y0, x0 = y - radius, x - radius
    top, bottom, left, right = max(0, y0), min(h, y0 + side), max(0, x0), min(w, x0 + side)
    if bottom > top and right > left:  # any of it inside the image (another pane may be smaller)
        patch[top - y0 : bottom - y0, left - x0 : right - x0] = rgb[top:bottom, left:right, :3]
    big = np.repeat(np.repeat(patch, factor, axis=0), factor, axis=1)
    c0, c1 = radius * factor, (radius + 1) * factor - 1
    big[c0, c0 : c1 + 1] = big[c1, c0 : c1 + 1] = (240, 160, 32)
    big[c0 : c1 + 1, c0] = big[c0 : c1 + 1, c1] = (240, 160, 32)
    return big
