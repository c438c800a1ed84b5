"""Field-of-view (FOV) matching between focal lengths (design.md section 2).

For focal lengths ``f_shot < f_ref`` the part of the shot that sees the
reference's field of view is the central fraction ``f_shot / f_ref`` of each
dimension; scaling it by ``f_ref / f_shot`` makes it pixel-compatible with the
reference. Pixel coordinates are OpenCV's: ``(x, y)``, pixel centres at
integers, scaling about the image centre.
"""

from __future__ import annotations

import numpy as np


def fov_fraction(f_shot: float, f_ref: float) -> float:
    """Linear fraction of the shot that the reference sees (``f_shot / f_ref``)."""
    if f_shot <= 0 or f_ref <= 0:
        raise ValueError(f"focal lengths must be positive, got {f_shot} and {f_ref}")
    return float(f_shot) / float(f_ref)


def fov_crop_box(size_hw: tuple[int, int], f_shot: float, f_ref: float) -> tuple[int, int, int, int]:
    """Integer box ``(x, y, w, h)`` of the shot's pixels that see the reference's FOV.

    For ``f_shot >= f_ref`` (the shot is already the narrower one) the whole
    frame is returned.
    """
    h, w = size_hw
    frac = min(1.0, fov_fraction(f_shot, f_ref))
    bw, bh = max(1, int(round(w * frac))), max(1, int(round(h * frac)))
    return (w - bw) // 2, (h - bh) // 2, bw, bh


def centred_scale(scale_x: float, scale_y: float, src_hw, dst_hw) -> np.ndarray:
    """3x3 map from dst pixel coords to src pixel coords, scaling about the centres.

    ``p_src = (u - c_dst) * scale + c_src`` with ``c = (size - 1) / 2``.
    """
    sh, sw = src_hw
    dh, dw = dst_hw
    return np.array(
        [
            [scale_x, 0.0, (sw - 1) / 2 - scale_x * (dw - 1) / 2],
            [0.0, scale_y, (sh - 1) / 2 - scale_y * (dh - 1) / 2],
            [0.0, 0.0, 1.0],
        ]
    )


def fov_matrix(f_shot: float, f_ref: float, src_hw, dst_hw=None) -> np.ndarray:
    """3x3 map from FOV-matched pixel coords (a ``dst_hw`` frame) to the shot's pixels.

    ``dst_hw`` defaults to the shot's own size, i.e. the FOV-matched image at
    full resolution; a smaller ``dst_hw`` gives a downsampled FOV-matched frame.
    """
    dst_hw = src_hw if dst_hw is None else dst_hw
    frac = fov_fraction(f_shot, f_ref)
    sx = frac * src_hw[1] / dst_hw[1]
    sy = frac * src_hw[0] / dst_hw[0]
    return centred_scale(sx, sy, src_hw, dst_hw)


def warp_antialiased(image: np.ndarray, dst_to_src: np.ndarray, dst_hw, *, interpolation: int | None = None,
                     border_mode: int | None = None) -> np.ndarray:
    """Resample ``image`` onto a ``dst_hw`` grid given the 3x3 affine map dst -> src pixels.

    Reductions (more than 1.5 source pixels per output pixel) first shrink the
    source by area averaging so no aliasing is introduced; then one bilinear
    (or ``interpolation``) warp.
    """
    import cv2

    src_hw = image.shape[:2]
    m = np.asarray(dst_to_src, dtype=np.float64)
    factor = float(np.sqrt(abs(np.linalg.det(m[:2, :2]))))
    if factor > 1.5:
        small_hw = (max(1, int(round(src_hw[0] / factor))), max(1, int(round(src_hw[1] / factor))))
        image = cv2.resize(image, (small_hw[1], small_hw[0]), interpolation=cv2.INTER_AREA)
        # Coordinates of the shrunk image: p_small = (p - c) * (small / src) + c_small (centred).
        m = centred_scale(small_hw[1] / src_hw[1], small_hw[0] / src_hw[0], small_hw, src_hw) @ m
    flags = (cv2.INTER_LINEAR if interpolation is None else interpolation) | cv2.WARP_INVERSE_MAP
    border = cv2.BORDER_REPLICATE if border_mode is None else border_mode
    return cv2.warpAffine(image, m[:2], (int(dst_hw[1]), int(dst_hw[0])), flags=flags, borderMode=border)


def fov_match(image: np.ndarray, f_shot: float, f_ref: float, dst_hw=None, *, interpolation: int | None = None) -> np.ndarray:
    """Resample ``image`` (H, W[, C]) to the reference's field of view.

    Returns an array of size ``dst_hw`` (default: the input size) and the input
    dtype, in one anti-aliased resampling (see :func:`warp_antialiased`).
    """
    src_hw = image.shape[:2]
    dst_hw = tuple(src_hw if dst_hw is None else dst_hw)
    return warp_antialiased(image, fov_matrix(f_shot, f_ref, src_hw, dst_hw), dst_hw, interpolation=interpolation)
