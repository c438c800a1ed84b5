"""Decoding Bayer RAW files (anything LibRaw reads) into plain value objects."""

from __future__ import annotations

import logging
import os
import stat
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

from ..native_output import quiet_stderr
from .errors import RawReadError, UnsupportedRawError
from .exif import ExifInfo, read_jpeg_exif, read_tiff_exif, sibling_jpeg
from .header import FLIP_TO_ORIENTATION
from .pack import cfa_string, channel_offsets, pack_normalized

log = logging.getLogger(__name__)

#: Real compressed RAWs carry several bits per pixel; a file with less than
#: this many bits per sensor pixel has been truncated or stripped of its data.
_MIN_BITS_PER_PIXEL = 1.0


@dataclass(frozen=True)
class RawMetadata:
    """Everything about a RAW except its pixels.

    ``cfa_pattern`` is rawpy's 2x2 ``raw_pattern`` (0=R, 1=G, 2=B, 3=G2) for
    the visible area; ``black_cell`` the black level at each of those 2x2
    positions (per-pixel black is ``black_cell`` tiled); ``wb_gains`` the
    as-shot white balance as (R, G, B, G2) multipliers normalised to G = 1;
    ``color_matrix`` camera-from-XYZ (3, 3) when LibRaw knows it; ``rgb_cam``
    LibRaw's camera -> sRGB matrix (3, 3) when it sets one at open (some DNGs);
    ``colour_crop`` the (x, y, w, h) sensor area a camera renders into its JPEG,
    when LibRaw knows it. ``zoomstudio.core.colour.colour_of(meta)`` turns these
    into the file's rendering.
    """

    path: Path
    width: int
    height: int
    cfa_pattern: np.ndarray
    black_cell: np.ndarray
    white_level: int
    wb_gains: np.ndarray
    daylight_gains: np.ndarray
    color_matrix: np.ndarray | None
    exif: ExifInfo = field(default_factory=ExifInfo)
    rgb_cam: np.ndarray | None = None
    colour_crop: tuple[int, int, int, int] | None = None

    @property
    def cfa(self) -> str:
        return cfa_string(self.cfa_pattern)

    @property
    def black_per_channel(self) -> np.ndarray:
        """Black level of the packed channels R, G1, B, G2, shape (4,)."""
        return np.array([self.black_cell[dy, dx] for dy, dx in channel_offsets(self.cfa_pattern)], dtype=np.float32)

    # Convenience accessors for the EXIF fields.
    make = property(lambda self: self.exif.make)
    model = property(lambda self: self.exif.model)
    iso = property(lambda self: self.exif.iso)
    exposure_time = property(lambda self: self.exif.exposure_time)
    focal_length = property(lambda self: self.exif.focal_length)
    orientation = property(lambda self: self.exif.orientation or 1)


@dataclass(frozen=True)
class RawImage:
    """A decoded RAW: the visible mosaic (uint16 copy, (H, W)) and its metadata.

    ``embedded_preview`` is the camera's preview stored in the file, taken from
    the same LibRaw handle when asked for (``read_raw(..., with_preview=True)``):
    JPEG bytes, or a bitmap array (H, W, 3) uint8/uint16; ``None`` when the
    file holds none. ``preview_read`` says whether it was looked for at all.
    """

    mosaic: np.ndarray
    meta: RawMetadata
    embedded_preview: bytes | np.ndarray | None = None
    preview_read: bool = False

    def black_per_pixel(self) -> np.ndarray:
        """Black level of every mosaic pixel, float32 (H, W)."""
        h, w = self.mosaic.shape
        return np.tile(self.meta.black_cell.astype(np.float32), ((h + 1) // 2, (w + 1) // 2))[:h, :w]

    def packed(self) -> np.ndarray:
        """Normalised packed RAW: float32 (4, H//2, W//2), R, G1, B, G2, values in [0, 1]."""
        return pack_normalized(self.mosaic, self.meta.cfa_pattern, self.meta.black_cell, self.meta.white_level)


def _gains(values) -> np.ndarray:
    g = np.asarray(values, dtype=np.float64)[:4].copy()
    if g.size < 3 or not np.all(np.isfinite(g[:3])) or g[1] <= 0:
        return np.ones(4)
    if g.size < 4 or g[3] <= 0:
        g = np.array([g[0], g[1], g[2], g[1]])
    return g / g[1]


def visible_pattern(frame_pattern: np.ndarray, top_margin: int, left_margin: int) -> np.ndarray:
    """The 2x2 CFA phase of the visible area, from rawpy's ``raw_pattern`` (which is that of the whole
    raw frame, margins included): shifted by odd margins, as cameras with an odd top or left margin have."""
    return np.roll(np.asarray(frame_pattern), (-(int(top_margin) % 2), -(int(left_margin) % 2)), axis=(0, 1))


def _read_metadata(raw, path: Path) -> RawMetadata:
    import rawpy

    if raw.raw_type != rawpy.RawType.Flat:
        raise UnsupportedRawError(path, "unsupported: not a Bayer mosaic (linear/demosaiced RAW data)")
    frame_pattern = raw.raw_pattern
    if frame_pattern is None or frame_pattern.shape != (2, 2) or raw.num_colors not in (3, 4):
        shape = None if frame_pattern is None else frame_pattern.shape
        raise UnsupportedRawError(path, f"unsupported: CFA repeat {shape} is not a 2x2 Bayer pattern (X-Trans or other)")
    sizes = raw.sizes
    pattern = visible_pattern(frame_pattern, sizes.top_margin, sizes.left_margin)
    try:
        channel_offsets(pattern)
    except ValueError as exc:
        raise UnsupportedRawError(path, f"unsupported: {exc}") from None
    black_per_colour = np.asarray(raw.black_level_per_channel, dtype=np.float64)
    black_cell = black_per_colour[pattern]
    white = int(raw.white_level)
    if white <= float(black_cell.max()):
        raise UnsupportedRawError(path, f"unsupported: white level {white} not above black level {black_cell.max():g}")
    other = raw.other
    # TIFF-based RAWs (DNG, ARW, NEF, CR2, ...) carry EXIF we read exactly; LibRaw's
    # values fill in for other containers (it reports 1 s for an unknown exposure).
    exif = ExifInfo(orientation=FLIP_TO_ORIENTATION.get(int(sizes.flip)))
    tiff = read_tiff_exif(path)
    if tiff != ExifInfo():
        exif = exif.merged(tiff)
    else:
        exif = exif.merged(ExifInfo(
            iso=float(other.iso_speed) if other.iso_speed > 0 else None,
            exposure_time=float(other.shutter_speed) if other.shutter_speed > 0 else None,
            focal_length=float(other.focal_length) if other.focal_length > 0 else None,
            datetime=other.timestamp.strftime("%Y:%m:%d %H:%M:%S") if other.timestamp.year > 1970 else None,
        ))
    jpg = sibling_jpeg(path)
    if jpg is not None:
        exif = exif.merged(read_jpeg_exif(jpg))
    cm = np.asarray(raw.rgb_xyz_matrix, dtype=np.float64)[:3, :3]
    rgb_cam = np.asarray(raw.color_matrix, dtype=np.float64)[:3, :3]
    # LibRaw's crop margins count from the raw frame; ours from the visible area
    crop = (int(sizes.crop_left_margin) - int(sizes.left_margin), int(sizes.crop_top_margin) - int(sizes.top_margin),
            int(sizes.crop_width), int(sizes.crop_height))
    inside = (min(crop) >= 0 and crop[2] > 0 and crop[3] > 0 and crop[0] + crop[2] <= sizes.width
              and crop[1] + crop[3] <= sizes.height)
    return RawMetadata(
        path=path,
        width=int(sizes.width),
        height=int(sizes.height),
        cfa_pattern=pattern.astype(np.int64),
        black_cell=black_cell,
        white_level=white,
        wb_gains=_gains(raw.camera_whitebalance),
        daylight_gains=_gains(raw.daylight_whitebalance),
        color_matrix=cm if np.any(cm) else None,
        exif=exif,
        rgb_cam=rgb_cam if np.any(rgb_cam) else None,
        colour_crop=crop if inside else None,
    )


#: No camera makes a larger frame (Hasselblad's 400 MP multi-shot is the largest); a header declaring more is
#: damaged or hostile, and decoding it would allocate gigabytes first.
MAX_SENSOR_PIXELS = 450_000_000

#: LibRaw's ``filters`` values that are not a 2x2 Bayer layout (rawpy raises NotImplementedError for them).
_ODD_FILTERS_PREFIX = "filters:"

def _libraw_reason(exc: BaseException) -> str:
    """One line saying why LibRaw (through rawpy) failed, for any exception type it raises."""
    text = str(exc)
    if text.startswith("b'") or text.startswith('b"'):
        text = text[2:-1]
    if isinstance(exc, NotImplementedError) and text.startswith(_ODD_FILTERS_PREFIX):
        return f"unsupported: CFA layout ({text}) is not a 2x2 Bayer pattern"
    if isinstance(exc, MemoryError):
        return "too large to decode in the memory available"
    kind = type(exc).__name__.replace("LibRaw", "").replace("Error", "")
    return libraw_meaning(kind) or f"cannot decode ({type(exc).__name__}: {text or 'no reason given'})"


def libraw_meaning(kind: str) -> str | None:
    """What a LibRaw failure means to a user, by its kind (rawpy's exception name without
    ``LibRaw``/``Error``: ``FileUnsupported``, ``IO``, ``Data``, ...)."""
    return {
        "FileUnsupported": "unsupported file format or not a RAW file",
        "IO": "truncated or unreadable file (I/O error while decoding)",
        "Data": "corrupt image data",
        "TooBig": "declared image too large",
        "RequestForNonexistentImage": "no such image in the file",
        "OutOfOrderCall": "corrupt file (decoder state)",
        "NoThumbnail": "no embedded preview",
        "UnsupportedThumbnail": "unsupported embedded preview",
        "InputClosed": "the file was closed while decoding",
        "CancelledByCallback": "decoding cancelled",
        "BadCrop": "invalid crop in the file",
        "InsufficientMemory": "too large to decode in the memory available",
        "MemPoolOverflow": "too large to decode in the memory available",
    }.get(kind)


def check_regular_file(path: Path) -> None:
    """Raise :class:`RawReadError` unless ``path`` is a regular file (never open a pipe, device or folder:
    reading a FIFO named ``x.DNG`` would block for ever)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise RawReadError(path, "no such file") from None
    except OSError as exc:
        raise RawReadError(path, f"cannot read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(st.st_mode):
        raise RawReadError(path, "is a folder, not a RAW file")
    if not stat.S_ISREG(st.st_mode):
        raise RawReadError(path, "not a regular file (a pipe, socket or device)")
    if st.st_size == 0:
        raise RawReadError(path, "empty file")


def _imread(path: Path):
    """A fresh LibRaw handle on ``path``. Names that are not valid UTF-8 (bytes from another locale) go
    through an open Python file, which LibRaw reads as a buffer."""
    import rawpy

    name = str(path)
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        with open(path, "rb") as fh:
            return rawpy.imread(fh)
    return rawpy.imread(name)


def check_declared_size(path: Path, raw_width: int, raw_height: int, width: int, height: int) -> None:
    """Refuse a header whose frame (``raw_*``: with margins; ``width``/``height``: visible) no camera
    makes, or that the file's bytes cannot hold, before any pixel is unpacked."""
    frame = int(raw_width) * int(raw_height)
    if frame <= 0 or width <= 0 or height <= 0:
        raise UnsupportedRawError(path, f"unsupported: declares an empty image ({width}x{height})")
    if frame > MAX_SENSOR_PIXELS:
        raise UnsupportedRawError(
            path, f"declares {raw_width}x{raw_height} sensor pixels ({frame / 1e6:.0f} MP), beyond "
                  f"the {MAX_SENSOR_PIXELS / 1e6:.0f} MP of any camera: damaged header")
    n_bytes = os.path.getsize(path)
    if n_bytes * 8 < _MIN_BITS_PER_PIXEL * width * height:
        raise UnsupportedRawError(
            path,
            f"unsupported: {n_bytes} bytes cannot hold {width}x{height} sensor pixels "
            "(image data stripped or truncated)",
        )


@contextmanager
def open_raw(path: str | Path) -> Iterator:
    """A fresh LibRaw handle (``rawpy.RawPy``) on ``path`` for the block, closed after it.

    Every failure inside (any exception type rawpy or LibRaw raises, a declared frame beyond
    :data:`MAX_SENSOR_PIXELS`, a file that is not a regular file) becomes one :class:`RawReadError`
    naming the file; LibRaw's own warnings on stderr are kept from the user. The one way into LibRaw.
    """
    path = Path(path)
    check_regular_file(path)
    with quiet_stderr():
        try:
            raw = _imread(path)
        except Exception as exc:  # rawpy raises LibRawError subclasses, OSError, ValueError, ...
            log.debug("%s: LibRaw cannot open it", path, exc_info=True)
            raise RawReadError(path, _libraw_reason(exc)) from None
        try:
            sizes = raw.sizes
            check_declared_size(path, sizes.raw_width, sizes.raw_height, sizes.width, sizes.height)
            yield raw
        except RawReadError:
            raise
        except Exception as exc:  # every rawpy accessor may unpack and fail: one clean line, never a traceback
            log.debug("%s: LibRaw failed", path, exc_info=True)
            raise RawReadError(path, _libraw_reason(exc)) from None
        finally:
            raw.close()


def quick_check(path: str | Path) -> str | None:
    """Why a RAW file is unusable, found without decoding it (``None``: looks fine).

    LibRaw parses the header; for TIFF-based RAWs (DNG, ARW, NEF, CR2, ...)
    every image strip or tile must also lie inside the file, which catches
    truncated copies. Costs milliseconds, so a whole dataset can be scanned.
    """
    import tifffile

    path = Path(path)
    try:
        with open_raw(path):
            pass
    except RawReadError as exc:
        return exc.reason
    size = os.path.getsize(path)
    try:
        with tifffile.TiffFile(path) as tif:
            pages = list(tif.pages)
            for page in list(pages):
                pages.extend(getattr(page, "pages", []) or [])
            for page in pages:
                ends = [o + n for o, n in zip(page.dataoffsets, page.databytecounts) if n]
                if ends and max(ends) > size:
                    return f"truncated: image data ends at byte {max(ends)} but the file has {size}"
    except Exception:  # not a TIFF container: LibRaw's header parse above is all we can do cheaply
        pass
    return None


def read_raw_metadata(path: str | Path) -> RawMetadata:
    """Metadata of a RAW (LibRaw unpacks the data to learn its layout). Raises :class:`RawReadError`."""
    path = Path(path)
    with open_raw(path) as raw:
        return _read_metadata(raw, path)


def extract_preview(raw, path: Path) -> bytes | np.ndarray | None:
    """The embedded preview from an open handle (JPEG bytes or a bitmap array), ``None`` if there is none."""
    import rawpy

    try:
        thumb = raw.extract_thumb()
    except Exception as exc:  # no thumbnail, an unsupported or damaged one: the file itself is still fine
        log.debug("%s: no embedded preview (%s)", path, _libraw_reason(exc))
        return None
    if thumb.format == rawpy.ThumbFormat.JPEG:
        return bytes(thumb.data)
    return np.array(thumb.data, copy=True)


def read_raw(path: str | Path, *, with_preview: bool = False) -> RawImage:
    """Decode a Bayer RAW into a :class:`RawImage` (visible mosaic, uint16 (H, W) copy).

    ``with_preview`` also takes the camera's embedded preview from the same
    open (a zoom needs it for the camera's colours; one LibRaw open per file).
    Raises :class:`RawReadError` (or its subclass :class:`UnsupportedRawError`)
    with the path and a one-line reason; never returns garbage silently.
    """
    path = Path(path)
    with open_raw(path) as raw:
        meta = _read_metadata(raw, path)
        # The arrays die with the handle: copy them out inside the ``with``.
        mosaic = np.array(raw.raw_image_visible, dtype=np.uint16, copy=True)
        preview = extract_preview(raw, path) if with_preview else None
    if mosaic.ndim != 2 or min(mosaic.shape) < 2:
        raise UnsupportedRawError(path, f"unsupported: visible area has shape {mosaic.shape}")
    if int(mosaic.max()) == int(mosaic.min()):
        raise UnsupportedRawError(path, f"unsupported: image data is constant ({int(mosaic.min())})")
    return RawImage(mosaic=mosaic, meta=meta, embedded_preview=preview, preview_read=with_preview)
