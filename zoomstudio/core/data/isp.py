"""The cameras' own JPEG renderings of their mosaics (the in-camera ISP the SR-RAW targets come from),
and writing them with EXIF."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..colour.srgb import linear_to_srgb, to_uint8
from ..raw.exif import ExifInfo, exif_bytes
from .cameras import SimulatedCamera


#: OpenCV's demosaic codes name the pattern of the second row's first two pixels
_OPENCV_BAYER = {"RGGB": "COLOR_BayerBG2RGB", "BGGR": "COLOR_BayerRG2RGB", "GRBG": "COLOR_BayerGB2RGB",
                 "GBRG": "COLOR_BayerGR2RGB"}


def simulated_camera_jpeg(counts: np.ndarray, camera: SimulatedCamera) -> np.ndarray:
    """``camera``'s own JPEG rendering of its mosaic -> uint8 RGB (H, W, 3): demosaic, white balance,
    brightness, its colour matrix to sRGB, saturation, noise reduction, tone curve, sharpening."""
    import cv2

    from ..colour import cam_to_srgb_from_xyz

    span = camera.white_level - camera.black_level
    norm = np.clip((counts.astype(np.float32) - camera.black_level) / span, 0, 1)
    mosaic = np.rint(norm * 65535).astype(np.uint16)
    rgb = cv2.cvtColor(mosaic, getattr(cv2, _OPENCV_BAYER[camera.cfa])).astype(np.float32) / 65535.0
    rgb = np.clip(rgb * np.asarray(camera.wb, np.float32), 0, 1) * camera.brightness
    rgb = rgb @ cam_to_srgb_from_xyz(camera.matrix()).T.astype(np.float32)
    luma = rgb @ np.array([0.2126, 0.7152, 0.0722], np.float32)
    rgb = np.clip(luma[..., None] + camera.saturation * (rgb - luma[..., None]), 0, None)
    noise = math.sqrt(camera.shot_noise * 0.2 + camera.read_noise)
    if noise > 0.004:  # in-camera noise reduction grows with the noise
        rgb = cv2.GaussianBlur(rgb, (0, 0), min(1.5, 0.3 + 40 * noise))
    rgb = np.clip(rgb, 0, 1)
    if camera.tone == "filmic":
        rgb = 2 * rgb / (1 + rgb)  # lifts the shadows, rolls off the highlights
    srgb = linear_to_srgb(rgb)
    if camera.tone == "contrast":
        srgb = srgb + 0.5 * (srgb * srgb * (3 - 2 * srgb) - srgb)  # half a smoothstep S-curve
    soft = cv2.GaussianBlur(srgb, (0, 0), 1.0)
    return to_uint8(srgb + camera.sharpen * (srgb - soft))


#: the synthetic camera's rendering gain (its "brightness"): exposures of 0.55-0.85 render near 0.4-0.6
CAMERA_GAIN = 1.0 / 0.7


def camera_isp(counts: np.ndarray, black_level: int, white_level: int, wb: np.ndarray, iso: int) -> np.ndarray:
    """The fixed synthetic camera's JPEG rendering of a RGGB mosaic (uint16 counts) -> uint8 RGB (H, W, 3)."""
    import cv2

    norm = (counts.astype(np.float32) - black_level) / (white_level - black_level)
    mosaic = np.clip(np.rint(np.clip(norm, 0, 1) * 65535), 0, 65535).astype(np.uint16)
    rgb = cv2.cvtColor(mosaic, cv2.COLOR_BayerBG2RGB).astype(np.float32) / 65535.0  # OpenCV's name for RGGB
    rgb *= (wb * CAMERA_GAIN).astype(np.float32)
    if iso >= 800:  # in-camera noise reduction grows with ISO
        rgb = cv2.GaussianBlur(rgb, (0, 0), 0.4 + 0.2 * np.log2(iso / 800))
    srgb = linear_to_srgb(np.clip(rgb, 0, 1))
    soft = cv2.GaussianBlur(srgb, (0, 0), 1.0)
    return to_uint8(srgb + 0.3 * (srgb - soft))  # mild unsharp masking


def write_camera_jpeg(path: Path, rgb: np.ndarray, exif: ExifInfo, quality: int) -> None:
    """Write uint8 RGB as the camera's JPEG with its EXIF, atomically."""
    from PIL import Image

    from ..fileio import atomic_output

    with atomic_output(path) as tmp:
        Image.fromarray(rgb).save(tmp, format="JPEG", quality=quality,
                                  exif=exif_bytes(exif, software="ZoomStudio synth"))
