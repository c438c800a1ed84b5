"""Inference: tiled zoom in bounded memory, RAW digital zoom, image writers."""

from .colours import COLOUR_MODES
from .output import FORMATS, read_image, write_image
from .tiled import TilePlan, plan_tiles, run_tiled, zoom_tensor
from .zoom import ZoomOptions, centre_roi, snap_roi, zoom_description, zoom_raw

__all__ = ["COLOUR_MODES", "FORMATS", "TilePlan", "ZoomOptions", "centre_roi", "plan_tiles", "read_image",
           "run_tiled", "snap_roi", "write_image", "zoom_description", "zoom_raw", "zoom_tensor"]
