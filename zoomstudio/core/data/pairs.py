"""Training pairs from SR-RAW sequences (design.md section 2).

A pair is a short-focal RAW (input) and a long-focal camera JPEG (target):

1. both are FOV-matched to the reference 00001 (the input RAW is cropped to
   its central ``f_in / f_ref`` on even pixel boundaries, keeping the CFA phase);
2. the transforms compose: input -> target coordinates are
   ``W_target . W_input^-1`` (3x3), between the FOV-matched frames;
3. only the target is warped, once, straight onto a grid of exactly
   ``2 * zoom`` times the packed input size (this also absorbs the scale
   offset ``ratio / zoom``);
4. both are cropped to the region where the warped target is valid.

Arrays: ``packed`` float32 (4, h, w), R, G1, B, G2 in [0, 1];
``target`` float32 (3, 2*zoom*h, 2*zoom*w), RGB sRGB-encoded in [0, 1],
divided per channel by the target's ``wb ** (1 / 2.2)`` when white balance
is applied (outputs are multiplied by the input's ``wb ** (1 / 2.2)``).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..geometry.files import TformFile, read_tform, read_wb
from ..geometry.fov import centred_scale, fov_matrix
from .srraw import DatasetIndex, Sequence, Shot

log = logging.getLogger(__name__)

SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class PairSpec:
    """Which shots of a sequence form a pair at a nominal ``zoom``."""

    sequence: Sequence
    input: Shot
    target: Shot
    zoom: int

    @property
    def ratio(self) -> float:
        return float(self.target.focal_length) / float(self.input.focal_length)

    @property
    def scale_offset(self) -> float:
        """``ratio / zoom``; the target is resized by its inverse (1.07 for the authors' 4X)."""
        return self.ratio / self.zoom

    @property
    def name(self) -> str:
        return f"{self.sequence.name}:{self.input.key}->{self.target.key}"


def candidate_pairs(sequence: Sequence, zoom: int, max_offset: float = 1.3) -> list[PairSpec]:
    """All (RAW input, JPG target) pairs whose focal ratio is within ``max_offset`` of ``zoom``.

    Sorted by ``|log(ratio / zoom)|``, nearest first.
    """
    if zoom < 1:
        raise ValueError(f"zoom must be >= 1, got {zoom}")
    out = []
    for a in sequence.shots:
        if a.raw_path is None:
            continue
        for b in sequence.shots:
            if b.jpg_path is None or b.focal_length <= a.focal_length:
                continue
            spec = PairSpec(sequence, a, b, zoom)
            if abs(math.log(spec.scale_offset)) <= math.log(max_offset):
                out.append(spec)
    out.sort(key=lambda p: (abs(math.log(p.scale_offset)), p.input.key, p.target.key))
    return out


def select_pair(sequence: Sequence, zoom: int, max_offset: float = 1.3) -> PairSpec | None:
    """The pair whose focal ratio is nearest ``zoom`` (``None`` when no ratio is within ``max_offset``)."""
    pairs = candidate_pairs(sequence, zoom, max_offset)
    return pairs[0] if pairs else None


def split_sequences(names, seed: int = 0, fractions=(0.8, 0.1, 0.1)) -> dict[str, list[str]]:
    """Seeded split of sequence names into train / val / test (80:10:10 by default).

    The same names and seed always give the same split, whatever their order.
    With at least 3 sequences, val and test get at least one each.
    """
    names = sorted(set(names))
    if len(fractions) != 3 or abs(sum(fractions) - 1) > 1e-6 or min(fractions) < 0:
        raise ValueError(f"fractions must be 3 non-negative numbers summing to 1, got {fractions}")
    order = [names[i] for i in np.random.default_rng(seed).permutation(len(names))]
    n = len(order)
    n_val = int(round(n * fractions[1]))
    n_test = int(round(n * fractions[2]))
    if n >= 3:
        n_val = max(n_val, 1 if fractions[1] > 0 else 0)
        n_test = max(n_test, 1 if fractions[2] > 0 else 0)
    n_train = n - n_val - n_test
    return {
        "train": sorted(order[:n_train]),
        "val": sorted(order[n_train : n_train + n_val]),
        "test": sorted(order[n_train + n_val :]),
    }


def dataset_pairs(index: DatasetIndex, zoom: int, split: str | None = None, seed: int = 0) -> list[PairSpec]:
    """The best pair of every usable sequence (of one split when ``split`` is given)."""
    seqs = [s for s in index.sequences if s.usable]
    if split is not None:
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        keep = set(split_sequences([s.name for s in seqs], seed)[split])
        seqs = [s for s in seqs if s.name in keep]
    out = []
    for s in seqs:
        p = select_pair(s, zoom)
        if p is not None:
            out.append(p)
    return out


@dataclass
class TrainingPair:
    """A built pair (see the module docstring for shapes and ranges)."""

    name: str
    zoom: int
    packed: np.ndarray
    target: np.ndarray
    input_wb: np.ndarray  # (3,) R, G, B gains of the input shot
    target_wb: np.ndarray  # (3,) of the target shot
    sensor_box: tuple[int, int, int, int] = (0, 0, 0, 0)  # x, y, w, h of ``packed`` in input sensor pixels
    sensor_hw: tuple[int, int] = (0, 0)  # the input RAW's visible size
    cfa: str = "RGGB"  # the input mosaic's CFA phase at ``sensor_box``'s origin (flips need it)
    #: png input only: the input's 8-bit camera JPEG on the sensor grid over ``sensor_box``, float32
    #: (3, 2h, 2w) sRGB in [0, 1] in steps of 1/255 (``packed`` stays for the geometry)
    rgb: np.ndarray | None = None
    syn_sigma: float | None = None  # syn-raw input only: the noise standard deviation drawn for this pair


#: what the network is fed (``data.input``): the packed RAW, the camera JPEG ("Ours-png"), or a mosaic
#: synthesised from that JPEG ("Ours-syn-raw"), the paper's Table 2 controls
INPUT_KINDS = ("raw", "png", "syn-raw")


def even_fov_crop(size_hw, f_shot: float, f_ref: float) -> tuple[int, int, int, int]:
    """Central FOV crop ``(x0, y0, w, h)`` of a mosaic with even origin and size (CFA phase kept)."""
    h, w = size_hw
    frac = min(1.0, f_shot / f_ref)
    cw = max(2, int(round(w * frac / 2)) * 2)
    ch = max(2, int(round(h * frac / 2)) * 2)
    x0 = ((w - cw) // 2) // 2 * 2
    y0 = ((h - ch) // 2) // 2 * 2
    return x0, y0, cw, ch


def largest_valid_rect(valid: np.ndarray) -> tuple[int, int, int, int]:
    """Shrink the full rectangle greedily until it holds only valid cells: (r0, r1, c0, c1)."""
    r0, r1, c0, c1 = 0, valid.shape[0], 0, valid.shape[1]
    while r0 < r1 and c0 < c1:
        sub = valid[r0:r1, c0:c1]
        bad = {
            "top": int((~sub[0]).sum()),
            "bottom": int((~sub[-1]).sum()),
            "left": int((~sub[:, 0]).sum()),
            "right": int((~sub[:, -1]).sum()),
        }
        worst = max(bad, key=bad.get)
        if bad[worst] == 0:
            return r0, r1, c0, c1
        if worst == "top":
            r0 += 1
        elif worst == "bottom":
            r1 -= 1
        elif worst == "left":
            c0 += 1
        else:
            c1 -= 1
    return 0, 0, 0, 0


def _wb_rgb(wb: dict[str, np.ndarray] | None, key: str) -> np.ndarray:
    if wb is None or key not in wb:
        return np.ones(3)
    g = wb[key]
    return np.array([g[0], g[1], g[3]], dtype=np.float64)


def load_rgb(path: str | Path) -> np.ndarray:
    """A camera JPEG as float32 RGB (H, W, 3) in [0, 1], sensor orientation."""
    import cv2

    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
    if bgr is None:
        raise OSError(f"{path}: cannot decode image")
    return bgr[..., ::-1].astype(np.float32) / 255.0


def input_jpeg_on_grid(jpg_path: Path, pair: TrainingPair, out_hw, scale_px: float, interpolation: int) -> np.ndarray:
    """The input shot's camera JPEG sampled on a grid covering ``pair.sensor_box`` with ``scale_px``
    samples per sensor pixel: float32 (out_h, out_w, 3) sRGB in [0, 1]."""
    import cv2

    from ..geometry.fov import centred_scale

    jpg = load_rgb(jpg_path)
    jh, jw = jpg.shape[:2]
    sh, sw = pair.sensor_hw
    x0, y0, _, _ = pair.sensor_box
    s = 1.0 / scale_px
    out_to_sensor = np.array([[s, 0, 0.5 * s - 0.5 + x0], [0, s, 0.5 * s - 0.5 + y0], [0, 0, 1.0]])
    sensor_to_jpg = centred_scale(jw / sw, jh / sh, (jh, jw), (sh, sw))
    m = sensor_to_jpg @ out_to_sensor
    return cv2.warpAffine(jpg, m[:2], (out_hw[1], out_hw[0]), flags=interpolation | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_REPLICATE).clip(0, 1)


def input_jpeg_8bit(spec: PairSpec, pair: TrainingPair) -> np.ndarray:
    """The input's camera JPEG over the pair's input region on the sensor grid, as the camera stored it
    (8-bit steps): float32 (2h, 2w, 3) for a packed input of (4, h, w). Raises ``ValueError`` without a JPEG."""
    import cv2

    if spec.input.jpg_path is None:
        raise ValueError(f"{spec.name}: the input shot {spec.input.key} has no camera JPEG")
    h, w = pair.packed.shape[1:]
    crop = input_jpeg_on_grid(spec.input.jpg_path, pair, (2 * h, 2 * w), 1.0, cv2.INTER_AREA)
    return (np.rint(crop * 255) / 255).astype(np.float32)


def with_input(pair: TrainingPair, spec: PairSpec, kind: str, *, seed: int = 0,
               max_sigma: float | None = None) -> TrainingPair:
    """``pair`` with the input ``kind`` of :data:`INPUT_KINDS` (``raw``: unchanged).

    ``png`` adds :attr:`TrainingPair.rgb`; ``syn-raw`` replaces ``packed`` by an RGGB mosaic unprocessed
    from the same JPEG crop (:mod:`.synthetic_raw`) with noise sigma ~ U(0, ``max_sigma``), the same for
    a (seed, pair) every time. Build a ``png`` pair with ``use_wb=False``: its input JPEG carries the
    white balance, so its targets must too.
    """
    from dataclasses import replace

    from .synthetic_raw import PAPER_MAX_SIGMA, draw_sigma, pair_rng, unprocess_to_packed

    if kind not in INPUT_KINDS:
        raise ValueError(f"input must be one of {', '.join(INPUT_KINDS)}, got {kind!r}")
    if kind == "raw":
        return pair
    rgb = input_jpeg_8bit(spec, pair)
    if kind == "png":
        return replace(pair, rgb=np.ascontiguousarray(rgb.transpose(2, 0, 1)))
    rng = pair_rng(seed, pair.name)
    sigma = draw_sigma(rng, PAPER_MAX_SIGMA if max_sigma is None else max_sigma)
    packed = unprocess_to_packed(rgb, pair.input_wb, sigma, rng)
    return replace(pair, packed=packed, cfa="RGGB", syn_sigma=sigma)


def build_pair(spec: PairSpec, *, tform: TformFile | None = None, wb: dict[str, np.ndarray] | None = None,
               use_wb: bool = True) -> TrainingPair:
    """Build an aligned training pair (see the module docstring).

    ``tform`` / ``wb`` default to the sequence's tform.txt / wb.txt; without a
    tform.txt the frames are taken as aligned (identity), without wb.txt no
    white-balance normalisation is applied (both logged).
    """
    import cv2

    from ..raw import read_raw

    seq, zoom = spec.sequence, spec.zoom
    f_ref = float(seq.reference.focal_length)
    if tform is None:
        if seq.has_tform:
            tform = read_tform(seq.tform_path)
        else:
            log.warning("%s: no tform.txt, assuming aligned frames", seq.path)
    if wb is None and seq.has_wb:
        wb = read_wb(seq.wb_path)
    elif wb is None and use_wb:
        log.warning("%s: no wb.txt, targets not white-balance normalised", seq.path)

    raw = read_raw(spec.input.raw_path)
    raw_hw = raw.mosaic.shape
    x0, y0, cw, ch = even_fov_crop(raw_hw, float(spec.input.focal_length), f_ref)
    crop = raw.mosaic[y0 : y0 + ch, x0 : x0 + cw]
    from ..raw.pack import pack_normalized

    packed = pack_normalized(crop, raw.meta.cfa_pattern, raw.meta.black_cell, raw.meta.white_level)
    h, w = packed.shape[1:]
    target_img = load_rgb(spec.target.jpg_path)
    tgt_hw = target_img.shape[:2]
    frame_hw = tgt_hw  # the tform frame: full-resolution camera images (all shots share it)

    # output pixel q -> crop sensor coords -> full sensor coords (pixel centres)
    s = 1.0 / zoom
    out_to_sensor = np.array([[s, 0, 0.5 * s - 0.5 + x0], [0, s, 0.5 * s - 0.5 + y0], [0, 0, 1.0]])
    sensor_to_frame = centred_scale(frame_hw[1] / raw_hw[1], frame_hw[0] / raw_hw[0], frame_hw, raw_hw)
    frame_to_fov_in = np.linalg.inv(fov_matrix(float(spec.input.focal_length), f_ref, frame_hw))
    w_in = tform.matrix3(spec.input.key) if tform is not None and spec.input.key in tform.matrices else np.eye(3)
    w_t = tform.matrix3(spec.target.key) if tform is not None and spec.target.key in tform.matrices else np.eye(3)
    fov_t_to_target = fov_matrix(float(spec.target.focal_length), f_ref, tgt_hw, frame_hw)
    m = fov_t_to_target @ w_t @ np.linalg.inv(w_in) @ frame_to_fov_in @ sensor_to_frame @ out_to_sensor

    # Valid packed cells: all four corners of their output block land inside the target.
    block = 2 * zoom
    ys = np.arange(h + 1) * block - 0.5
    xs = np.arange(w + 1) * block - 0.5
    gx, gy = np.meshgrid(xs, ys)
    pts = m @ np.stack([gx.ravel(), gy.ravel(), np.ones(gx.size)])
    px, py = pts[0] / pts[2], pts[1] / pts[2]
    inside = ((px >= -0.5) & (px <= tgt_hw[1] - 0.5) & (py >= -0.5) & (py <= tgt_hw[0] - 0.5)).reshape(h + 1, w + 1)
    cells = inside[:-1, :-1] & inside[1:, :-1] & inside[:-1, 1:] & inside[1:, 1:]
    r0, r1, c0, c1 = largest_valid_rect(cells)
    if r1 - r0 < 2 or c1 - c0 < 2:
        raise ValueError(f"{spec.name}: no valid overlap between input and target after alignment")
    # Warp only the valid part: shift the output origin to (c0, r0) blocks.
    shift = np.array([[1, 0, c0 * block], [0, 1, r0 * block], [0, 0, 1.0]])
    mv = m @ shift
    size = ((c1 - c0) * block, (r1 - r0) * block)
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    if np.allclose(mv[2], [0, 0, 1]):
        warped = cv2.warpAffine(target_img, mv[:2], size, flags=flags, borderMode=cv2.BORDER_REPLICATE)
    else:
        warped = cv2.warpPerspective(target_img, mv, size, flags=flags, borderMode=cv2.BORDER_REPLICATE)
    target = np.ascontiguousarray(warped.transpose(2, 0, 1))
    wb_in, wb_t = _wb_rgb(wb, spec.input.key), _wb_rgb(wb, spec.target.key)
    if use_wb and wb is not None:
        target /= (wb_t ** (1 / 2.2)).astype(np.float32).reshape(3, 1, 1)
        np.clip(target, 0.0, 1.0, out=target)
    return TrainingPair(
        name=spec.name,
        zoom=zoom,
        packed=np.ascontiguousarray(packed[:, r0:r1, c0:c1]),
        target=target,
        input_wb=wb_in,
        target_wb=wb_t,
        sensor_box=(x0 + 2 * c0, y0 + 2 * r0, 2 * (c1 - c0), 2 * (r1 - r0)),
        sensor_hw=raw_hw,
        cfa=raw.meta.cfa,
    )


def flip_rgb_pair(rgb: np.ndarray, target: np.ndarray, zoom: int, *,
                  horizontal: bool) -> tuple[np.ndarray, np.ndarray]:
    """Mirror an (input JPEG on the sensor grid, target) pair the way :func:`flip_pair` mirrors a mosaic:
    one sensor pixel dropped at each end, so it stays aligned with the flipped packed RAW of the same
    region. (3, H, W) -> (3, H, W - 2) and (3, H*zoom, W*zoom) -> (3, H*zoom, (W - 2)*zoom)."""
    axis = 2 if horizontal else 1
    n = rgb.shape[axis]
    if rgb.ndim != 3 or rgb.shape[0] != 3 or n < 4:
        raise ValueError(f"cannot flip an RGB array of shape {rgb.shape}")
    f = np.flip(rgb, axis=axis)
    f = f[:, :, 1:n - 1] if horizontal else f[:, 1:n - 1, :]
    t = np.flip(target, axis=axis)
    cut = slice(zoom, zoom + (n - 2) * zoom)
    t = t[:, :, cut] if horizontal else t[:, cut, :]
    return np.ascontiguousarray(f), np.ascontiguousarray(t)


def flip_pair(packed: np.ndarray, target: np.ndarray, zoom: int, *, horizontal: bool,
              cfa="RGGB") -> tuple[np.ndarray, np.ndarray]:
    """Mirror an aligned (packed, target) pair and keep the CFA phase.

    Mirroring the mosaic swaps even and odd columns (rows); dropping one
    sensor pixel at each end restores the phase, so the result is the packing
    of ``mosaic[:, ::-1][:, 1:-1]`` (``mosaic[::-1][1:-1]``) with the same
    ``cfa`` (any of RGGB, BGGR, GRBG, GBRG, or rawpy's 2x2 pattern). The
    packed result is one pixel narrower (shorter), and the target is cut to
    match exactly: (4, h, w) -> (4, h, w-1) and (3, H, W) -> (3, H, W - 2*zoom).
    """
    from ..raw.pack import channel_offsets

    axis = 2 if horizontal else 1
    n = packed.shape[axis]
    if packed.ndim != 3 or packed.shape[0] != 4 or n < 2:
        raise ValueError(f"cannot flip a packed array of shape {packed.shape}")
    f = np.flip(packed, axis=axis)
    keep_first = slice(0, n - 1)
    keep_last = slice(1, n)
    out = np.empty_like(f[:, :, : n - 1] if horizontal else f[:, : n - 1, :])
    for c, (dy, dx) in enumerate(channel_offsets(cfa)):
        # A channel in even sensor columns (rows) lands on the mirrored cell's first position.
        even = (dx if horizontal else dy) == 0
        sl = keep_first if even else keep_last
        out[c] = f[c][:, sl] if horizontal else f[c][sl, :]
    t = np.flip(target, axis=axis)
    cut = slice(zoom, zoom + (n - 1) * 2 * zoom)
    t = t[:, :, cut] if horizontal else t[:, cut, :]
    return np.ascontiguousarray(out), np.ascontiguousarray(t)
