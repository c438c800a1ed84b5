"""Digital zoom of a RAW file: region -> packed -> network (tiled) -> white balance -> RGB.

"4X" zoom (design.md section 1): the region (by default the central 1/4 of
the frame in each dimension) is super-resolved to 4x the sensor resolution,
i.e. back to about full sensor size. The network output is white-balance
normalised; it is multiplied by the shot's ``wb ** (1/2.2)`` (from the
sequence's wb.txt when there is one, else computed from the RAW as in
wb.txt). Events: ``Progress`` while running, then a ``Result`` whose values
hold the image (float32 (H, W, 3) in [0, 1]) and what produced it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import torch

from ..events import CancelToken, Cancelled, Progress, Result
from .colours import COLOUR_MODES, colour_output
from .tiled import TilePlan, plan_tiles, zoom_tensor

log = logging.getLogger(__name__)


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

    def __post_init__(self) -> None:
        if self.tile is not None and (not isinstance(self.tile, int) or self.tile < MIN_TILE):
            raise ValueError(f"tile must be at least {MIN_TILE} input pixels, got {self.tile!r}")
        if not self.memory_mb > 0:
            raise ValueError(f"memory budget must be positive, got {self.memory_mb!r} MB")
        if self.colour not in COLOUR_MODES:
            raise ValueError(f"colour must be one of {', '.join(COLOUR_MODES)}, got {self.colour!r}")
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


def _wb_for(raw) -> np.ndarray:
    """R, G, B gains of a shot: its sequence's wb.txt entry, else computed like wb.txt."""
    from ..colour import colour_of, white_balance_ratio
    from ..geometry.files import AlignmentFileError, read_wb

    path = Path(raw.meta.path)
    wb_file = path.parent / "wb.txt"
    if wb_file.exists():
        try:
            entry = read_wb(wb_file).get(path.stem)
            if entry is not None:
                return np.array([entry[0], entry[1], entry[3]])
        except AlignmentFileError as exc:
            log.warning("%s", exc)
    g = white_balance_ratio(raw.packed(), colour_of(raw.meta), raw.meta.daylight_gains)
    return np.array([g[0], g[1], g[3]])


def zoom_description(values: dict, source_name: str) -> str:
    """The ImageDescription written with a zoom result (what, where, which model, which colours)."""
    x, y, w, h = values["roi"]
    return (f"ZoomStudio {values['scale']}X zoom of {source_name} region {x},{y},{w},{h} with model "
            f"{values['model']}, {values['colour']} colours")


def zoom_raw(path: str | Path, net, options: ZoomOptions = ZoomOptions(), *, model_name: str = "",
             cancel: CancelToken | None = None) -> Iterator[Progress | Result | Cancelled]:
    """Zoom one RAW with ``net`` (a ZoomNet with 4 input channels). Raises RawReadError for bad files."""
    from ..raw import read_raw
    from ..raw.pack import pack_normalized

    t0 = time.perf_counter()
    path = Path(path)
    if net.config.in_channels != 4:
        raise ValueError("this model takes RGB input, not RAW")
    if options.colour not in COLOUR_MODES:
        raise ValueError(f"colour must be one of {', '.join(COLOUR_MODES)}, got {options.colour!r}")
    scale = net.config.zoom
    yield Progress(0, 3, f"{path.name}: decoding")
    raw = read_raw(path)
    H, W = raw.mosaic.shape
    roi = snap_roi(options.roi, W, H) if options.roi else centre_roi(W, H, scale)
    x, y, w, h = roi
    packed = pack_normalized(raw.mosaic[y : y + h, x : x + w], raw.meta.cfa_pattern, raw.meta.black_cell,
                             raw.meta.white_level)
    gains = _wb_for(raw) if options.use_wb else np.ones(3)
    device = torch.device(options.device)
    net = net.to(device).eval()
    plan: TilePlan = plan_tiles(net, options.memory_mb, options.tile)
    out = None
    for ev in zoom_tensor(net, torch.from_numpy(packed)[None], plan, cancel, device):
        if isinstance(ev, Progress):
            yield Progress(1, 3, f"{path.name}: {ev.message} tile {ev.done}/{ev.total}")
        else:
            out = ev
    if out is None:
        yield Cancelled(f"{path.name}: zoom cancelled")
        return
    rgb = out[0].permute(1, 2, 0).numpy()
    rgb *= (gains ** (1 / 2.2)).astype(np.float32)
    np.clip(rgb, 0.0, 1.0, out=rgb)
    yield Progress(2, 3, f"{path.name}: colours")
    coloured = colour_output(rgb, packed, raw, options.colour, with_bicubic=options.with_bicubic)
    if coloured.note:
        log.info("%s: %s", path.name, coloured.note)
    yield Progress(3, 3, f"{path.name}: done")
    yield Result(str(path), {
        "image": coloured.image,
        "bicubic": coloured.bicubic,
        "colour": coloured.mode,
        "colour_note": coloured.note,
        "packed": packed,  # the network input (4, h, w), for side-by-side baselines
        "roi": roi,
        "scale": scale,
        "wb_gains": gains.tolist(),
        "exif": raw.meta.exif,
        "model": model_name,
        "tiles": plan,
        "seconds": time.perf_counter() - t0,
    })
