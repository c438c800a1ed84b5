"""Writing zoomed images: 16-bit TIFF / PNG (8-bit PNG / JPEG on request) with the source EXIF.

Images are RGB float (H, W, 3) in [0, 1]. The EXIF kept: make, model, capture
date, orientation (pixels stay in sensor orientation, as the RAW), plus a
note of the model used in ImageDescription and Software. Files are written
to a temporary name and renamed, so a failure never leaves half an image.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

from ..fileio import atomic_output
from ..raw.exif import ExifInfo, exif_bytes

FORMATS = {"tiff": ".tif", "png": ".png", "png8": ".png", "jpeg": ".jpg"}


def _tiff_tags(info: ExifInfo, description: str, software: str) -> list:
    tags = [(270, 2, 0, description, True)]
    if info.make:
        tags.append((271, 2, 0, info.make, True))
    if info.model:
        tags.append((272, 2, 0, info.model, True))
    if info.datetime:
        tags.append((306, 2, 0, info.datetime, True))
    tags.append((274, 3, 1, int(info.orientation or 1), True))
    return tags


def _png_with_exif(png: bytes, exif: bytes) -> bytes:
    """Insert an eXIf chunk (TIFF-structured EXIF, no 'Exif\\0\\0' prefix) before the first IDAT."""
    if exif.startswith(b"Exif\x00\x00"):
        exif = exif[6:]
    chunk = struct.pack(">I", len(exif)) + b"eXIf" + exif + struct.pack(">I", zlib.crc32(b"eXIf" + exif) & 0xFFFFFFFF)
    idat = png.find(b"IDAT") - 4
    return png[:idat] + chunk + png[idat:]


def write_image(path: str | Path, rgb: np.ndarray, fmt: str = "tiff", *, exif: ExifInfo | None = None,
                description: str = "", software: str = "ZoomStudio", quality: int = 95) -> Path:
    """Write ``rgb`` (H, W, 3) float in [0, 1] as ``fmt`` (tiff, png: 16-bit; png8, jpeg: 8-bit)."""
    import cv2

    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {sorted(FORMATS)}, got {fmt!r}")
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"image must be (H, W, 3), got {rgb.shape}")
    path = Path(path)
    info = exif or ExifInfo()
    rgb = np.clip(np.nan_to_num(rgb.astype(np.float32)), 0.0, 1.0)
    with atomic_output(path) as tmp:
        if fmt == "tiff":
            import tifffile

            data = np.rint(rgb * 65535).astype(np.uint16)
            tifffile.imwrite(tmp, data, photometric="rgb", compression="zlib", software=software,
                             extratags=_tiff_tags(info, description, software), metadata=None)
        elif fmt in ("png", "png8"):
            depth = 65535 if fmt == "png" else 255
            data = np.rint(rgb[..., ::-1] * depth).astype(np.uint16 if fmt == "png" else np.uint8)
            ok, buf = cv2.imencode(".png", data)
            if not ok:
                raise OSError(f"{path}: PNG encoding failed")
            tmp.write_bytes(_png_with_exif(buf.tobytes(), exif_bytes(info, software=software,
                                                                     description=description)))
        else:
            from PIL import Image

            Image.fromarray(np.rint(rgb * 255).astype(np.uint8)).save(
                tmp, format="JPEG", quality=quality, exif=exif_bytes(info, software=software, description=description))
    return path


def read_image(path: str | Path) -> np.ndarray:
    """Read back an image written by :func:`write_image` as float32 RGB in [0, 1]."""
    import cv2

    path = Path(path)
    if path.suffix.lower() in (".tif", ".tiff"):  # pixels as stored (OpenCV would apply the orientation)
        import tifffile

        data = tifffile.imread(path)
    else:
        data = cv2.imread(str(path), cv2.IMREAD_UNCHANGED | cv2.IMREAD_IGNORE_ORIENTATION)
        if data is None:
            raise OSError(f"{path}: cannot read image")
        data = data[..., ::-1]
    scale = 65535.0 if data.dtype == np.uint16 else 255.0
    return np.ascontiguousarray(data).astype(np.float32) / scale
