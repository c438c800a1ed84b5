"""What a RAW's header says, read without decoding a single pixel.

rawpy unpacks the whole image before it answers almost any metadata question (make, ISO, white
balance, CFA pattern): seconds and gigabytes for a large file, just to print a line. LibRaw itself
knows all of this once it has parsed the header. Its C API (``libraw_get_iparams``,
``libraw_get_imgother``, ``libraw_COLOR``, ``libraw_get_cam_mul``, ...) is reached here through
ctypes on the very library rawpy ships, so the header and the decoder read the file the same way.

The two C structs read here are laid out as in LibRaw 0.20 to 0.22 (``libraw_types.h``). A LibRaw
whose layout differs fails the plausibility checks (``cdesc`` must spell a colour set, the sizes must
agree with the size getters), and :func:`read_raw_header` then falls back to a full decode: slower,
never wrong. The tests compare every field with rawpy's on the real samples.
"""

from __future__ import annotations

import ctypes
import functools
import logging
import math
import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from ..native_output import quiet_stderr
from .errors import RawReadError, UnsupportedRawError
from .exif import ExifInfo, read_jpeg_exif, read_tiff_exif, sibling_jpeg
from .pack import cfa_string

log = logging.getLogger(__name__)

#: LibRaw's ``sizes.flip`` -> EXIF orientation.
FLIP_TO_ORIENTATION = {0: 1, 3: 3, 5: 8, 6: 6}

#: LibRaw's ``filters`` below this are not a 2x2 Bayer layout (0 monochrome/linear, 1 Leaf, 9 X-Trans)
_BAYER_FILTERS_MIN = 1000


class _ImageSizes(ctypes.Structure):
    """The head of ``libraw_image_sizes_t`` (the first member after the ``image`` pointer)."""

    _fields_ = [("raw_height", ctypes.c_ushort), ("raw_width", ctypes.c_ushort),
                ("height", ctypes.c_ushort), ("width", ctypes.c_ushort),
                ("top_margin", ctypes.c_ushort), ("left_margin", ctypes.c_ushort),
                ("iheight", ctypes.c_ushort), ("iwidth", ctypes.c_ushort),
                ("raw_pitch", ctypes.c_uint), ("pixel_aspect", ctypes.c_double), ("flip", ctypes.c_int)]


class _IParams(ctypes.Structure):
    """``libraw_iparams_t`` up to ``cdesc``."""

    _fields_ = [("guard", ctypes.c_char * 4), ("make", ctypes.c_char * 64), ("model", ctypes.c_char * 64),
                ("software", ctypes.c_char * 64), ("normalized_make", ctypes.c_char * 64),
                ("normalized_model", ctypes.c_char * 64), ("maker_index", ctypes.c_uint),
                ("raw_count", ctypes.c_uint), ("dng_version", ctypes.c_uint), ("is_foveon", ctypes.c_uint),
                ("colors", ctypes.c_int), ("filters", ctypes.c_uint), ("xtrans", ctypes.c_char * 36),
                ("xtrans_abs", ctypes.c_char * 36), ("cdesc", ctypes.c_char * 5)]


class _ImgOther(ctypes.Structure):
    """``libraw_imgother_t`` up to ``timestamp``."""

    _fields_ = [("iso_speed", ctypes.c_float), ("shutter", ctypes.c_float), ("aperture", ctypes.c_float),
                ("focal_len", ctypes.c_float), ("timestamp", ctypes.c_int64)]


class _LayoutMismatch(RuntimeError):
    """This LibRaw's structs are not laid out as read here."""


@dataclass(frozen=True)
class RawHeader:
    """A RAW's metadata from its header alone (no pixel decoded).

    ``cfa_pattern``: the visible area's 2x2 colour indices (0=R, 1=G, 2=B, 3=G2), ``None`` for a
    sensor that is not a 2x2 Bayer mosaic (``not_bayer`` says what it is); ``wb_gains`` /
    ``daylight_gains``: as-shot and daylight multipliers (R, G, B, G2) normalised to G = 1, ``None``
    if the file has none; ``header_white``: the white level the header declares (LibRaw may refine
    it, and the black level, while decoding); ``decoded``: the header could not be read on its own and
    the whole file was decoded instead.
    """

    path: Path
    width: int
    height: int
    cfa_pattern: np.ndarray | None
    not_bayer: str | None
    colors: int
    wb_gains: np.ndarray | None
    daylight_gains: np.ndarray | None
    header_white: int | None
    exif: ExifInfo = field(default_factory=ExifInfo)
    decoded: bool = False

    @property
    def cfa(self) -> str | None:
        return None if self.cfa_pattern is None else cfa_string(self.cfa_pattern)


def _library_candidates() -> list[Path]:
    import rawpy

    here = Path(rawpy.__file__).parent
    names = ("libraw_r.so*", "libraw_r*.dylib", "libraw_r*.dll", "libraw*.dll")
    found = [p for pattern in names for folder in (here, here.parent / "rawpy.libs") for p in folder.glob(pattern)]
    return sorted(set(found), key=lambda p: (len(p.name), p.name))


@functools.lru_cache(maxsize=1)
def _libraw() -> ctypes.CDLL | None:
    """rawpy's own LibRaw with the C API's signatures declared; ``None`` if it cannot be loaded."""
    for path in _library_candidates():
        try:
            lib = ctypes.CDLL(str(path))
            lib.libraw_init.restype = ctypes.c_void_p
        except (OSError, AttributeError):
            continue
        voidp, c_int = ctypes.c_void_p, ctypes.c_int
        lib.libraw_init.argtypes = [ctypes.c_uint]
        lib.libraw_open_file.argtypes = [voidp, ctypes.c_char_p]
        lib.libraw_open_file.restype = c_int
        lib.libraw_open_buffer.argtypes = [voidp, ctypes.c_void_p, ctypes.c_size_t]
        lib.libraw_open_buffer.restype = c_int
        lib.libraw_close.argtypes = [voidp]
        lib.libraw_close.restype = None
        lib.libraw_strerror.argtypes = [c_int]
        lib.libraw_strerror.restype = ctypes.c_char_p
        lib.libraw_get_iparams.argtypes = [voidp]
        lib.libraw_get_iparams.restype = ctypes.POINTER(_IParams)
        lib.libraw_get_imgother.argtypes = [voidp]
        lib.libraw_get_imgother.restype = ctypes.POINTER(_ImgOther)
        for getter in ("libraw_get_raw_width", "libraw_get_raw_height", "libraw_get_iwidth", "libraw_get_iheight",
                       "libraw_get_color_maximum"):
            getattr(lib, getter).argtypes = [voidp]
            getattr(lib, getter).restype = c_int
        for getter in ("libraw_get_cam_mul", "libraw_get_pre_mul"):
            getattr(lib, getter).argtypes = [voidp, c_int]
            getattr(lib, getter).restype = ctypes.c_float
        lib.libraw_COLOR.argtypes = [voidp, c_int, c_int]
        lib.libraw_COLOR.restype = c_int
        return lib
    log.debug("rawpy's LibRaw library not found for header reads: %s", _library_candidates())
    return None


def _text(raw: bytes) -> str | None:
    value = raw.split(b"\0", 1)[0].decode("latin-1").strip()
    return value or None


def _gains(values: list[float]) -> np.ndarray | None:
    g = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(g[:3])) or g[1] <= 0 or np.any(g[:3] <= 0):
        return None
    if g[3] <= 0:
        g[3] = g[1]
    return g / g[1]


def _positive(value: float) -> float | None:
    return float(value) if math.isfinite(value) and value > 0 else None


def _read_open_handle(lib: ctypes.CDLL, handle: int, path: Path) -> RawHeader:
    raw_w, raw_h = lib.libraw_get_raw_width(handle), lib.libraw_get_raw_height(handle)
    sizes = _ImageSizes.from_address(handle + ctypes.sizeof(ctypes.c_void_p))
    if (sizes.raw_width, sizes.raw_height, sizes.iwidth, sizes.iheight) != (
            raw_w, raw_h, lib.libraw_get_iwidth(handle), lib.libraw_get_iheight(handle)):
        raise _LayoutMismatch("libraw_image_sizes_t")
    ip = lib.libraw_get_iparams(handle).contents
    cdesc = _text(ip.cdesc) or ""
    if not re.fullmatch(r"[RGBCMYEWT]{1,4}", cdesc) or not 0 <= ip.colors <= 4:
        raise _LayoutMismatch("libraw_iparams_t")
    other = lib.libraw_get_imgother(handle).contents
    if not all(math.isfinite(v) and v >= 0 for v in (other.iso_speed, other.shutter, other.focal_len)):
        raise _LayoutMismatch("libraw_imgother_t")

    from .decode import check_declared_size  # the same refusal of impossible frames as a decode

    check_declared_size(path, raw_w, raw_h, sizes.width, sizes.height)
    pattern: np.ndarray | None = None
    not_bayer: str | None = None
    if ip.filters >= _BAYER_FILTERS_MIN and ip.colors in (3, 4):
        # COLOR takes visible-area coordinates: this is the visible mosaic's own phase
        pattern = np.array([[lib.libraw_COLOR(handle, r, c) for c in (0, 1)] for r in (0, 1)], dtype=np.int64)
        if sorted(set(pattern.ravel().tolist())) not in ([0, 1, 2, 3], [0, 1, 2]):
            pattern, not_bayer = None, f"CFA {pattern.tolist()} is not a 2x2 Bayer pattern"
    elif ip.filters == 9:
        not_bayer = "X-Trans sensor (6x6 CFA), not a 2x2 Bayer pattern"
    elif ip.filters == 0:
        not_bayer = "not a Bayer mosaic (linear/demosaiced or monochrome RAW data)"
    else:
        not_bayer = f"CFA layout (filters: {ip.filters}) is not a 2x2 Bayer pattern"
    timestamp = None
    if other.timestamp > 86400:  # LibRaw made it from the EXIF text with mktime: local time back again
        try:
            timestamp = datetime.fromtimestamp(other.timestamp).strftime("%Y:%m:%d %H:%M:%S")
        except (OverflowError, OSError, ValueError):
            timestamp = None
    libraw_exif = ExifInfo(make=_text(ip.make), model=_text(ip.model), iso=_positive(other.iso_speed),
                           exposure_time=_positive(other.shutter), focal_length=_positive(other.focal_len),
                           orientation=FLIP_TO_ORIENTATION.get(int(sizes.flip)), datetime=timestamp)
    maximum = lib.libraw_get_color_maximum(handle)
    return RawHeader(
        path=path, width=int(sizes.width), height=int(sizes.height), cfa_pattern=pattern, not_bayer=not_bayer,
        colors=int(ip.colors),
        wb_gains=_gains([lib.libraw_get_cam_mul(handle, i) for i in range(4)]),
        daylight_gains=_gains([lib.libraw_get_pre_mul(handle, i) for i in range(4)]),
        header_white=int(maximum) if maximum > 0 else None,
        exif=_file_exif(path, libraw_exif),
    )


def _file_exif(path: Path, libraw_exif: ExifInfo) -> ExifInfo:
    """The EXIF a decode reports too: TIFF-based RAWs' own tags exactly, LibRaw's values for other
    containers, the sibling camera JPEG's for what is still missing."""
    tiff = read_tiff_exif(path)
    exif = ExifInfo(orientation=libraw_exif.orientation)
    exif = exif.merged(tiff) if tiff != ExifInfo() else exif.merged(libraw_exif)
    exif = exif.merged(ExifInfo(make=libraw_exif.make, model=libraw_exif.model))
    jpg = sibling_jpeg(path)
    return exif.merged(read_jpeg_exif(jpg)) if jpg is not None else exif


def _open(lib: ctypes.CDLL, handle: int, path: Path) -> None:
    name = os.fsencode(path)
    code = lib.libraw_open_file(handle, name)
    if code != 0:
        reason = (lib.libraw_strerror(code) or b"").decode("latin-1", "replace")
        raise RawReadError(path, _open_reason(code, reason))


#: LibRaw's error codes (``libraw_const.h``) by the name rawpy gives their exceptions
_ERROR_KINDS = {-2: "FileUnsupported", -3: "RequestForNonexistentImage", -4: "OutOfOrderCall",
                -7: "InputClosed", -100007: "InsufficientMemory", -100008: "Data", -100009: "IO",
                -100010: "CancelledByCallback", -100011: "BadCrop", -100012: "TooBig", -100013: "MemPoolOverflow"}


def _open_reason(code: int, text: str) -> str:
    from .decode import libraw_meaning

    return libraw_meaning(_ERROR_KINDS.get(code, "")) or f"cannot decode ({text or f'LibRaw error {code}'})"


def read_raw_header(path: str | Path) -> RawHeader:
    """Metadata of a RAW from its header: milliseconds, whatever the file's size (no pixel is decoded).

    Raises :class:`RawReadError` naming the file for anything LibRaw cannot open, and
    :class:`UnsupportedRawError` for a frame no camera makes. Where this LibRaw's structs cannot be read
    (see the module docstring), the file is decoded instead and ``decoded`` is set.
    """
    from .decode import check_regular_file

    path = Path(path)
    check_regular_file(path)
    lib = _libraw()
    if lib is not None:
        handle = lib.libraw_init(0)
        if handle:
            try:
                with quiet_stderr():  # LibRaw's own warnings go to fd 2; the caller gets one line
                    _open(lib, handle, path)
                    return _read_open_handle(lib, handle, path)
            except _LayoutMismatch as exc:
                log.warning("LibRaw %s is not laid out as expected; decoding %s instead", exc, path)
            finally:
                lib.libraw_close(handle)
    return _header_by_decoding(path)


def _header_by_decoding(path: Path) -> RawHeader:
    from .decode import read_raw_metadata

    try:
        meta = read_raw_metadata(path)
    except UnsupportedRawError as exc:
        if "Bayer" not in exc.reason:
            raise
        return RawHeader(path=path, width=0, height=0, cfa_pattern=None, not_bayer=exc.reason, colors=0,
                         wb_gains=None, daylight_gains=None, header_white=None, decoded=True)
    return RawHeader(path=path, width=meta.width, height=meta.height, cfa_pattern=meta.cfa_pattern, not_bayer=None,
                     colors=3, wb_gains=meta.wb_gains, daylight_gains=meta.daylight_gains,
                     header_white=meta.white_level, exif=meta.exif, decoded=True)
