"""A camera's colorimetry: as-shot white balance and the camera RGB -> linear sRGB matrix.

LibRaw renders camera RGB to sRGB with ``cam_to_srgb = inv(normalise_rows(xyz_to_cam @ srgb_to_xyz))``
after white balance (design.md section 7). Files whose metadata is odd (an all-zero or singular
colour matrix) get the identity matrix and say so in ``CameraColour.source``, so colour degrades
to "white-balanced camera RGB" instead of breaking.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

log = logging.getLogger(__name__)

#: Linear sRGB (D65) -> CIE XYZ, IEC 61966-2-1.
SRGB_TO_XYZ = np.array([
    [0.4124564, 0.3575761, 0.1804375],
    [0.2126729, 0.7151522, 0.0721750],
    [0.0193339, 0.1191920, 0.9503041],
])

#: Entries beyond this size mean a broken matrix (real cameras stay well below 5).
_MAX_ENTRY = 10.0


@dataclass(frozen=True)
class CameraColour:
    """How to render one camera's RGB.

    ``wb``: (3,) R, G, B gains normalised to G = 1, multiplied into the black-
    subtracted, white-normalised camera RGB; ``cam_to_srgb``: (3, 3) matrix
    taking white-balanced camera RGB to linear sRGB (rows sum to 1, so white
    stays white); ``source``: where the matrix came from.
    """

    wb: np.ndarray
    cam_to_srgb: np.ndarray
    source: str

    def with_wb(self, wb) -> "CameraColour":
        return CameraColour(np.asarray(wb, dtype=np.float64)[:3], self.cam_to_srgb, self.source)


def _usable(m: np.ndarray | None) -> bool:
    return (m is not None and m.shape == (3, 3) and bool(np.all(np.isfinite(m))) and bool(np.any(m))
            and abs(float(np.linalg.det(m))) > 1e-6 and float(np.abs(m).max()) < _MAX_ENTRY)


def cam_to_srgb_from_xyz(xyz_to_cam: np.ndarray) -> np.ndarray | None:
    """LibRaw's ``cam_xyz_coeff``: (3, 3) camera-from-XYZ -> sRGB-from-camera; ``None`` if unusable."""
    m = np.asarray(xyz_to_cam, dtype=np.float64)[:3, :3]
    if not _usable(m):
        return None
    cam_rgb = m @ SRGB_TO_XYZ
    sums = cam_rgb.sum(axis=1, keepdims=True)
    if np.any(np.abs(sums) < 1e-6):
        return None
    out = np.linalg.inv(cam_rgb / sums)
    return out if _usable(out) else None


def camera_colour(xyz_to_cam, rgb_cam, wb_gains) -> CameraColour:
    """The colorimetry of a file from LibRaw's ``rgb_xyz_matrix``, ``color_matrix`` and as-shot gains.

    ``xyz_to_cam`` (3, 3) or ``None``; ``rgb_cam`` LibRaw's camera -> sRGB
    matrix (3, 3) or ``None`` (set for some DNGs whose XYZ matrix LibRaw does
    not expose); ``wb_gains`` (R, G, B[, G2]) multipliers, G = 1.
    """
    wb = np.asarray(wb_gains, dtype=np.float64)[:3]
    m = None if xyz_to_cam is None else cam_to_srgb_from_xyz(xyz_to_cam)
    if m is not None:
        return CameraColour(wb, m, "camera matrix (XYZ)")
    m = None if rgb_cam is None else np.asarray(rgb_cam, dtype=np.float64)[:3, :3]
    if _usable(m):
        return CameraColour(wb, m, "camera matrix (LibRaw rgb_cam)")
    return CameraColour(wb, np.eye(3), "no usable colour matrix: camera RGB shown as sRGB")


def colour_of(meta) -> CameraColour:
    """:func:`camera_colour` of a ``RawMetadata`` (its ``color_matrix``, ``rgb_cam`` and ``wb_gains``).

    A file without a usable as-shot white balance (all gains 1) falls back to
    its daylight balance, as LibRaw does.
    """
    wb = np.asarray(meta.wb_gains, dtype=np.float64)
    if np.allclose(wb[:3], 1.0) and meta.daylight_gains is not None:
        wb = np.asarray(meta.daylight_gains, dtype=np.float64)
    return camera_colour(meta.color_matrix, getattr(meta, "rgb_cam", None), wb)
