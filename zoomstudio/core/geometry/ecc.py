"""Coarse-to-fine ECC alignment of FOV-matched frames to the reference.

Matrices follow OpenCV's ECC convention (design.md section 2): ``W`` maps
reference pixel coordinates ``x`` to frame coordinates, ``ref(x) ~ frame(W x)``,
in full-resolution FOV-matched pixels. ``warpAffine(frame, W, WARP_INVERSE_MAP)``
(``warpPerspective`` for homographies) aligns the frame onto the reference.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

from .fov import centred_scale

log = logging.getLogger(__name__)

MOTION_MODELS = ("translation", "euclidean", "affine", "homography")


@dataclass(frozen=True)
class EccConfig:
    """ECC parameters. ``motion`` is the paper's Euclidean model by default.

    The pyramid runs from ``coarsest_side`` to ``finest_side`` pixels on the
    long side of the reference; each level refines the estimate of the level
    above, so 12 MP frames align in a fraction of a second each.
    """

    motion: str = "euclidean"
    iterations: int = 100  # per pyramid level
    eps: float = 1e-6
    finest_side: int = 1024
    coarsest_side: int = 160
    gauss_filter: int = 5
    min_score: float = 0.5  # ECC correlation below this flags the frame
    max_shift: float = 0.08  # fraction of the frame width a frame may move
    max_rotation_deg: float = 5.0

    def __post_init__(self) -> None:
        if self.motion not in MOTION_MODELS:
            raise ValueError(f"motion must be one of {MOTION_MODELS}, got {self.motion!r}")
        if self.finest_side < 16 or self.coarsest_side < 16:
            raise ValueError("pyramid sides must be at least 16 px")


@dataclass(frozen=True)
class FrameAlignment:
    """Result for one frame: 3x3 ``matrix`` in full-resolution FOV-matched pixels."""

    key: str
    matrix: np.ndarray
    score: float
    valid: bool
    reason: str | None = None

    @property
    def shift_px(self) -> float:
        """Translation of the frame (full-resolution pixels)."""
        return float(math.hypot(self.matrix[0, 2], self.matrix[1, 2]))

    @property
    def rotation_deg(self) -> float:
        return float(math.degrees(math.atan2(self.matrix[1, 0], self.matrix[0, 0])))


def _cv_motion(name: str) -> int:
    import cv2

    return {
        "translation": cv2.MOTION_TRANSLATION,
        "euclidean": cv2.MOTION_EUCLIDEAN,
        "affine": cv2.MOTION_AFFINE,
        "homography": cv2.MOTION_HOMOGRAPHY,
    }[name]


def pyramid_sizes(full_hw: tuple[int, int], config: EccConfig) -> list[tuple[int, int]]:
    """Level sizes (h, w), coarsest first, finest last (never above full size)."""
    h, w = full_hw
    side = max(h, w)
    finest = min(1.0, config.finest_side / side)
    sizes = []
    scale = finest
    while True:
        sizes.append((max(8, int(round(h * scale))), max(8, int(round(w * scale)))))
        if max(h, w) * scale / 2 < config.coarsest_side:
            break
        scale /= 2
    return sizes[::-1]


def _level_to_full(level_hw, full_hw) -> np.ndarray:
    """3x3 map from level pixel coords to full-resolution pixel coords (centred)."""
    return centred_scale(full_hw[1] / level_hw[1], full_hw[0] / level_hw[0], full_hw, level_hw)


def to_level(matrix_full: np.ndarray, level_hw, full_hw) -> np.ndarray:
    t = _level_to_full(level_hw, full_hw)
    return np.linalg.inv(t) @ matrix_full @ t


def to_full(matrix_level: np.ndarray, level_hw, full_hw) -> np.ndarray:
    t = _level_to_full(level_hw, full_hw)
    return t @ matrix_level @ np.linalg.inv(t)


def _resize(img: np.ndarray, hw) -> np.ndarray:
    import cv2

    if img.shape[:2] == tuple(hw):
        return img
    return cv2.resize(img, (hw[1], hw[0]), interpolation=cv2.INTER_AREA)


def check_motion(matrix: np.ndarray, full_hw, config: EccConfig) -> str | None:
    """Why a full-resolution matrix is implausible, or ``None`` when it is fine."""
    h, w = full_hw
    centre = np.array([(w - 1) / 2, (h - 1) / 2, 1.0])
    moved = matrix @ centre
    moved = moved[:2] / moved[2]
    shift = float(np.hypot(*(moved - centre[:2])))
    if shift > config.max_shift * w:
        return f"moved too far ({shift:.0f} px > {config.max_shift * w:.0f} px)"
    rot = abs(math.degrees(math.atan2(matrix[1, 0], matrix[0, 0])))
    if rot > config.max_rotation_deg:
        return f"rotated too far ({rot:.1f} deg > {config.max_rotation_deg:g} deg)"
    if not np.all(np.isfinite(matrix)):
        return "non-finite transform"
    return None


def align_pair(
    reference_levels: list[np.ndarray],
    frame_finest: np.ndarray,
    full_hw: tuple[int, int],
    config: EccConfig,
    init_full: np.ndarray | None = None,
    key: str = "",
) -> FrameAlignment:
    """ECC of one FOV-matched frame against the reference pyramid.

    ``reference_levels`` are float32 gray images coarsest first (from
    :func:`reference_pyramid`); ``frame_finest`` has the finest level's size.
    ``init_full`` (3x3, full resolution) starts the search (chained estimate).
    """
    import cv2

    motion = _cv_motion(config.motion)
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, config.iterations, config.eps)
    estimate = np.eye(3) if init_full is None else np.asarray(init_full, dtype=np.float64)
    score = float("nan")
    for level, ref in enumerate(reference_levels):
        hw = ref.shape[:2]
        frame = _resize(frame_finest, hw)
        warp = to_level(estimate, hw, full_hw)
        warp32 = (warp if config.motion == "homography" else warp[:2]).astype(np.float32)
        try:
            score, warp32 = cv2.findTransformECC(ref, frame, warp32, motion, criteria, None, config.gauss_filter)
        except cv2.error as exc:
            msg = str(exc).strip().splitlines()[-1] if str(exc).strip() else "error"
            return FrameAlignment(key, estimate, float("nan"), False, f"ECC did not converge at level {level} ({msg})")
        warp = warp32.astype(np.float64)
        if warp.shape == (2, 3):
            warp = np.vstack([warp, [0.0, 0.0, 1.0]])
        estimate = to_full(warp, hw, full_hw)
    reason = check_motion(estimate, full_hw, config)
    if reason is None and not (score >= config.min_score):
        reason = f"low correlation ({score:.2f} < {config.min_score:g})"
    return FrameAlignment(key, estimate, float(score), reason is None, reason)


def reference_pyramid(reference_finest: np.ndarray, sizes: list[tuple[int, int]]) -> list[np.ndarray]:
    """The reference at every pyramid size, coarsest first (float32 gray)."""
    return [_resize(reference_finest, hw) for hw in sizes]


def valid_corner(alignments: list[FrameAlignment], full_hw) -> tuple[int, int, int, int]:
    """Common valid rectangle ``(min_h, max_h, min_w, max_w)`` in reference pixels.

    As the authors computed it: the image corners of every valid frame mapped
    into the reference by the inverse transform; the rectangle inside all.
    """
    h, w = full_hw
    corners = np.array([[0, 0, w, w], [0, h, 0, h], [1, 1, 1, 1]], dtype=np.float64)
    min_w, min_h, max_w, max_h = 0.0, 0.0, float(w), float(h)
    for a in alignments:
        if not a.valid:
            continue
        c = np.linalg.inv(a.matrix) @ corners
        c = c[:2] / c[2]
        min_w = max(min_w, c[0, 0], c[0, 1])
        min_h = max(min_h, c[1, 0], c[1, 2])
        max_w = min(max_w, c[0, 2], c[0, 3])
        max_h = min(max_h, c[1, 1], c[1, 3])
    return int(math.ceil(min_h)), int(math.floor(max_h)), int(math.ceil(min_w)), int(math.floor(max_w))


def warp_to_reference(image: np.ndarray, matrix: np.ndarray, full_hw=None, *, border_value=0.0) -> np.ndarray:
    """Resample a FOV-matched frame onto the reference grid; same size as ``image``.

    ``matrix`` is in full-resolution pixels of a ``full_hw`` frame (default:
    ``image``'s size); a smaller ``image`` (a preview) gets the matrix rescaled.
    """
    import cv2

    hw = tuple(image.shape[:2])
    m = np.asarray(matrix, dtype=np.float64)
    if m.shape == (2, 3):
        m = np.vstack([m, [0.0, 0.0, 1.0]])
    if full_hw is not None and tuple(full_hw) != hw:
        m = to_level(m, hw, full_hw)
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    if np.allclose(m[2], [0, 0, 1]):
        return cv2.warpAffine(image, m[:2], (hw[1], hw[0]), flags=flags, borderValue=border_value)
    return cv2.warpPerspective(image, m, (hw[1], hw[0]), flags=flags, borderValue=border_value)
