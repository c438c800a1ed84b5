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
