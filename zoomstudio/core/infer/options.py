"""What a zoom is asked to do (region, tiling, memory, device, colours) and where its region lies.

Torch-free, so that the app's window can build options without loading torch
(the zoom itself runs in the zoom service's process).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..nets.config import PRECISIONS
from .colours import COLOUR_MODES

#: the smallest decoder tile (input pixels) the tiler can overlap sensibly
MIN_TILE = 16


@dataclass(frozen=True)
class ZoomOptions:
    """``roi`` = (x, y, w, h) in sensor pixels (default: the central 1/scale of the frame)."""

    roi: tuple[int, int, int, int] | None = None
    tile: int | None = None
    memory_mb: float = 1024.0
    device: str = "cpu"
    use_wb: bool = True
    colour: str = "camera"  # camera | libraw | model (see infer.colours)
    with_bicubic: bool = False  # also return the bicubic baseline with the same colours
    precision: str = "auto"  # auto (bfloat16 where native and visually lossless) | fp32 (see nets.inference)

    def __post_init__(self) -> None:
        if self.tile is not None and (not isinstance(self.tile, int) or self.tile < MIN_TILE):
            raise ValueError(f"tile must be at least {MIN_TILE} input pixels, got {self.tile!r}")
        if not self.memory_mb > 0:
            raise ValueError(f"memory budget must be positive, got {self.memory_mb!r} MB")
        if self.colour not in COLOUR_MODES:
            raise ValueError(f"colour must be one of {', '.join(COLOUR_MODES)}, got {self.colour!r}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}")
        if self.roi is not None and (len(self.roi) != 4 or min(self.roi[2:]) < 2 or min(self.roi[:2]) < 0):
            raise ValueError(f"roi must be x,y,w,h with x, y >= 0 and w, h >= 2, got {self.roi}")


def centre_roi(width: int, height: int, scale: int) -> tuple[int, int, int, int]:
    """The central 1/scale of a frame, on even pixels (CFA phase kept)."""
    w = max(2, int(width / scale) // 2 * 2)
    h = max(2, int(height / scale) // 2 * 2)
    return ((width - w) // 2) // 2 * 2, ((height - h) // 2) // 2 * 2, w, h


def snap_roi(roi, width: int, height: int) -> tuple[int, int, int, int]:
    """Clamp a user ROI to the frame and snap it to even pixels. Raises ValueError if empty."""
    x, y, w, h = (int(v) for v in roi)
    x, y = max(0, x) // 2 * 2, max(0, y) // 2 * 2
    w = min(w, width - x) // 2 * 2
    h = min(h, height - y) // 2 * 2
    if w < 2 or h < 2:
        raise ValueError(f"region {tuple(roi)} is outside the {width}x{height} frame")
    return x, y, w, h


def zoom_description(values: dict, source_name: str) -> str:
    """The ImageDescription written with a zoom result (what, where, which model, which colours)."""
    x, y, w, h = values["roi"]
    return (f"ZoomStudio {values['scale']}X zoom of {source_name} region {x},{y},{w},{h} with model "
            f"{values['model']}, {values['colour']} colours")
