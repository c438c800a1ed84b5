"""The one RAW -> RGB rendering: white balance, camera matrix -> sRGB, sRGB tone curve.

Every rendering of RAW data in ZoomStudio comes from here: the zoom output's
colours, previews and thumbnails, the bicubic baselines, training previews and
the white balance written to wb.txt. It reproduces LibRaw's
``postprocess(half_size=True, use_camera_wb=True, no_auto_bright=True,
gamma=(2.4, 12.92), adjust_maximum_thr=0)`` to about 1e-3 (a test checks both
real samples) without demosaicing: a packed cell (R, G1, B, G2) is one pixel
(R, mean G, B).
"""

from __future__ import annotations

import numpy as np

from .camera import SRGB_TO_XYZ, CameraColour, cam_to_srgb_from_xyz
from .srgb import linear_to_srgb, srgb_to_linear


def packed_to_camera_rgb(packed: np.ndarray) -> np.ndarray:
    """Packed RAW float32 (4, h, w) R, G1, B, G2 -> camera RGB float32 (h, w, 3), G = mean of the greens."""
    if packed.ndim != 3 or packed.shape[0] != 4:
        raise ValueError(f"packed RAW must be (4, h, w), got {packed.shape}")
    return np.stack([packed[0], 0.5 * (packed[1] + packed[3]), packed[2]], axis=-1).astype(np.float32, copy=False)


def render_camera_rgb(cam_rgb: np.ndarray, colour: CameraColour, *, linear: bool = False) -> np.ndarray:
    """Camera RGB (..., 3) in [0, 1] (black 0, white 1) -> sRGB (..., 3) float32 in [0, 1].

    White balance is applied and clipped at the white level (as LibRaw's
    highlight mode 0 does), then the camera matrix; ``linear`` skips the
    sRGB tone curve (for channel statistics such as white balance ratios).
    """
    if cam_rgb.shape[-1] != 3:
        raise ValueError(f"camera RGB must end in 3 channels, got {cam_rgb.shape}")
    balanced = np.clip(cam_rgb * colour.wb.astype(np.float32), 0.0, 1.0)
    rgb = balanced @ colour.cam_to_srgb.T.astype(np.float32)
    np.clip(rgb, 0.0, 1.0, out=rgb)
    return rgb if linear else linear_to_srgb(rgb)


def camera_encoding(srgb: np.ndarray, colour: CameraColour,
                    xyz_to_cam: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Undo :func:`render_camera_rgb` for a raw developer: sRGB (H, W, 3) in [0, 1] -> ``(camera_rgb,
    color_matrix, as_shot_neutral)`` such that rendering ``camera_rgb`` (float32, [0, 1], clipped) with
    that matrix (XYZ -> camera, D65) and neutral, as LibRaw does, gives ``srgb`` back (in gamut).

    The white balance is normalised to a smallest gain of 1, as LibRaw scales it, so the stored values
    need no headroom; ``xyz_to_cam`` (the camera's own matrix) is kept when it gives ``colour``'s
    matrix, else the matrix that does is derived from ``colour.cam_to_srgb``.
    """
    if srgb.ndim != 3 or srgb.shape[2] != 3:
        raise ValueError(f"image must be (H, W, 3), got {srgb.shape}")
    wb = np.asarray(colour.wb, dtype=np.float64)
    wb = wb / wb.min()
    balanced = srgb_to_linear(srgb) @ np.linalg.inv(colour.cam_to_srgb).T.astype(np.float32)
    camera = np.clip(balanced / wb.astype(np.float32), 0.0, 1.0)
    own = None if xyz_to_cam is None else cam_to_srgb_from_xyz(xyz_to_cam)
    if own is not None and np.allclose(own, colour.cam_to_srgb, atol=1e-6):
        matrix = np.asarray(xyz_to_cam, dtype=np.float64)[:3, :3]
    else:  # rows of inv(cam_to_srgb) sum to 1: LibRaw's normalisation then gives cam_to_srgb back exactly
        matrix = np.linalg.inv(colour.cam_to_srgb) @ np.linalg.inv(SRGB_TO_XYZ)
    return camera.astype(np.float32), matrix, 1.0 / wb


def render_packed(packed: np.ndarray, colour: CameraColour, *, linear: bool = False,
                  max_side: int | None = None) -> np.ndarray:
    """Packed RAW (4, h, w) -> sRGB float32 (h, w, 3) in [0, 1] (half sensor size, sensor orientation).

    Pixel (i, j) covers sensor pixels (2i..2i+1, 2j..2j+1). ``max_side``
    shrinks the result by area averaging (done in camera RGB, before the tone
    curve, so it equals rendering a downsampled linear image).
    """
    cam = packed_to_camera_rgb(packed)
    h, w = cam.shape[:2]
    if max_side is not None and max(h, w) > max_side:
        import cv2

        s = max_side / max(h, w)
        cam = cv2.resize(cam, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
    return render_camera_rgb(cam, colour, linear=linear)


def white_balance_ratio(packed: np.ndarray, colour: CameraColour, daylight_wb) -> np.ndarray:
    """wb.txt's gains ``[R, G, G, B]``: channel means of the as-shot over the daylight linear rendering.

    As the SR-RAW authors computed them with two LibRaw renders (design.md section 2). Summed over
    cache-sized row slices (a whole 42 MP frame's renders as temporaries cost ~4x the time).
    """
    if packed.ndim != 3 or packed.shape[0] != 4:
        raise ValueError(f"packed RAW must be (4, h, w), got {packed.shape}")
    daylight = colour.with_wb(daylight_wb)
    sums = np.zeros((2, 3))
    rows = max(1, (1 << 16) // max(1, packed.shape[2]))
    for y in range(0, packed.shape[1], rows):
        cam = packed_to_camera_rgb(packed[:, y : y + rows])
        sums[0] += render_camera_rgb(cam, colour, linear=True).reshape(-1, 3).sum(axis=0, dtype=np.float64)
        sums[1] += render_camera_rgb(cam, daylight, linear=True).reshape(-1, 3).sum(axis=0, dtype=np.float64)
    ratio = sums[0] / np.maximum(sums[1], 1e-12)  # a ratio of sums over the same pixels: of means
    return np.array([ratio[0], ratio[1], ratio[1], ratio[2]])


def bicubic_camera_rgb(packed: np.ndarray, offsets, factor: int) -> np.ndarray:
    """Camera RGB float32 (factor*h, factor*w, 3) of a packed RAW (4, h, w), each CFA plane bicubic-
    interpolated from its true sensor sites (``offsets``: the (row, col) of R, G1, B, G2 in the 2x2 cell,
    ``raw.pack.channel_offsets``) onto a grid ``factor / 2`` times the sensor's. The bicubic baseline."""
    import cv2

    if packed.ndim != 3 or packed.shape[0] != 4:
        raise ValueError(f"packed RAW must be (4, h, w), got {packed.shape}")
    h, w = packed.shape[1:]
    zoom = factor / 2.0  # output pixels per sensor pixel
    planes = []
    for c, (dy, dx) in enumerate(offsets):
        # output pixel centre u -> sensor x = (u + 0.5) / zoom - 0.5 -> plane column (x - dx) / 2
        m = np.array([[1 / factor, 0, (0.5 / zoom - 0.5 - dx) / 2], [0, 1 / factor, (0.5 / zoom - 0.5 - dy) / 2]])
        planes.append(cv2.warpAffine(packed[c].astype(np.float32), m, (w * factor, h * factor),
                                     flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE))
    cam = np.stack([planes[0], 0.5 * (planes[1] + planes[3]), planes[2]], axis=-1)
    return np.clip(cam, 0.0, 1.0, out=cam)
