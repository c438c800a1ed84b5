"""Tiled inference in bounded memory with overlap and feathered blending.

The network runs in two tiled passes: the encoder (cheap: ``width``
channels at the input grid) over large tiles, then the decoder (the
memory-hungry upsampling stages) over small tiles of the encoded features.
Each pass overlaps its tiles by the part's receptive radius, so every kept
pixel sees exactly the context it would see untiled (tiled == untiled up to
float rounding, for the default ``norm="none"``); overlaps are blended with
linear ramps so a smaller overlap still leaves no seams.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np
import torch

from ..events import CancelToken, Progress


@dataclass(frozen=True)
class TilePlan:
    """Tile sizes (in input / feature pixels) and overlaps of both passes."""

    encode_tile: int
    encode_overlap: int
    decode_tile: int
    decode_overlap: int


#: Largest encoder tile (input pixels): beyond it the feature maps fall out of the CPU's caches and the
#: encoder runs slower, not faster (bundled model, ARW centre, bf16: 320 px tiles 1.06-1.25 s vs one
#: 836 px tile 1.86-1.95 s; benchmarks/README.md, issue 12).
ENCODE_TILE_MAX = 320
#: Memory a decoder tile's activations use at most, whatever the budget: the same cache effect
#: (paper-family model, ARW centre, before its last stage ran in row bands: 64 px tiles 7.1 s, 96 px
#: 9.3 s, 128 px 9.6 s; with the bands this budget gives 139 px tiles, 1.24x faster than 64 px).
DECODE_FAST_MB = 256.0


def plan_tiles(net, memory_mb: float = 1024.0, tile: int | None = None, overlap: int | None = None) -> TilePlan:
    """Choose tile sizes from the memory budget ``memory_mb`` and the measured throughput.

    A tile's largest activations fit in the budget, and tiles are no larger than the sizes that run
    fastest on a CPU (:data:`ENCODE_TILE_MAX`, :data:`DECODE_FAST_MB`): larger tiles waste less on
    overlaps but lose the caches. ``tile`` overrides the decoder tile (the encoder tile is then 8x
    it); ``overlap`` overrides both overlaps (smaller than the radii: approximate).
    """
    c = net.config
    budget = min(memory_mb, DECODE_FAST_MB) * 2**20
    dec = tile or max(4 * net.decode_radius, int(math.sqrt(budget / decode_bytes_per_pixel(net))))
    # encoder: ~6 live maps of width channels at the input grid
    enc_budget = int(math.sqrt(memory_mb * 2**20 / (6 * 4 * c.width)))
    enc = max(dec, min(ENCODE_TILE_MAX, enc_budget), 4 * net.encode_radius) if tile is None else 8 * tile
    return TilePlan(enc, net.encode_radius if overlap is None else overlap, dec,
                    net.decode_radius if overlap is None else overlap)


def decode_bytes_per_pixel(net) -> int:
    """Bytes of live float32 activations per feature pixel while decoding a tile (the budget's unit).

    The paper family upsamples through ``up_width``-channel maps at the output grid (~4 live at the
    last stage); in its CPU inference form (:func:`~..nets.inference.for_inference`) the last stage runs
    in row bands, so ~3 maps at the half grid and the output are live. The light network decodes with one
    conv to ``3*s*s`` channels and a pixel shuffle.
    """
    from ..nets.inference import RowBands

    c = net.config
    if not hasattr(net, "upsample"):
        return 4 * (c.width + 3 * 3 * c.upscale**2)
    if any(isinstance(m, RowBands) and m.band_bytes is not None for m in net.tail.modules()):
        return 4 * 3 * c.up_width * (c.upscale // 2) ** 2 + 2 * 4 * 3 * c.upscale**2
    return 4 * 4 * c.up_width * c.upscale**2


def _ramp(n: int, overlap: int, at_start: bool, at_end: bool) -> np.ndarray:
    """1-D blending weight of a tile: linear ramps over the overlap, except at the image border."""
    w = np.ones(n, dtype=np.float32)
    if overlap > 0:
        r = (np.arange(overlap, dtype=np.float32) + 0.5) / overlap
        if not at_start:
            w[:overlap] = np.minimum(w[:overlap], r)
        if not at_end:
            w[n - overlap :] = np.minimum(w[n - overlap :], r[::-1])
    return w


def tiling(size: int, tile: int, overlap: int, blend: int) -> tuple[int, list[int]]:
    """``(length, origins)`` of the tiles along one axis of ``size`` px, tiles at most ``tile`` long.

    As few tiles as ``tile`` allows, all of one length and evenly spaced, so that consecutive cores
    (a tile minus ``overlap`` px of context per inner side) still share ``blend`` px: no tile is wider
    than the work needs (placing the last tile at ``size - tile`` computed up to twice the pixels of a
    small image).
    """
    if size <= tile:
        return size, [0]
    shared = 2 * overlap + blend  # what consecutive tiles must have in common
    step = max(1, tile - shared)
    n = -(-(size - tile) // step) + 1
    length = min(tile, -(-(size + (n - 1) * shared) // n))  # the shortest length n tiles need
    gap = (size - length) / (n - 1)
    starts = [int(i * gap) for i in range(n - 1)] + [size - length]
    return length, starts


def tiled_pixels(h: int, w: int, tile: int, overlap: int, blend: int = 2) -> int:
    """Pixels the tiles of an (h, w) map cover in total (>= h * w; the excess is the overlap's cost)."""
    (th, ys), (tw, xs) = tiling(h, tile, overlap, blend), tiling(w, tile, overlap, blend)
    return th * len(ys) * tw * len(xs)


def _blend_weights(size: int, length: int, origins: list[int], overlap: int, blend: int,
                   scale: int) -> list[tuple[int, int, np.ndarray]]:
    """Per tile along one axis of ``size`` input px: ``(core start in the tile's output, core start in the
    whole output, 1-D weights of the core)``, weights normalised so the tiles' weights sum to one.

    Tiles form a grid, so the 2-D weight of a tile is the outer product of its row and column weights
    and their sum is the product of the 1-D sums: normalising each axis normalises the blend, with no
    full-size weight map or division pass.
    """
    spans, total = [], np.zeros(size * scale, np.float64)
    for origin in origins:
        first, last = origin == 0, origin + length >= size
        lo, hi = (0 if first else overlap), (length if last else length - overlap)
        ramp = _ramp((hi - lo) * scale, blend * scale, first, last).astype(np.float64)
        at = (origin + lo) * scale
        total[at : at + len(ramp)] += ramp
        spans.append((lo * scale, at, ramp))
    return [(lo, at, (ramp / total[at : at + len(ramp)]).astype(np.float32)) for lo, at, ramp in spans]


def _alone(weights: np.ndarray) -> tuple[int, int]:
    """The range of a core's 1-D weights where no other tile contributes (weight exactly one)."""
    ones = np.flatnonzero(weights == 1.0)
    return (int(ones[0]), int(ones[-1]) + 1) if len(ones) else (0, 0)


def run_tiled(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, scale: int, tile: int, overlap: int,
              out_channels: int, cancel: CancelToken | None = None, progress: Callable[[int, int], None] | None = None,
              blend: int = 2) -> torch.Tensor | None:
    """Apply ``fn`` ((1, C, th, tw) -> (1, out_channels, scale*th, scale*tw)) tile by tile.

    Each tile's output is cropped by ``overlap`` px of context on its inner
    sides; neighbouring cores share ``blend`` px, cross-faded with linear
    ramps. Returns the (1, out_channels, scale*H, scale*W) float32 result
    (channels-last in memory), or ``None`` if cancelled.
    """
    _, _, h, w = x.shape
    (tile_h, ys), (tile_w, xs) = tiling(h, tile, overlap, blend), tiling(w, tile, overlap, blend)
    total = len(ys) * len(xs)
    if total == 1:  # the whole map at once: nothing to blend
        if cancel is not None and cancel.cancelled:
            return None
        with torch.no_grad():
            y = fn(x).float().cpu().contiguous(memory_format=torch.channels_last)
        if progress is not None:
            progress(1, 1)
        return y
    # channels-last (N, H, W, C in memory): what the network computes in and what the caller reads as
    # an (H, W, C) image without another copy
    out = torch.zeros((1, h * scale, w * scale, out_channels), dtype=torch.float32).permute(0, 3, 1, 2)
    rows = _blend_weights(h, tile_h, ys, overlap, blend, scale)
    cols = _blend_weights(w, tile_w, xs, overlap, blend, scale)
    done = 0
    for y0, (ty, oy, wy) in zip(ys, rows):
        for x0, (tx, ox, wx) in zip(xs, cols):
            if cancel is not None and cancel.cancelled:
                return None
            with torch.no_grad():
                y = fn(x[:, :, y0 : y0 + tile_h, x0 : x0 + tile_w]).float().cpu()
            core_h, core_w = len(wy), len(wx)
            core = y[:, :, ty : ty + core_h, tx : tx + core_w]
            target = out[:, :, oy : oy + core_h, ox : ox + core_w]
            (ya, yb), (xa, xb) = _alone(wy), _alone(wx)
            if ya < yb and xa < xb:  # copied where this tile alone covers, blended only in the shared frame
                target[:, :, ya:yb, xa:xb] = core[:, :, ya:yb, xa:xb]
                frame = [(0, ya, 0, core_w), (yb, core_h, 0, core_w), (ya, yb, 0, xa), (ya, yb, xb, core_w)]
            else:
                frame = [(0, core_h, 0, core_w)]
            for r0, r1, c0, c1 in frame:
                if r0 < r1 and c0 < c1:
                    weight = torch.from_numpy(np.outer(wy[r0:r1], wx[c0:c1]))[None, None]
                    target[:, :, r0:r1, c0:c1] += core[:, :, r0:r1, c0:c1] * weight
            done += 1
            if progress is not None:
                progress(done, total)
    return out


def zoom_tensor(net, x: torch.Tensor, plan: TilePlan | None = None, cancel: CancelToken | None = None,
                device: torch.device | str = "cpu", precision: str = "fp32") -> Iterator[Progress | torch.Tensor]:
    """Run ``net`` on ``x`` (1, C, h, w) in tiles; yields ``Progress`` then the (1, 3, s*h, s*w) float32
    CPU result, channels-last in memory (``out[0].permute(1, 2, 0)`` is a contiguous (H, W, 3) image).

    The network runs in its inference form (:func:`~..nets.inference.for_inference`: exact rewrites,
    channels-last; prepared once per network and device) and in the arithmetic ``precision`` asks for
    (``fp32``, or ``auto``: bfloat16 where the device runs it natively). Stops early (yielding nothing
    more) when ``cancel`` is set.
    """
    from ..nets.inference import autocast, inference_dtype, prepared

    device = torch.device(device)
    net = prepared(net, device)
    plan = plan or plan_tiles(net)
    dtype = inference_dtype(precision, device)
    events: list[Progress] = []

    def note(stage: str):
        return lambda d, t: events.append(Progress(d, t, stage))

    def encode(t: torch.Tensor) -> torch.Tensor:
        with autocast(dtype, device):
            return net.encode(t.to(device).contiguous(memory_format=torch.channels_last))

    def decode(t: torch.Tensor) -> torch.Tensor:
        with autocast(dtype, device):
            return net.decode(t.to(device).contiguous(memory_format=torch.channels_last))

    # a network normalising with batch statistics at inference (the authors') must encode the whole image:
    # tiles would each get their own statistics
    whole = getattr(net, "global_statistics", False)
    enc_tile, enc_overlap = (max(x.shape[-2:]), 0) if whole else (plan.encode_tile, plan.encode_overlap)
    feats = run_tiled(encode, x, 1, enc_tile, enc_overlap, net.config.width, cancel, note("encoding"))
    yield from events
    events.clear()
    if feats is None:
        return
    out = run_tiled(decode, feats, net.config.upscale, plan.decode_tile, plan.decode_overlap, 3, cancel,
                    note("upsampling"))
    yield from events
    if out is not None:
        if getattr(net.config, "skip", "none") != "none":
            with torch.no_grad():  # the fixed base: 3 channels, cheap at full size, float32
                out += net.base(x.to(device)).float().cpu()
        yield out
