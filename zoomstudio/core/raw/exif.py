"""EXIF metadata of RAW files (TIFF-based containers) and camera JPEGs.

Only the fields ZoomStudio needs: make, model, ISO, exposure time, focal length
(tag 37386, a rational), orientation (tag 274) and capture time. Reading never
decodes pixels, so it is cheap enough for scanning a whole dataset.
"""

from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass, replace
from fractions import Fraction
from pathlib import Path

log = logging.getLogger(__name__)

TAG_MAKE = 271
TAG_MODEL = 272
TAG_ORIENTATION = 274
TAG_DATETIME = 306
TAG_EXIF_IFD = 34665
TAG_EXPOSURE_TIME = 33434
TAG_ISO = 34855
TAG_DATETIME_ORIGINAL = 36867
TAG_FOCAL_LENGTH = 37386
TAG_COLOR_SPACE = 40961

JPEG_SUFFIXES = (".JPG", ".jpg", ".JPEG", ".jpeg")


@dataclass(frozen=True)
class ExifInfo:
    """Capture metadata; ``None`` where the file does not say."""

    make: str | None = None
    model: str | None = None
    iso: float | None = None
    exposure_time: float | None = None  # seconds
    focal_length: float | None = None  # mm, EXIF tag 37386
    orientation: int | None = None  # EXIF orientation 1..8
    datetime: str | None = None  # "YYYY:MM:DD HH:MM:SS"

    def merged(self, other: "ExifInfo") -> "ExifInfo":
        """Fill this record's missing fields from ``other``."""
        filled = {k: (v if v is not None else getattr(other, k)) for k, v in asdict(self).items()}
        return replace(self, **filled)


def _rational(value) -> float | None:
    """EXIF rationals arrive as (num, den) tuples, Fractions, IFDRational or numbers."""
    try:
        if isinstance(value, (tuple, list)):
            if len(value) == 2:
                num, den = value
                value = float(num) / float(den) if float(den) != 0 else 0.0
            else:
                value = value[0]
        f = float(Fraction(value)) if isinstance(value, str) else float(value)
    except (TypeError, ValueError, ZeroDivisionError, IndexError, OverflowError):
        return None
    return f if f > 0 and math.isfinite(f) else None


def _orientation(value) -> int | None:
    """EXIF Orientation 1..8 from whatever a damaged file holds there (a count of 2, a rational, text,
    bytes); ``None`` when it is not one of the eight."""
    if isinstance(value, (tuple, list)):
        value = value[0] if value else None
    if isinstance(value, bytes):
        value = value.decode("latin-1", "replace")
    try:
        number = float(Fraction(value.strip().strip("\x00"))) if isinstance(value, str) else float(value)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    return int(number) if number.is_integer() and 1 <= number <= 8 else None


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("latin-1", "replace")
    text = str(value).strip().strip("\x00").strip()
    return text or None


def _from_tag_dicts(ifd0: dict, exif: dict) -> ExifInfo:
    def pick(code, name):
        for d in (exif, ifd0):
            for key in (code, name):
                if key in d:
                    return d[key]
        return None

    iso = pick(TAG_ISO, "ISOSpeedRatings")
    if isinstance(iso, (tuple, list)):  # a SHORT list (some cameras give two values): the first
        iso = iso[0] if iso else None
    return ExifInfo(
        make=_text(pick(TAG_MAKE, "Make")),
        model=_text(pick(TAG_MODEL, "Model")),
        iso=_rational(iso) if iso is not None else None,
        exposure_time=_rational(pick(TAG_EXPOSURE_TIME, "ExposureTime")),
        focal_length=_rational(pick(TAG_FOCAL_LENGTH, "FocalLength")),
        orientation=_orientation(pick(TAG_ORIENTATION, "Orientation")),
        datetime=_text(pick(TAG_DATETIME_ORIGINAL, "DateTimeOriginal")) or _text(pick(TAG_DATETIME, "DateTime")),
    )


def read_tiff_exif(path: str | Path) -> ExifInfo:
    """EXIF of a TIFF-based file (DNG, ARW, NEF, CR2, ...); empty when not TIFF."""
    import tifffile

    try:
        with tifffile.TiffFile(path) as tif:
            page = tif.pages[0]
            ifd0 = {tag.code: tag.value for tag in page.tags.values()}
            exif = ifd0.get(TAG_EXIF_IFD)
            exif = exif if isinstance(exif, dict) else {}
    except Exception as exc:  # not a TIFF container (CR3, RAF, ...) or a damaged header
        log.debug("no TIFF EXIF in %s: %s", path, exc)
        return ExifInfo()
    return _from_tag_dicts(ifd0, exif)


def read_jpeg_exif(path: str | Path) -> ExifInfo:
    """EXIF of a JPEG (or any image Pillow opens); empty when it has none."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            exif = im.getexif()
            ifd0 = dict(exif.items())
            sub = dict(exif.get_ifd(TAG_EXIF_IFD).items())
    except Exception as exc:
        log.debug("no EXIF in %s: %s", path, exc)
        return ExifInfo()
    return _from_tag_dicts(ifd0, sub)


def sibling_jpeg(raw_path: str | Path) -> Path | None:
    """The camera JPEG next to a RAW (same stem), if there is one."""
    raw_path = Path(raw_path)
    for suffix in JPEG_SUFFIXES:
        candidate = raw_path.with_suffix(suffix)
        if candidate.is_file():
            return candidate
    return None


def exif_bytes(info: ExifInfo, *, software: str | None = None, description: str | None = None) -> bytes:
    """Encode ``info`` as an EXIF block Pillow can embed in JPEG, PNG or TIFF."""
    from PIL import Image

    exif = Image.Exif()
    if info.make:
        exif[TAG_MAKE] = info.make
    if info.model:
        exif[TAG_MODEL] = info.model
    if info.orientation:
        exif[TAG_ORIENTATION] = int(info.orientation)
    if info.datetime:
        exif[TAG_DATETIME] = info.datetime
    if software:
        exif[305] = software
    if description:
        exif[270] = description
    sub = exif.get_ifd(TAG_EXIF_IFD)
    if info.exposure_time:
        frac = Fraction(info.exposure_time).limit_denominator(100000)
        sub[TAG_EXPOSURE_TIME] = (frac.numerator, frac.denominator)
    if info.iso:
        sub[TAG_ISO] = int(round(info.iso))
    if info.focal_length:
        frac = Fraction(info.focal_length).limit_denominator(1000)
        sub[TAG_FOCAL_LENGTH] = (frac.numerator, frac.denominator)
    if info.datetime:
        sub[TAG_DATETIME_ORIGINAL] = info.datetime
    sub[TAG_COLOR_SPACE] = 1  # the pixels written with this block are sRGB (an sRGB ICC profile goes with them)
    return exif.tobytes()
