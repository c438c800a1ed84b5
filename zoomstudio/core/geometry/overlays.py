"""Overlay renderings for inspecting an alignment (used by the GUI and ``compare/`` images).

All functions take float images in [0, 1] of equal shape, (H, W) or (H, W, 3),
and return float32 images in [0, 1] of that shape.
"""

from __future__ import annotations

import numpy as np


def _check_pair(a: np.ndarray, b: np.ndarray) -> None:
    if a.shape != b.shape:
        raise ValueError(f"images must have the same shape, got {a.shape} and {b.shape}")


def blend(a: np.ndarray, b: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """``(1 - alpha) * a + alpha * b``; alpha in [0, 1]."""
    _check_pair(a, b)
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    return ((1.0 - alpha) * a + alpha * b).astype(np.float32)


def difference(a: np.ndarray, b: np.ndarray, gain: float = 4.0) -> np.ndarray:
    """Absolute difference amplified by ``gain`` (misalignment shows as bright edges)."""
    _check_pair(a, b)
    return np.clip(np.abs(a.astype(np.float32) - b.astype(np.float32)) * gain, 0.0, 1.0)


def checkerboard(a: np.ndarray, b: np.ndarray, tile: int = 64) -> np.ndarray:
    """Alternating ``tile`` x ``tile`` squares of ``a`` and ``b``; edges break where misaligned."""
    _check_pair(a, b)
    if tile < 1:
        raise ValueError(f"tile must be >= 1, got {tile}")
    h, w = a.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    mask = ((yy // tile + xx // tile) % 2).astype(bool)
    if a.ndim == 3:
        mask = mask[..., None]
    return np.where(mask, b, a).astype(np.float32)


def mean_image(frames: list[np.ndarray]) -> np.ndarray:
    """Mean of frames (the authors' ``compare/aligned.jpg`` and ``orig.jpg``): sharp when aligned."""
    if not frames:
        raise ValueError("mean_image needs at least one frame")
    shape = frames[0].shape
    acc = np.zeros(shape, dtype=np.float64)
    for f in frames:
        _check_pair(frames[0], f)
        acc += f
    return (acc / len(frames)).astype(np.float32)


def false_colour(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Reference in magenta, frame in green: gray where they agree, coloured fringes where not."""
    _check_pair(a, b)
    ga = a.mean(axis=2) if a.ndim == 3 else a
    gb = b.mean(axis=2) if b.ndim == 3 else b
    return np.stack([ga, gb, ga], axis=-1).astype(np.float32)
