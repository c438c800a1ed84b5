"""FOV matching, ECC alignment, SR-RAW tform/wb files and alignment overlays."""

from .ecc import MOTION_MODELS, EccConfig, FrameAlignment, align_pair, valid_corner, warp_to_reference
from .files import AlignmentFileError, TformFile, read_tform, read_wb, write_tform, write_wb
from .fov import fov_crop_box, fov_fraction, fov_match, fov_matrix
from .overlays import blend, checkerboard, difference, false_colour, mean_image

__all__ = [
    "MOTION_MODELS",
    "AlignmentFileError",
    "EccConfig",
    "FrameAlignment",
    "TformFile",
    "align_pair",
    "blend",
    "checkerboard",
    "difference",
    "false_colour",
    "fov_crop_box",
    "fov_fraction",
    "fov_match",
    "fov_matrix",
    "mean_image",
    "read_tform",
    "read_wb",
    "valid_corner",
    "warp_to_reference",
    "write_tform",
    "write_wb",
]
