"""Renderings of a RAW for display, and the camera's own rendering of it (its JPEG).

``quick_render`` is the half-size rendering of the colour module (the file's
white balance and colour matrix, sRGB tone curve); ``camera_rendering`` finds
the JPEG the camera made of the same shot: a sibling ``.JPG`` (RAW+JPEG) or
the preview embedded in the RAW.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from ..colour import colour_of, render_packed
from ..events import Problem, Result
from .decode import RawImage, RawMetadata, read_raw
from .exif import sibling_jpeg

log = logging.getLogger(__name__)

#: A camera rendering smaller than this (long side, pixels) is a thumbnail too small to take colours from.
MIN_RENDERING_SIDE = 160


def quick_render(raw: RawImage, max_side: int | None = None) -> np.ndarray:
    """RGB float32 (H/2, W/2, 3) in [0, 1] of the visible mosaic (sensor orientation, no demosaicing).

    Pixel (i, j) covers sensor pixels (2i..2i+1, 2j..2j+1), so a region picked
    on it maps to sensor pixels exactly by a factor 2 (or the shrink factor
    when ``max_side`` reduces it further, by area averaging).
    """
    return render_packed(raw.packed(), colour_of(raw.meta), max_side=max_side)


def raw_preview(path: str | Path, max_side: int = 1600, *,
                read: Callable[[Path], RawImage] = read_raw) -> tuple[np.ndarray, tuple[int, int]]:
    """``(rgb, (sensor_h, sensor_w))`` of a RAW file for choosing a region. Raises RawReadError.

    ``read`` decodes the file (a :class:`~.cache.DecodedRaws` lets the zoom that follows reuse it).
    """
    raw = read(Path(path))
    return quick_render(raw, max_side), raw.mosaic.shape[:2]


def raw_preview_job(path: str | Path, max_side: int = 1600, *, read: Callable[[Path], RawImage] = read_raw,
                    cancel=None) -> Iterator[Result | Problem]:
    """:func:`raw_preview` as a job: one ``Result`` (item: the path; values ``image``, ``sensor_hw``)
    or one ``Problem`` saying why the file has no preview."""
    from .errors import RawReadError

    try:
        rgb, sensor_hw = raw_preview(path, max_side, read=read)
    except (RawReadError, OSError) as exc:
        yield Problem(str(path), f"no preview ({getattr(exc, 'reason', exc)})")
        return
    yield Result(str(path), {"image": rgb, "sensor_hw": list(sensor_hw)})


@dataclass(frozen=True)
class CameraRendering:
    """The camera's own rendering of a shot: ``image`` float32 (H, W, 3) sRGB in [0, 1], as stored
    (sensor orientation), and where it came from."""

    image: np.ndarray
    source: str


def _decode_jpeg(data: bytes) -> np.ndarray | None:
    import cv2

    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
    return None if bgr is None else bgr[..., ::-1].astype(np.float32) / 255.0


def _embedded_preview(raw: RawImage) -> np.ndarray | None:
    """The RAW's embedded preview as float32 RGB in [0, 1], from the decode when it took it."""
    stored = raw.embedded_preview
    if not raw.preview_read:  # decoded without it: one more open of the file, for the preview alone
        from .decode import extract_preview, open_raw
        from .errors import RawReadError

        try:
            with open_raw(raw.meta.path) as handle:
                stored = extract_preview(handle, Path(raw.meta.path))
        except RawReadError as exc:
            log.debug("%s: no embedded preview (%s)", raw.meta.path, exc.reason)
            return None
    if stored is None:
        return None
    if isinstance(stored, bytes):
        return _decode_jpeg(stored)
    if stored.ndim == 3 and stored.shape[2] == 3:
        return stored.astype(np.float32) / (65535.0 if stored.dtype == np.uint16 else 255.0)
    return None


def _sensor_oriented(image: np.ndarray, meta: RawMetadata) -> np.ndarray:
    """Undo a rotation the camera applied to its preview (portrait preview of a landscape sensor)."""
    portrait_sensor = meta.height > meta.width
    portrait_image = image.shape[0] > image.shape[1]
    if portrait_sensor == portrait_image:
        return image
    # orientation 6: displayed after turning 90 degrees clockwise; turn back counter-clockwise
    return np.ascontiguousarray(np.rot90(image, 1 if meta.orientation == 6 else -1))


def camera_rendering(raw: RawImage) -> CameraRendering | None:
    """The camera's JPEG of this shot: a sibling ``.JPG`` first, else the RAW's embedded preview.

    ``None`` when neither exists, cannot be decoded, or is smaller than
    :data:`MIN_RENDERING_SIDE`.
    """
    meta = raw.meta
    candidates = []
    jpg = sibling_jpeg(Path(meta.path))
    if jpg is not None:
        candidates.append((lambda: _read_file(jpg), f"camera JPEG {jpg.name}"))
    candidates.append((lambda: _embedded_preview(raw), "JPEG preview embedded in the RAW"))
    for load, source in candidates:
        image = load()
        if image is None or image.ndim != 3 or max(image.shape[:2]) < MIN_RENDERING_SIDE:
            continue
        return CameraRendering(_sensor_oriented(image, meta), source)
    return None


def _read_file(path: Path) -> np.ndarray | None:
    try:
        return _decode_jpeg(path.read_bytes())
    except OSError as exc:
        log.warning("%s: cannot read (%s)", path, exc)
        return None


def libraw_rendering(path: str | Path) -> np.ndarray:
    """LibRaw's own full-resolution rendering (AHD demosaic, as-shot white balance, camera matrix to
    sRGB, sRGB curve, no auto-brightening, the file's white level): float32 (H, W, 3), sensor orientation.

    An independent check of the colour module, and the camera's rendering of a
    RAW that holds no JPEG. Raises :class:`RawReadError`.
    """
    import rawpy

    from .decode import open_raw

    path = Path(path)
    with open_raw(path) as raw:
        rgb = raw.postprocess(use_camera_wb=True, no_auto_bright=True, gamma=(2.4, 12.92), adjust_maximum_thr=0,
                              output_bps=16, user_flip=0, output_color=rawpy.ColorSpace.sRGB)
    return rgb.astype(np.float32) / 65535.0
