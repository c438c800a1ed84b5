"""Inference: tiled zoom in bounded memory, RAW digital zoom, image writers.

The torch parts (``tiled``, ``zoom``) load on first use, so a front end can
import options and writers without loading torch (the app's window never does).
"""

import importlib

from .colours import COLOUR_MODES
from .options import ZoomOptions, centre_roi, snap_roi, zoom_description
from .output import FORMATS, read_image, write_image

_TORCH_PARTS = {"TilePlan": "tiled", "plan_tiles": "tiled", "run_tiled": "tiled", "zoom_tensor": "tiled",
                "zoom_raw": "zoom"}


def __getattr__(name: str):
    if name in _TORCH_PARTS:
        return getattr(importlib.import_module(f".{_TORCH_PARTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["COLOUR_MODES", "FORMATS", "TilePlan", "ZoomOptions", "centre_roi", "plan_tiles", "read_image",
           "run_tiled", "snap_roi", "write_image", "zoom_description", "zoom_raw", "zoom_tensor"]
