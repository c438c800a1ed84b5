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

import dataclasses
import logging
import time
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import torch

from ..events import CancelToken, Cancelled, Progress, Result
from ..raw import RawImage, read_raw
from ..colour import colour_of
from .colours import COLOUR_MODES, colour_output
from .options import ZoomOptions, centre_roi, snap_roi
from ..nets.inference import inference_dtype, prepared
from .tiled import TilePlan, plan_tiles, tiled_pixels, zoom_tensor

log = logging.getLogger(__name__)


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


def zoom_raw(path: str | Path, net, options: ZoomOptions = ZoomOptions(), *, model_name: str = "",
             cancel: CancelToken | None = None,
             read: Callable[[Path], RawImage] | None = None) -> Iterator[Progress | Result | Cancelled]:
    """Zoom one RAW with ``net`` (a ZoomNet with 4 input channels). Raises RawReadError for bad files.

    The file is opened once: mosaic, metadata and the embedded preview (the camera's colours) come
    from one decode, by ``read`` when given (a :class:`~..raw.cache.DecodedRaws` shares it with the
    app's preview) else :func:`read_raw`. White balance comes from the sequence's wb.txt or the
    decoded data, never from another rendering.
    """
    from ..raw.pack import pack_normalized

    t0 = time.perf_counter()
    path = Path(path)
    if net.config.in_channels != 4:
        raise ValueError("this model takes RGB input, not RAW")
    if options.colour not in COLOUR_MODES:
        raise ValueError(f"colour must be one of {', '.join(COLOUR_MODES)}, got {options.colour!r}")
    scale = net.config.zoom
    yield Progress(0, 3, f"{path.name}: decoding")
    raw = read(path) if read is not None else read_raw(path, with_preview=options.colour == "camera")
    H, W = raw.mosaic.shape
    roi = snap_roi(options.roi, W, H) if options.roi else centre_roi(W, H, scale)
    x, y, w, h = roi
    packed = pack_normalized(raw.mosaic[y : y + h, x : x + w], raw.meta.cfa_pattern, raw.meta.black_cell,
                             raw.meta.white_level)
    gains = _wb_for(raw) if options.use_wb else np.ones(3)
    device = torch.device(options.device)
    net = prepared(net, device)  # the inference form (exact rewrites, channels-last), once per network
    dtype = inference_dtype(options.precision, device)
    plan: TilePlan = plan_tiles(net, options.memory_mb, options.tile)
    out = None
    for ev in zoom_tensor(net, torch.from_numpy(packed)[None], plan, cancel, device, options.precision):
        if isinstance(ev, Progress):
            yield Progress(1, 3, f"{path.name}: {ev.message} tile {ev.done}/{ev.total}")
        else:
            out = ev
    if out is None:
        yield Cancelled(f"{path.name}: zoom cancelled")
        return
    rgb = out[0].permute(1, 2, 0).numpy()  # channels-last: a contiguous (H, W, 3) view, no copy
    overhead = tiled_pixels(packed.shape[1], packed.shape[2], plan.decode_tile, plan.decode_overlap) / (
        packed.shape[1] * packed.shape[2])
    log.info("%s: network in %s, encoder tiles %d px, decoder tiles %d px (overlaps: +%.0f %% decoder work)",
             path.name, str(dtype).removeprefix("torch."), plan.encode_tile, plan.decode_tile, 100 * (overhead - 1))
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
        "camera_colour": colour_of(raw.meta),  # what a DNG of the result carries
        "xyz_to_cam": raw.meta.color_matrix,
        "model": model_name,
        "tiles": dataclasses.asdict(plan),  # plain values: results cross processes without torch
        # decoder pixels computed per pixel needed (overlaps and tile rounding): the tiling's cost
        "tile_overhead": overhead,
        "precision": str(dtype).removeprefix("torch."),
        "seconds": time.perf_counter() - t0,
    })
