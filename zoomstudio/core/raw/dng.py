"""Writing uncompressed Bayer DNGs that LibRaw reads back bit-exactly.

The file is one IFD: an uncompressed 16-bit CFA image (photometric 32803)
with the DNG tags LibRaw needs (design.md section 3) and the EXIF fields
ZoomStudio reads (make, model, ISO, exposure, focal length, orientation,
date) stored in IFD0, as TIFF/EP allows.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np

from ..fileio import atomic_output
from ..colour.srgb import quantize
from .exif import ExifInfo
from .pack import _as_pattern

# TIFF tag type codes
_BYTE, _ASCII, _SHORT, _LONG, _RATIONAL, _SRATIONAL = 1, 2, 3, 4, 5, 10
_D65 = 21  # CalibrationIlluminant1 code


def _rational_pair(value: float, signed: bool = False, den: int = 10000) -> tuple[int, int]:
    frac = Fraction(float(value)).limit_denominator(den)
    if not signed and frac < 0:
        raise ValueError(f"negative value {value} for an unsigned rational")
    return frac.numerator, frac.denominator


def _flat_rationals(values, signed: bool = False) -> tuple[int, ...]:
    out: list[int] = []
    for v in values:
        out.extend(_rational_pair(v, signed))
    return tuple(out)


def _colour_and_exif_tags(color_matrix, as_shot_neutral, info: ExifInfo) -> list:
    """The DNG tags both writers share: version, colour (ColorMatrix1 for D65, AsShotNeutral), camera
    names, orientation and the EXIF fields ZoomStudio reads."""
    neutral = np.ones(3) if as_shot_neutral is None else np.asarray(as_shot_neutral, dtype=np.float64)
    tags = [
        (50706, _BYTE, 4, (1, 4, 0, 0), True),  # DNGVersion
        (50707, _BYTE, 4, (1, 1, 0, 0), True),  # DNGBackwardVersion
        (50721, _SRATIONAL, 9, _flat_rationals(np.asarray(color_matrix).ravel(), signed=True), True),
        (50778, _SHORT, 1, _D65, True),  # CalibrationIlluminant1
        (50728, _RATIONAL, 3, _flat_rationals(neutral), True),  # AsShotNeutral
        (274, _SHORT, 1, int(info.orientation or 1), True),  # Orientation
    ]
    make = info.make or "ZoomStudio"
    model = info.model or "Synthetic"
    tags += [
        (271, _ASCII, 0, make, True),
        (272, _ASCII, 0, model, True),
        (50708, _ASCII, 0, f"{make} {model}", True),  # UniqueCameraModel
    ]
    if info.focal_length:
        tags.append((37386, _RATIONAL, 1, _rational_pair(info.focal_length, den=1000), True))
    if info.exposure_time:
        tags.append((33434, _RATIONAL, 1, _rational_pair(info.exposure_time, den=100000), True))
    if info.iso:
        tags.append((34855, _SHORT, 1, int(round(info.iso)), True))
    if info.datetime:
        tags.append((36867, _ASCII, 0, info.datetime, True))
        tags.append((306, _ASCII, 0, info.datetime, True))
    return tags


def write_dng(
    path: str | Path,
    mosaic: np.ndarray,
    pattern="RGGB",
    *,
    black_level: float | np.ndarray = 0,
    white_level: int = 65535,
    color_matrix: np.ndarray | None = None,
    as_shot_neutral: tuple[float, float, float] | np.ndarray | None = None,
    exif: ExifInfo | None = None,
) -> Path:
    """Write ``mosaic`` (uint16 (H, W)) as an uncompressed CFA DNG, atomically.

    ``pattern`` is a 2x2 colour-index array or a string like ``"RGGB"``;
    ``black_level`` a scalar or a 2x2 array by CFA position; ``color_matrix``
    XYZ -> camera (3, 3) (DNG ColorMatrix1, D65; identity-like default);
    ``as_shot_neutral`` the camera-space neutral (R, G, B) = 1 / white-balance
    gains. Writes ``path`` via a temporary file and a rename, so a failure never
    leaves a half-written DNG.
    """
    import tifffile

    path = Path(path)
    mosaic = np.asarray(mosaic)
    if mosaic.ndim != 2 or mosaic.dtype != np.uint16:
        raise ValueError(f"mosaic must be uint16 (H, W), got {mosaic.dtype} {mosaic.shape}")
    cfa = _as_pattern(pattern).copy()
    cfa[cfa == 3] = 1  # DNG CFAPattern: 0 red, 1 green, 2 blue
    black = np.broadcast_to(np.asarray(black_level, dtype=np.float64), (2, 2))
    if color_matrix is None:
        # XYZ -> linear sRGB camera: a neutral, well-conditioned default.
        color_matrix = np.array(
            [[3.2406, -1.5372, -0.4986], [-0.9689, 1.8758, 0.0415], [0.0557, -0.2040, 1.0570]]
        )
    tags = [
        (33421, _SHORT, 2, (2, 2), True),  # CFARepeatPatternDim
        (33422, _BYTE, 4, tuple(int(v) for v in cfa.ravel()), True),  # CFAPattern
        (50710, _BYTE, 3, (0, 1, 2), True),  # CFAPlaneColor
        (50711, _SHORT, 1, 1, True),  # CFALayout: rectangular
        (50713, _SHORT, 2, (2, 2), True),  # BlackLevelRepeatDim
        (50714, _RATIONAL, 4, _flat_rationals(black.ravel()), True),  # BlackLevel
        (50717, _LONG, 1, int(white_level), True),  # WhiteLevel
    ] + _colour_and_exif_tags(color_matrix, as_shot_neutral, exif or ExifInfo())

    with atomic_output(path) as tmp:
        tifffile.imwrite(
            tmp,
            mosaic,
            photometric=32803,  # CFA
            compression=None,
            planarconfig="contig",
            subfiletype=0,
            metadata=None,
            software="ZoomStudio",
            extratags=tags,
        )
    return path


def write_linear_dng(path: str | Path, camera_rgb: np.ndarray, *, color_matrix: np.ndarray,
                     as_shot_neutral, exif: ExifInfo | None = None, description: str = "",
                     overwrite: bool = True) -> Path:
    """Write demosaiced linear camera RGB (float (H, W, 3) in [0, 1], black 0, white 1) as a 16-bit
    LinearRaw DNG (photometric 34892), atomically.

    ``color_matrix``: XYZ -> camera (3, 3) for D65 (DNG ColorMatrix1);
    ``as_shot_neutral``: the camera-space neutral (R, G, B) = 1 / white-balance
    gains. A raw developer (LibRaw, darktable, RawTherapee, Lightroom) applies
    the white balance and the matrix as for the camera's own RAW.
    """
    import tifffile

    camera_rgb = np.asarray(camera_rgb)
    if camera_rgb.ndim != 3 or camera_rgb.shape[2] != 3:
        raise ValueError(f"camera RGB must be (H, W, 3), got {camera_rgb.shape}")
    data = quantize(camera_rgb, np.uint16)
    tags = [
        (50713, _SHORT, 2, (1, 1), True),  # BlackLevelRepeatDim
        (50714, _RATIONAL, 3, _flat_rationals((0, 0, 0)), True),  # BlackLevel per sample
        (50717, _LONG, 3, (65535, 65535, 65535), True),  # WhiteLevel per sample
    ] + _colour_and_exif_tags(color_matrix, as_shot_neutral, exif or ExifInfo())
    if description:
        tags.append((270, _ASCII, 0, description, True))
    with atomic_output(Path(path), overwrite=overwrite) as tmp:
        tifffile.imwrite(tmp, data, photometric=34892, compression=None, planarconfig="contig", subfiletype=0,
                         metadata=None, software="ZoomStudio", extratags=tags)
    return Path(path)
