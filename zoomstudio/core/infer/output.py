"""Writing zoomed images: 16-bit TIFF / PNG (8-bit PNG / JPEG on request) with the source EXIF.

Images are sRGB float (H, W, 3) in [0, 1], and every file says so: an sRGB ICC
profile is embedded (TIFF tag 34675, PNG iCCP, JPEG APP2) and EXIF ColorSpace
is sRGB. The EXIF kept: make, model, capture
date, orientation (pixels stay in sensor orientation, as the RAW), exposure
time, ISO and focal length, plus a note of the model used in ImageDescription
and Software. Files are written
to a temporary name and renamed, so a failure never leaves half an image.
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path
from typing import Iterator

import numpy as np

from ..events import Problem, Progress, Result
from ..colour import CameraColour, quantize
from ..fileio import atomic_output
from ..raw.exif import (
    TAG_DATETIME_ORIGINAL,
    TAG_EXIF_IFD,
    TAG_EXPOSURE_TIME,
    TAG_FOCAL_LENGTH,
    TAG_ISO,
    ExifInfo,
    exif_bytes,
)

FORMATS = {"tiff": ".tif", "png": ".png", "png8": ".png", "jpeg": ".jpg", "dng": ".dng"}


TAG_ICC_PROFILE = 34675


def srgb_icc_profile() -> bytes:
    """An sRGB ICC profile (LittleCMS's built-in, through Pillow)."""
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _tiff_tags(info: ExifInfo, description: str, software: str, with_exif_ifd: bool) -> list:
    tags = [(270, 2, 0, description, True)]
    if info.make:
        tags.append((271, 2, 0, info.make, True))
    if info.model:
        tags.append((272, 2, 0, info.model, True))
    if info.datetime:
        tags.append((306, 2, 0, info.datetime, True))
    tags.append((274, 3, 1, int(info.orientation or 1), True))
    if with_exif_ifd:
        # tifffile will not write ExifTag (34665) itself: a LONG placeholder under the tag just below it
        # (no other tag sits between, so the IFD stays sorted) is retagged by _append_exif_ifd
        tags.append((_EXIF_PLACEHOLDER, 4, 1, 0, True))
    icc = srgb_icc_profile()
    tags.append((TAG_ICC_PROFILE, 7, len(icc), icc, True))
    return tags


_EXIF_PLACEHOLDER = TAG_EXIF_IFD - 1


def _exif_entries(info: ExifInfo) -> list[tuple[int, int, int, bytes]]:
    """The EXIF sub-IFD entries as (tag, TIFF type, count, little-endian payload), sorted by tag."""
    from fractions import Fraction

    out = []
    if info.exposure_time:
        f = Fraction(info.exposure_time).limit_denominator(100000)
        out.append((TAG_EXPOSURE_TIME, 5, 1, struct.pack("<II", f.numerator, f.denominator)))
    if info.iso:
        out.append((TAG_ISO, 3, 1, struct.pack("<H", min(int(round(info.iso)), 65535))))
    if info.datetime:
        text = info.datetime.encode("ascii", "replace")[:19] + b"\0"
        out.append((TAG_DATETIME_ORIGINAL, 2, len(text), text))
    if info.focal_length:
        f = Fraction(info.focal_length).limit_denominator(1000)
        out.append((TAG_FOCAL_LENGTH, 5, 1, struct.pack("<II", f.numerator, f.denominator)))
    # the sub-IFD's required tags: ExifVersion 2.32, FlashpixVersion 1.0, ColorSpace sRGB (always true here)
    out += [(0x9000, 7, 4, b"0232"), (0xA000, 7, 4, b"0100"), (0xA001, 3, 1, struct.pack("<H", 1))]
    return sorted(out)


def _append_exif_ifd(path: Path, entries: list[tuple[int, int, int, bytes]]) -> None:
    """Write the EXIF sub-IFD tifffile cannot: appended to the file, pointed to from IFD0's ExifIFD tag."""
    with open(path, "rb") as f:  # find IFD0's ExifIFD entry (tifffile writes classic little-endian TIFF)
        head = f.read(8)
        if head[:4] != b"II*\0":
            raise ValueError(f"{path}: not a little-endian classic TIFF")
        ifd0 = struct.unpack("<I", head[4:])[0]
        f.seek(ifd0)
        count = struct.unpack("<H", f.read(2))[0]
        table = f.read(12 * count)
    tags = [struct.unpack("<H", table[12 * i : 12 * i + 2])[0] for i in range(count)]
    if _EXIF_PLACEHOLDER not in tags or TAG_EXIF_IFD in tags:  # retagging keeps the IFD sorted
        raise ValueError(f"{path}: no ExifIFD placeholder in IFD0")
    entry = ifd0 + 2 + 12 * tags.index(_EXIF_PLACEHOLDER)
    with open(path, "r+b") as f:
        base = f.seek(0, 2)
        if base % 2:  # IFDs start on a word boundary
            f.write(b"\0")
            base += 1
        data_at = base + 2 + 12 * len(entries) + 4
        table, data = [struct.pack("<H", len(entries))], b""
        for tag, kind, count, payload in entries:
            if len(payload) <= 4:
                table.append(struct.pack("<HHI", tag, kind, count) + payload.ljust(4, b"\0"))
            else:
                table.append(struct.pack("<HHII", tag, kind, count, data_at + len(data)))
                data += payload + (b"\0" if len(payload) % 2 else b"")
        f.write(b"".join(table) + struct.pack("<I", 0) + data)
        f.seek(entry)
        f.write(struct.pack("<HHII", TAG_EXIF_IFD, 4, 1, base))


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _png_with_exif(png: bytes, exif: bytes) -> bytes:
    """Insert an sRGB iCCP chunk and an eXIf chunk (TIFF-structured EXIF, no 'Exif\\0\\0' prefix) before
    the first IDAT (iCCP must precede it)."""
    if exif.startswith(b"Exif\x00\x00"):
        exif = exif[6:]
    iccp = _png_chunk(b"iCCP", b"sRGB\0\0" + zlib.compress(srgb_icc_profile()))
    idat = png.find(b"IDAT") - 4
    return png[:idat] + iccp + _png_chunk(b"eXIf", exif) + png[idat:]


def write_image(path: str | Path, rgb: np.ndarray, fmt: str = "tiff", *, exif: ExifInfo | None = None,
                description: str = "", software: str = "ZoomStudio", quality: int = 95,
                overwrite: bool = True, colour: CameraColour | None = None,
                xyz_to_cam: np.ndarray | None = None) -> Path:
    """Write ``rgb`` (H, W, 3) sRGB float in [0, 1] as ``fmt`` (tiff, png: 16-bit; png8, jpeg: 8-bit;
    dng: a 16-bit LinearRaw DNG in the camera's own colour space).

    For ``dng``, ``colour`` (the source RAW's :class:`CameraColour`) and ``xyz_to_cam`` (its XYZ ->
    camera matrix, when known) give the white balance and matrices the DNG carries, so a raw
    developer renders the same colours as the TIFF; without them the DNG is in linear sRGB.
    ``overwrite=False`` refuses an existing ``path`` (:class:`~zoomstudio.core.fileio.OutputExistsError`).
    """
    import cv2

    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {sorted(FORMATS)}, got {fmt!r}")
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"image must be (H, W, 3), got {rgb.shape}")
    path = Path(path)
    info = exif or ExifInfo()
    if fmt == "dng":
        from ..colour import camera_encoding
        from ..raw.dng import write_linear_dng

        colour = colour or CameraColour(np.ones(3), np.eye(3), "sRGB")
        camera_rgb, matrix, neutral = camera_encoding(rgb, colour, xyz_to_cam)
        return write_linear_dng(path, camera_rgb, color_matrix=matrix, as_shot_neutral=neutral, exif=info,
                                description=description, overwrite=overwrite)
    with atomic_output(path, overwrite=overwrite) as tmp:
        if fmt == "tiff":
            import tifffile

            data = quantize(rgb, np.uint16)
            entries = _exif_entries(info)
            # Deflate at level 1 after TIFF's horizontal predictor (standard since TIFF 6, read by every
            # editor), strips compressed on all cores: 2.3x faster and 19 % smaller than level 6 without
            # the predictor on a 5184x3464 zoom (benchmarks/README.md). Lossless either way.
            tifffile.imwrite(tmp, data, photometric="rgb", compression="zlib", compressionargs={"level": 1},
                             predictor=True, maxworkers=os.cpu_count() or 1, software=software,
                             extratags=_tiff_tags(info, description, software, bool(entries)), metadata=None)
            if entries:
                _append_exif_ifd(tmp, entries)
        elif fmt in ("png", "png8"):
            data = np.ascontiguousarray(quantize(rgb, np.uint16 if fmt == "png" else np.uint8)[..., ::-1])  # BGR
            ok, buf = cv2.imencode(".png", data)
            if not ok:
                raise OSError(f"{path}: PNG encoding failed")
            tmp.write_bytes(_png_with_exif(buf.tobytes(), exif_bytes(info, software=software,
                                                                     description=description)))
        else:
            from PIL import Image

            Image.fromarray(quantize(rgb, np.uint8)).save(
                tmp, format="JPEG", quality=quality, icc_profile=srgb_icc_profile(),
                exif=exif_bytes(info, software=software, description=description))
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


def save_image_job(path: str | Path, rgb: np.ndarray, fmt: str = "tiff", *, exif: ExifInfo | None = None,
                   description: str = "", overwrite: bool = True, colour: CameraColour | None = None,
                   xyz_to_cam: np.ndarray | None = None, cancel=None) -> Iterator[Progress | Problem | Result]:
    """:func:`write_image` as a job, for a front end that must not wait on the disk (a 16-bit TIFF of a
    full frame takes seconds): ``Progress``, then ``Result`` (item: the written path) or one ``Problem``
    naming the file and the reason (nothing half-written is left: the write is atomic)."""
    path = Path(path)
    yield Progress(0, 1, f"saving {path.name}")
    try:
        out = write_image(path, rgb, fmt, exif=exif, description=description, overwrite=overwrite,
                          colour=colour, xyz_to_cam=xyz_to_cam)
    except (OSError, ValueError) as exc:
        yield Problem(str(path), f"cannot save ({exc})")
        return
    yield Progress(1, 1, f"saved {out}")
    yield Result(str(out), {"path": str(out), "format": fmt})
