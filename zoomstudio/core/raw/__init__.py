"""RAW decoding, Bayer packing, EXIF and a DNG writer.

``read_raw(path)`` decodes any Bayer RAW LibRaw reads; ``RawImage.packed()``
gives the network input (4, H/2, W/2) float32, R, G1, B, G2 in [0, 1].
"""

from .cache import DecodedRaws
from .decode import RawImage, RawMetadata, quick_check, read_raw, read_raw_metadata
from .dng import write_dng
from .errors import RawReadError, UnsupportedRawError
from .exif import ExifInfo, read_jpeg_exif, read_tiff_exif, sibling_jpeg
from .pack import (
    PACKED_CHANNELS,
    cfa_string,
    channel_offsets,
    denormalize_packed,
    normalize_packed,
    pack_bayer,
    pack_normalized,
    unpack_bayer,
)

__all__ = [
    "DecodedRaws",
    "ExifInfo",
    "PACKED_CHANNELS",
    "RawImage",
    "RawMetadata",
    "RawReadError",
    "UnsupportedRawError",
    "cfa_string",
    "channel_offsets",
    "denormalize_packed",
    "normalize_packed",
    "pack_bayer",
    "pack_normalized",
    "quick_check",
    "read_jpeg_exif",
    "read_raw",
    "read_raw_metadata",
    "read_tiff_exif",
    "sibling_jpeg",
    "unpack_bayer",
    "write_dng",
]
