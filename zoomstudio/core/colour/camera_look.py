"""The camera's look: the colour transform from our rendering of a RAW to the camera's own JPEG of it.

The camera JPEG (sibling or embedded preview) covers the sensor area the camera
renders (LibRaw's crop, else the visible area), usually at a lower resolution,
sometimes cropped to another aspect ratio. Our rendering of the whole frame is
registered onto it (a scale from the crop, refined by ECC), both are softened
so that only colour and tone remain, and a :class:`ColourLook` is fitted on
all pixels. Fitting on the whole frame, not just the zoomed region, gives every
colour of the shot a say, so small regions get the same look as large ones.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from .camera import CameraColour
from .look import ColourLook, fit_look
from .render import render_packed

log = logging.getLogger(__name__)

#: Work resolution (long side) for registration and fitting.
_WORK_SIDE = 800
#: Below this ECC correlation the JPEG is taken to show something else (or a different crop).
MIN_CORRELATION = 0.6
#: Pixel-centre <-> pixel-edge coordinates (OpenCV warps use centres, the crop geometry uses edges).
_CENTRE_TO_EDGE = np.array([[1, 0, 0.5], [0, 1, 0.5], [0, 0, 1.0]])
_EDGE_TO_CENTRE = np.linalg.inv(_CENTRE_TO_EDGE)


@dataclass(frozen=True)
class CameraLook:
    """``look`` maps our rendering (:func:`render_packed`) to the camera's; ``correlation`` is the
    registration's ECC score; ``residual`` the mean absolute fit error (0-1 scale) on the work grid."""

    look: ColourLook
    correlation: float
    residual: float


def _gray(rgb: np.ndarray) -> np.ndarray:
    return (rgb @ np.array([0.299, 0.587, 0.114], np.float32)).astype(np.float32)


def _initial_map(sensor_crop, ref_hw) -> np.ndarray:
    """2x3 affine: sensor coordinates (pixel edges) -> reference coordinates (pixel edges)."""
    x, y, w, h = sensor_crop
    rh, rw = ref_hw
    sx, sy = rw / w, rh / h
    if abs(np.log(sx / sy)) > 0.02:  # another aspect ratio: a centred crop at one scale
        s = max(sx, sy)
        return np.array([[s, 0, rw / 2 - s * (x + w / 2)], [0, s, rh / 2 - s * (y + h / 2)]])
    return np.array([[sx, 0, -sx * x], [0, sy, -sy * y]])


def fit_camera_look(packed: np.ndarray, colour: CameraColour, reference: np.ndarray,
                    sensor_crop: tuple[int, int, int, int] | None = None) -> CameraLook:
    """Fit the look of ``reference`` (camera JPEG, float32 (H, W, 3) sRGB in [0, 1], sensor orientation).

    ``packed``: the whole frame's packed RAW (4, h, w); ``sensor_crop``: the
    (x, y, w, h) sensor area the camera renders (default: all of it). Raises
    ``ValueError`` when the JPEG does not match the RAW (low correlation) or
    has too few unclipped pixels.
    """
    import cv2

    if reference.ndim != 3 or reference.shape[2] != 3:
        raise ValueError(f"camera rendering must be (H, W, 3), got {reference.shape}")
    sensor_hw = (2 * packed.shape[1], 2 * packed.shape[2])
    crop = sensor_crop or (0, 0, sensor_hw[1], sensor_hw[0])
    s = min(1.0, _WORK_SIDE / max(reference.shape[:2]))
    ref = cv2.resize(reference, (max(8, round(reference.shape[1] * s)), max(8, round(reference.shape[0] * s))),
                     interpolation=cv2.INTER_AREA) if s < 1 else reference.astype(np.float32)
    rh, rw = ref.shape[:2]
    sensor_to_ref = _initial_map(crop, (rh, rw))
    # Our rendering, area-averaged to about the work grid, then warped onto it exactly.
    ours_side = max(rh, rw) * max(sensor_hw) / max(crop[2], crop[3])
    ours = render_packed(packed, colour, max_side=int(min(max(packed.shape[1:]), 2 * ours_side)))
    ours_to_sensor = np.diag([sensor_hw[1] / ours.shape[1], sensor_hw[0] / ours.shape[0], 1.0])
    ours_to_ref = _EDGE_TO_CENTRE @ np.vstack([sensor_to_ref, [0, 0, 1]]) @ ours_to_sensor @ _CENTRE_TO_EDGE
    ref_to_ours = np.linalg.inv(ours_to_ref)[:2].astype(np.float32)
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    warped = cv2.warpAffine(ours, ref_to_ours, (rw, rh), flags=flags, borderMode=cv2.BORDER_CONSTANT, borderValue=-1)
    correlation = 0.0
    try:
        # ECC finds the residual warp: template = the camera JPEG, input = ours
        refine = np.eye(2, 3, dtype=np.float32)
        criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 100, 1e-5)
        inside = (warped.min(axis=2) >= 0).astype(np.uint8)
        correlation, refine = cv2.findTransformECC(_gray(ref), _gray(np.clip(warped, 0, 1)), refine,
                                                   cv2.MOTION_AFFINE, criteria, inside, 5)
        full = np.vstack([ref_to_ours, [0, 0, 1]]) @ np.vstack([refine, [0, 0, 1]])
        warped = cv2.warpAffine(ours, full[:2].astype(np.float32), (rw, rh), flags=flags,
                                borderMode=cv2.BORDER_CONSTANT, borderValue=-1)
    except cv2.error as exc:
        log.info("camera look: ECC did not converge (%s)", str(exc).strip().splitlines()[-1])
    if correlation < MIN_CORRELATION:
        raise ValueError(f"the camera's JPEG does not match the RAW (correlation {correlation:.2f})")
    valid = warped.min(axis=2) >= 0
    valid = cv2.erode(valid.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    # Soften both: only colour and tone should be fitted, not noise, JPEG blocks or residual misregistration.
    a = cv2.GaussianBlur(np.clip(warped, 0, 1), (0, 0), 1.0)
    b = cv2.GaussianBlur(ref, (0, 0), 1.0)
    look = fit_look(a[valid], b[valid])
    residual = float(np.abs(look.apply(a[valid]) - b[valid]).mean())
    return CameraLook(look, float(correlation), residual)


def rendering_region(reference: np.ndarray, sensor_hw: tuple[int, int], roi: tuple[int, int, int, int],
                     out_hw: tuple[int, int], sensor_crop: tuple[int, int, int, int] | None = None) -> np.ndarray:
    """The camera JPEG's view of sensor region ``roi`` (x, y, w, h), resampled (bicubic) to ``out_hw``.

    The JPEG is placed on the sensor by its crop and scale alone (no
    registration), as a viewer would: float32 (out_h, out_w, 3) in [0, 1].
    """
    import cv2

    crop = sensor_crop or (0, 0, sensor_hw[1], sensor_hw[0])
    sensor_to_ref = np.vstack([_initial_map(crop, reference.shape[:2]), [0, 0, 1]])
    x, y, w, h = roi
    out_to_sensor = np.array([[w / out_hw[1], 0, x], [0, h / out_hw[0], y], [0, 0, 1.0]])
    out_to_ref = _EDGE_TO_CENTRE @ sensor_to_ref @ out_to_sensor @ _CENTRE_TO_EDGE
    img = cv2.warpAffine(reference.astype(np.float32), out_to_ref[:2], (out_hw[1], out_hw[0]),
                         flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE)
    return np.clip(img, 0.0, 1.0)
