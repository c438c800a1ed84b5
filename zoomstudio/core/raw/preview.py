"""A quick display rendering of a RAW: packed half-size, as-shot white balance, 2.2 gamma."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .decode import RawImage, read_raw


def quick_render(raw: RawImage, max_side: int | None = None) -> np.ndarray:
    """RGB float32 (H/2, W/2, 3) in [0, 1] of the visible mosaic (sensor orientation, no demosaicing).

    Pixel (i, j) covers sensor pixels (2i..2i+1, 2j..2j+1), so a region picked
    on it maps to sensor pixels exactly by a factor 2 (or the shrink factor
    when ``max_side`` reduces it further, by area averaging).
    """
    import cv2

    p = raw.packed()
    gains = raw.meta.wb_gains
    rgb = np.stack([p[0] * gains[0], 0.5 * (p[1] + p[3]), p[2] * gains[2]], axis=-1)
    rgb = np.power(np.clip(rgb, 0, 1), 1 / 2.2, dtype=np.float32)
    h, w = rgb.shape[:2]
    if max_side is not None and max(h, w) > max_side:
        s = max_side / max(h, w)
        rgb = cv2.resize(rgb, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
    return rgb


def raw_preview(path: str | Path, max_side: int = 1600) -> tuple[np.ndarray, tuple[int, int]]:
    """``(rgb, (sensor_h, sensor_w))`` of a RAW file for choosing a region. Raises RawReadError."""
    raw = read_raw(path)
    return quick_render(raw, max_side), raw.mosaic.shape[:2]
