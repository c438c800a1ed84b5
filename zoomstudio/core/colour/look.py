"""A global colour and tone transform fitted between two renderings of the same scene.

Used to give the zoom output a camera's own colours: the transform that maps
one rendering (the network's, or the fixed LibRaw-like rendering) onto another
(the camera's JPEG, or the LibRaw-like rendering) is fitted on the overlapping
pixels at low resolution and applied to the full-resolution image. It is
global and smooth (a 3x3 matrix in linear light, then one monotone tone curve
per channel), so it moves colours, never detail.

Images are sRGB-encoded float32 (..., 3) in [0, 1], RGB order.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Sequence

import numpy as np

from .srgb import linear_to_srgb, srgb_to_linear

#: Tone-curve knots (uniform on the sRGB-encoded axis).
KNOTS = 33
#: Pixels at or above this in either image are clipped there and carry no colour information.
_CLIPPED = 0.985
#: A reference channel at or below this (half an 8-bit level) was clipped at black: its true value is unknown.
_BLACK = 0.5 / 255
#: Ridge weight pulling the matrix towards the identity: scenes of few colours (a blue-lit
#: stage) leave some directions unconstrained, and an unconstrained matrix misrenders the rest.
_MATRIX_RIDGE = 0.01
#: Second-difference smoothing of the tone curves (relative to the sample count per knot).
_CURVE_SMOOTHING = 1e-4
_LUT_SIZE = 1 << 16  # encoded input: 16-bit steps
_LINEAR_LUT_SIZE = 1 << 20  # linear light: fine enough that the encoded output keeps 16-bit precision near black
#: Pixels per slice when applying looks: the slice's temporaries stay in the CPU's cache (one pass over
#: an 18 MP image in slices runs ~6x faster than whole-image temporaries; threads do not help, the
#: table gathers hold the GIL).
_SLICE_PIXELS = 1 << 16


@lru_cache(maxsize=1)
def _transfer_tables() -> tuple[np.ndarray, np.ndarray]:
    """(decode, encode): sRGB -> linear at 16-bit steps (float32), linear -> sRGB at 20-bit steps (float64)."""
    decode = srgb_to_linear(np.linspace(0.0, 1.0, _LUT_SIZE, dtype=np.float32))
    encode = linear_to_srgb(np.linspace(0.0, 1.0, _LINEAR_LUT_SIZE, dtype=np.float32)).astype(np.float64)
    return decode, encode


@dataclass(frozen=True)
class ColourLook:
    """``out_c = curve_c(srgb(M @ linear(in)))``: ``matrix`` (3, 3), ``curves`` (3, KNOTS) on ``knots``."""

    matrix: np.ndarray
    knots: np.ndarray
    curves: np.ndarray

    @staticmethod
    def identity() -> "ColourLook":
        k = np.linspace(0.0, 1.0, KNOTS)
        return ColourLook(np.eye(3), k, np.tile(k, (3, 1)))

    def apply(self, rgb: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """sRGB (..., 3) in [0, 1] -> sRGB float32 (..., 3) in [0, 1] (lookup tables, 16-bit precise).

        ``out`` (float32, ``rgb``'s shape; may be ``rgb`` itself) receives the result.
        """
        return apply_looks(rgb, [self], out)

    @cached_property
    def _tables(self) -> tuple[np.ndarray, list[np.ndarray]]:
        """(matrix transposed float32 (3, 3), per channel the sRGB encoding + curve table (2^20,) float32)."""
        _, encode = _transfer_tables()
        curves = [np.interp(encode, self.knots, self.curves[c]).astype(np.float32) for c in range(3)]
        return self.matrix.T.astype(np.float32), curves

    def _apply_slice(self, src: np.ndarray, dst: np.ndarray) -> None:
        """One slice (n, 3) float32 in [0, 1] -> ``dst`` (n, 3) float32 (may be ``src``)."""
        decode, _ = _transfer_tables()
        matrix_t, curves = self._tables
        idx = np.multiply(src, _LUT_SIZE - 1)  # src is in [0, 1]
        mixed = decode.take(np.rint(idx, out=idx).astype(np.int32)) @ matrix_t
        _clip01(mixed)
        mixed *= _LINEAR_LUT_SIZE - 1
        q = np.rint(mixed, out=mixed).astype(np.int32)
        for c in range(3):  # one table per channel: the sRGB encoding followed by the curve
            curves[c].take(q[:, c], out=dst[:, c])

    def to_dict(self) -> dict:
        return {"matrix": np.round(self.matrix, 5).tolist(), "knots": KNOTS,
                "curves": np.round(self.curves, 5).tolist()}


def _clip01(x: np.ndarray) -> None:
    """Clip to [0, 1] in place (np.clip's dispatch costs more than the work on cache-sized slices)."""
    np.maximum(x, 0.0, out=x)
    np.minimum(x, 1.0, out=x)


def apply_looks(rgb: np.ndarray, looks: Sequence[ColourLook], out: np.ndarray | None = None) -> np.ndarray:
    """Apply ``looks`` one after the other to sRGB ``rgb`` (..., 3) in [0, 1]: float32 (..., 3) in [0, 1].

    One pass in cache-sized slices (no full-size temporaries); ``out`` (float32, ``rgb``'s shape, may be
    ``rgb`` itself when it is float32 and contiguous) receives the result.
    """
    if rgb.shape[-1] != 3:
        raise ValueError(f"image must end in 3 channels, got {rgb.shape}")
    if out is None:
        out = np.empty(rgb.shape, np.float32)
    elif out.shape != rgb.shape or out.dtype != np.float32 or not out.flags.c_contiguous:
        raise ValueError(f"out must be a contiguous float32 array of shape {rgb.shape}, got {out.shape} {out.dtype}")
    src, dst = rgb.reshape(-1, 3), out.reshape(-1, 3)
    for start in range(0, len(src), _SLICE_PIXELS):
        part = src[start : start + _SLICE_PIXELS].astype(np.float32)  # a copy: ``out`` may alias ``rgb``
        _clip01(part)
        for look in looks:
            look._apply_slice(part, part)
        dst[start : start + len(part)] = part
    return out


def _hat_normal_equations(x: np.ndarray, y: np.ndarray, knots: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Least squares of y ~ curve(x) on linear-interpolation ``knots``: ``(B^T B, B^T y, column sums of B)``.

    B (N, K) has two non-zeros per row (the hat weights), so B^T B is tridiagonal: summed with bincount
    instead of building B.
    """
    k = len(knots)
    x = np.clip(x, knots[0], knots[-1])
    i = np.clip(np.searchsorted(knots, x, side="right") - 1, 0, k - 2)
    t = (x - knots[i]) / (knots[i + 1] - knots[i])
    a_w, b_w = 1.0 - t, t  # weights of knot i and i + 1
    diag = np.bincount(i, a_w * a_w, k) + np.bincount(i + 1, b_w * b_w, k)
    off = np.bincount(i, a_w * b_w, k - 1)
    gram = np.diag(diag) + np.diag(off, 1) + np.diag(off, -1)
    rhs = np.bincount(i, a_w * y, k) + np.bincount(i + 1, b_w * y, k)
    return gram, rhs, np.bincount(i, a_w, k) + np.bincount(i + 1, b_w, k)


def _isotonic(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The weighted least-squares non-decreasing fit to ``values`` (pool adjacent violators)."""
    blocks: list[list[float]] = []  # [weighted mean, weight, length]
    for v, w in zip(values.tolist(), weights.tolist()):
        blocks.append([v, w, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            (v2, w2, n2), (v1, w1, n1) = blocks.pop(), blocks.pop()
            blocks.append([(v1 * w1 + v2 * w2) / (w1 + w2), w1 + w2, n1 + n2])
    return np.concatenate([np.full(n, v) for v, _, n in blocks])


def _fit_curve(x: np.ndarray, y: np.ndarray, knots: np.ndarray) -> np.ndarray:
    """Smooth, monotone piecewise-linear least-squares fit y ~ curve(x); knots without data extrapolate."""
    gram, rhs, mass = _hat_normal_equations(x, y, knots)
    d2 = np.diff(np.eye(len(knots)), 2, axis=0)
    a = gram + _CURVE_SMOOTHING * len(x) / len(knots) * (d2.T @ d2) + 1e-9 * np.eye(len(knots))
    curve = np.linalg.solve(a, rhs)
    # Monotone by the weighted isotonic projection (weights: the data each knot carries). A running
    # maximum would let one noisy knot near black pin the whole curve flat above it.
    return np.clip(_isotonic(curve, mass + 1e-3), 0.0, 1.0)


def _invert_curve(y: np.ndarray, knots: np.ndarray, curve: np.ndarray) -> np.ndarray:
    strictly = curve + np.linspace(0.0, 1e-6, len(curve))  # np.interp needs increasing x
    return np.interp(y, strictly, knots)


def fit_look(source: np.ndarray, reference: np.ndarray, *, iterations: int = 3, max_samples: int = 65_536,
             seed: int = 0) -> ColourLook:
    """The :class:`ColourLook` taking ``source`` to ``reference`` (same shape (..., 3), pixel-aligned).

    Clipped pixels are left out; at most ``max_samples`` pixels (seeded) are
    used. The matrix is fitted in linear light, weighted towards dark pixels
    (errors there are as visible as in bright ones), and the curves are
    refitted after it, ``iterations`` times. Raises ``ValueError`` for
    mismatched shapes or fewer than 64 usable pixels.
    """
    if source.shape != reference.shape or source.shape[-1] != 3:
        raise ValueError(f"source {source.shape} and reference {reference.shape} must be the same (..., 3) shape")
    s = source.reshape(-1, 3).astype(np.float64)
    r = reference.reshape(-1, 3).astype(np.float64)
    keep = (s.max(axis=1) < _CLIPPED) & (r.max(axis=1) < _CLIPPED) & np.all(np.isfinite(s) & np.isfinite(r), axis=1)
    s, r = s[keep], r[keep]
    if len(s) < 64:
        raise ValueError(f"only {len(s)} unclipped pixels to fit colours on (need 64)")
    if len(s) > max_samples:
        pick = np.random.default_rng(seed).choice(len(s), max_samples, replace=False)
        s, r = s[pick], r[pick]
    s_lin = srgb_to_linear(s).astype(np.float64)
    knots = np.linspace(0.0, 1.0, KNOTS)
    curves = np.tile(knots, (3, 1))
    matrix = np.eye(3)
    for _ in range(iterations):
        t_enc = np.stack([_invert_curve(r[:, c], knots, curves[c]) for c in range(3)], axis=1)
        t_lin = srgb_to_linear(t_enc).astype(np.float64)
        w = np.sqrt(1.0 / (t_lin.mean(axis=1) + 0.01))
        for c in range(3):  # one row per output channel, leaving out pixels the reference clipped to black
            row = r[:, c] > _BLACK
            if row.sum() < 16:
                continue
            x, y = s_lin[row] * w[row, None], t_lin[row, c] * w[row]
            ridge = _MATRIX_RIDGE * float((w[row] ** 2).sum()) * float(np.mean(s_lin[row] ** 2))
            matrix[c] = np.linalg.solve(x.T @ x + ridge * np.eye(3), x.T @ y + ridge * np.eye(3)[c])
        mixed = linear_to_srgb(np.clip(s_lin @ matrix.T, 0.0, 1.0)).astype(np.float64)
        curves = np.stack([_fit_curve(mixed[:, c], r[:, c], knots) for c in range(3)])
    return ColourLook(matrix, knots, curves)
