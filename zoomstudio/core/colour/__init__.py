"""Colour: the one RAW -> RGB rendering, camera colorimetry, camera looks and sRGB transfer.

``render_packed(packed, camera_colour(...))`` renders a packed RAW the way
LibRaw does; ``fit_look`` / ``ColourLook`` carry a rendering onto a camera's
own (its embedded or sibling JPEG, see ``reference``). numpy only at import.
"""

from .camera import CameraColour, cam_to_srgb_from_xyz, camera_colour, colour_of
from .look import ColourLook, apply_looks, fit_look
from .render import (
    bicubic_camera_rgb,
    camera_encoding,
    packed_to_camera_rgb,
    render_camera_rgb,
    render_packed,
    white_balance_ratio,
)
from .srgb import linear_to_srgb, quantize, srgb_to_linear, to_uint8

__all__ = [
    "bicubic_camera_rgb",
    "CameraColour",
    "camera_encoding",
    "ColourLook",
    "apply_looks",
    "cam_to_srgb_from_xyz",
    "camera_colour",
    "colour_of",
    "fit_look",
    "linear_to_srgb",
    "packed_to_camera_rgb",
    "render_camera_rgb",
    "quantize",
    "render_packed",
    "srgb_to_linear",
    "to_uint8",
    "white_balance_ratio",
]
