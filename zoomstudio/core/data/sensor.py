"""The simulated sensor: lens blur, the inverse ISP into a camera's RGB, the Bayer CFA, noise by ISO
and quantisation to the camera's black and white levels."""

from __future__ import annotations

import math

import numpy as np

from ..colour.srgb import srgb_to_linear
from .cameras import SimulatedCamera


def mosaic(rgb: np.ndarray, cfa: str) -> np.ndarray:
    """Sample an (H, W, 3) image through a Bayer CFA (RGGB, BGGR, GRBG or GBRG) -> (H, W)."""
    from ..raw.pack import channel_offsets

    m = np.empty(rgb.shape[:2], dtype=np.float32)
    for channel, (dy, dx) in zip((0, 1, 2, 1), channel_offsets(cfa)):
        m[dy::2, dx::2] = rgb[dy::2, dx::2, channel]
    return m


def lens_blur(view: np.ndarray, shape: str, size: float, rng: np.random.Generator) -> np.ndarray:
    """Blur an (H, W, 3) view by a lens PSF: ``gaussian`` (sigma = size), ``disk`` (defocus, radius
    2 * size) or ``motion`` (a line 4 * size long at a random angle), all in sensor pixels."""
    import cv2

    if shape == "gaussian":
        return cv2.GaussianBlur(view, (0, 0), size)
    r = max(1, int(math.ceil(2 * size if shape == "disk" else 2 * size)))
    kernel = np.zeros((2 * r + 1, 2 * r + 1), np.float32)
    if shape == "disk":
        cv2.circle(kernel, (r, r), r, 1.0, -1, cv2.LINE_AA)
    elif shape == "motion":
        angle = rng.uniform(0, math.pi)
        dx, dy = math.cos(angle) * r, math.sin(angle) * r
        cv2.line(kernel, (round(r - dx), round(r - dy)), (round(r + dx), round(r + dy)), 1.0, 1, cv2.LINE_AA)
    else:
        raise ValueError(f"unknown blur shape {shape!r}")
    return cv2.filter2D(view, -1, kernel / kernel.sum(), borderType=cv2.BORDER_REFLECT)


def simulate_sensor(view: np.ndarray, camera: SimulatedCamera, exposure: float,
                    rng: np.random.Generator) -> np.ndarray:
    """Unprocess an sRGB view (H, W, 3) through ``camera`` into its uint16 mosaic (black + signal + noise).

    sRGB -> linear -> the camera's RGB (inverse of its cam -> sRGB matrix) ->
    inverse white balance -> CFA -> heteroscedastic Gaussian noise (variance
    shot * x + read) -> black level, white level, quantisation.
    """
    from ..colour import cam_to_srgb_from_xyz

    cam_to_srgb = cam_to_srgb_from_xyz(camera.matrix())
    linear = srgb_to_linear(view) * exposure
    camera_rgb = linear @ np.linalg.inv(cam_to_srgb).T.astype(np.float32) / np.asarray(camera.wb, np.float32)
    x = mosaic(np.clip(camera_rgb, 0.0, 1.0), camera.cfa)
    noisy = x + rng.normal(0.0, 1.0, x.shape) * np.sqrt(camera.shot_noise * x + camera.read_noise)
    span = camera.white_level - camera.black_level
    return np.clip(np.rint(noisy * span + camera.black_level), 0, camera.white_level).astype(np.uint16)




def fixed_camera_counts(view: np.ndarray, wb: np.ndarray, exposure: float, iso: int, black_level: int,
                        white_level: int, rng: np.random.Generator) -> np.ndarray:
    """The fixed synthetic camera (sRGB primaries, RGGB): a blurred sRGB view (H, W, 3) -> uint16 counts.

    sRGB -> linear -> inverse white balance -> mosaic -> Poisson shot noise (gain by ISO) + Gaussian read
    noise -> black level, white level, quantisation.
    """
    linear = srgb_to_linear(view) * exposure
    camera_rgb = linear / wb.astype(np.float32)
    signal = mosaic(camera_rgb, "RGGB") * (white_level - black_level)
    gain = 0.05 * iso / 100.0  # DN per electron-equivalent: shot noise grows with ISO
    read = 1.0 * math.sqrt(iso / 100.0)
    noisy = gain * rng.poisson(np.maximum(signal, 0) / gain) + rng.normal(0.0, read, signal.shape)
    return np.clip(np.rint(noisy + black_level), 0, white_level).astype(np.uint16)
