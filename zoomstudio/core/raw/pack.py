"""Packing a Bayer mosaic into 4 channels (R, G1, B, G2) and back.

Conventions (design.md section 1):

* A mosaic is ``(H, W)``; its packed form is ``(4, H//2, W//2)`` with channel
  order **R, G1, B, G2** for every CFA phase. G1 is the green that shares a row
  with red, G2 the green that shares a row with blue.
* Odd sizes: the last row / column that does not complete a 2x2 cell is
  dropped, so ``unpack(pack(m))`` equals ``m[:2*(H//2), :2*(W//2)]`` exactly.
* Levels: ``(x - black) / (white - black)`` per channel, clipped to [0, 1].
"""

from __future__ import annotations

import numpy as np

#: Colour names in packed channel order.
PACKED_CHANNELS = ("R", "G1", "B", "G2")


def _as_pattern(pattern) -> np.ndarray:
    """Accept a 2x2 colour-index array (0=R, 1=G, 2=B, 3=G) or a string like ``"RGGB"``."""
    if isinstance(pattern, str):
        letters = pattern.upper()
        if len(letters) != 4 or sorted(letters) != ["B", "G", "G", "R"]:
            raise ValueError(f"CFA pattern must be a permutation of RGGB, got {pattern!r}")
        lut = {"R": 0, "G": 1, "B": 2}
        return np.array([lut[c] for c in letters], dtype=np.int64).reshape(2, 2)
    arr = np.asarray(pattern)
    if arr.shape != (2, 2):
        raise ValueError(f"CFA pattern must be 2x2, got shape {arr.shape}")
    return arr.astype(np.int64)


def channel_offsets(pattern) -> tuple[tuple[int, int], ...]:
    """(row, col) offset inside the 2x2 cell of R, G1, B, G2 for a CFA pattern.

    ``pattern`` is rawpy's ``raw_pattern`` (0=R, 1=G, 2=B, 3=second G) or a
    string such as ``"GRBG"``. Raises ``ValueError`` for non-Bayer patterns.
    """
    pat = _as_pattern(pattern)
    colours = pat.copy()
    colours[colours == 3] = 1  # both greens are "G"; G1/G2 are assigned by row below
    if sorted(colours.ravel().tolist()) != [0, 1, 1, 2]:
        raise ValueError(f"not a Bayer pattern: {pat.tolist()}")
    r = tuple(int(v) for v in np.argwhere(colours == 0)[0])
    b = tuple(int(v) for v in np.argwhere(colours == 2)[0])
    g1 = (r[0], 1 - r[1])  # the green on red's row
    g2 = (b[0], 1 - b[1])  # the green on blue's row
    return r, g1, b, g2


def cfa_string(pattern) -> str:
    """Four letters of the 2x2 cell in raster order, e.g. ``"RGGB"``."""
    pat = _as_pattern(pattern)
    return "".join("RGBG"[int(v)] for v in pat.ravel())


def pack_bayer(mosaic: np.ndarray, pattern) -> np.ndarray:
    """Pack an ``(H, W)`` mosaic to ``(4, H//2, W//2)`` in R, G1, B, G2 order.

    Keeps the dtype (no normalisation); the result is a new contiguous array.
    """
    if mosaic.ndim != 2:
        raise ValueError(f"mosaic must be 2-D (H, W), got shape {mosaic.shape}")
    h, w = mosaic.shape[0] // 2, mosaic.shape[1] // 2
    if h == 0 or w == 0:
        raise ValueError(f"mosaic too small to pack: shape {mosaic.shape}")
    out = np.empty((4, h, w), dtype=mosaic.dtype)
    for c, (dy, dx) in enumerate(channel_offsets(pattern)):
        out[c] = mosaic[dy : dy + 2 * h : 2, dx : dx + 2 * w : 2]
    return out


def unpack_bayer(packed: np.ndarray, pattern) -> np.ndarray:
    """Exact inverse of :func:`pack_bayer`: ``(4, h, w)`` -> ``(2h, 2w)`` mosaic."""
    if packed.ndim != 3 or packed.shape[0] != 4:
        raise ValueError(f"packed must be (4, h, w), got shape {packed.shape}")
    _, h, w = packed.shape
    out = np.empty((2 * h, 2 * w), dtype=packed.dtype)
    for c, (dy, dx) in enumerate(channel_offsets(pattern)):
        out[dy::2, dx::2] = packed[c]
    return out


def normalize_packed(packed: np.ndarray, black: np.ndarray, white: float) -> np.ndarray:
    """Map raw counts to [0, 1] float32: ``clip((x - black) / (white - black), 0, 1)``.

    ``black`` holds one level per packed channel (R, G1, B, G2), shape (4,).
    Values above ``white`` (real files have them) clip to 1.
    """
    black = np.asarray(black, dtype=np.float32).reshape(4, 1, 1)
    scale = np.float32(1.0) / (np.float32(white) - black)
    out = packed.astype(np.float32)
    out -= black
    out *= scale
    np.clip(out, 0.0, 1.0, out=out)
    return out


def denormalize_packed(packed01: np.ndarray, black: np.ndarray, white: float) -> np.ndarray:
    """Inverse of :func:`normalize_packed` for in-range values, rounded to uint16."""
    black = np.asarray(black, dtype=np.float64).reshape(4, 1, 1)
    counts = packed01.astype(np.float64) * (float(white) - black) + black
    return np.clip(np.rint(counts), 0, 65535).astype(np.uint16)


def pack_normalized(mosaic: np.ndarray, pattern, black_cell: np.ndarray, white: float) -> np.ndarray:
    """Pack and normalise in one pass: ``(H, W)`` counts -> ``(4, H//2, W//2)`` float32 in [0, 1].

    ``black_cell`` is the 2x2 black level by CFA position (what
    ``black_level_per_channel[raw_colors_visible]`` gives for one cell).
    Large frames process their four channels on two threads (numpy releases
    the GIL), which keeps packing a 42 MP frame well under LibRaw's decode time.
    """
    if mosaic.ndim != 2 or mosaic.shape[0] < 2 or mosaic.shape[1] < 2:
        raise ValueError(f"mosaic must be 2-D with at least 2x2 pixels, got shape {mosaic.shape}")
    offsets = channel_offsets(pattern)
    black_cell = np.asarray(black_cell, dtype=np.float32).reshape(2, 2)
    h, w = mosaic.shape[0] // 2, mosaic.shape[1] // 2
    out = np.empty((4, h, w), dtype=np.float32)

    def one(c: int) -> None:
        dy, dx = offsets[c]
        scale = np.float32(1.0) / (np.float32(white) - black_cell[dy, dx])
        # (x - black) * scale == x * scale - black * scale: two passes instead of three.
        np.multiply(mosaic[dy : dy + 2 * h : 2, dx : dx + 2 * w : 2], scale, out=out[c], dtype=np.float32)
        out[c] -= black_cell[dy, dx] * scale
        np.clip(out[c], 0.0, 1.0, out=out[c])

    if h * w >= 1 << 18:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(one, range(4)))
    else:
        for c in range(4):
            one(c)
    return out
