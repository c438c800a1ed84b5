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

    def apply(self, rgb: np.ndarray) -> np.ndarray:
        """sRGB (..., 3) in [0, 1] -> sRGB float32 (..., 3) in [0, 1] (lookup tables, 16-bit precise)."""
        if rgb.shape[-1] != 3:
            raise ValueError(f"image must end in 3 channels, got {rgb.shape}")
        decode = srgb_to_linear(np.linspace(0.0, 1.0, _LUT_SIZE, dtype=np.float32))
        encode = linear_to_srgb(np.linspace(0.0, 1.0, _LINEAR_LUT_SIZE, dtype=np.float32)).astype(np.float64)
        idx = np.rint(np.clip(rgb, 0.0, 1.0) * (_LUT_SIZE - 1)).astype(np.uint16)
        mixed = decode[idx] @ self.matrix.T.astype(np.float32)
        out = np.empty(mixed.shape, np.float32)
        for c in range(3):  # one table per channel: the sRGB encoding followed by the curve
            table = np.interp(encode, self.knots, self.curves[c]).astype(np.float32)
            q = np.rint(np.clip(mixed[..., c], 0.0, 1.0) * (_LINEAR_LUT_SIZE - 1)).astype(np.uint32)
            out[..., c] = table[q]
        return out

    def to_dict(self) -> dict:
        return {"matrix": np.round(self.matrix, 5).tolist(), "knots": KNOTS,
                "curves": np.round(self.curves, 5).tolist()}


def _hat_basis(x: np.ndarray, knots: np.ndarray) -> np.ndarray:
    """(N,) -> (N, K) linear-interpolation weights on ``knots``."""
    x = np.clip(x, knots[0], knots[-1])
    i = np.clip(np.searchsorted(knots, x, side="right") - 1, 0, len(knots) - 2)
    t = (x - knots[i]) / (knots[i + 1] - knots[i])
    basis = np.zeros((x.size, len(knots)))
    rows = np.arange(x.size)
    basis[rows, i] = 1.0 - t
    basis[rows, i + 1] = t
    return basis


def _fit_curve(x: np.ndarray, y: np.ndarray, knots: np.ndarray) -> np.ndarray:
    """Smooth, monotone piecewise-linear least-squares fit y ~ curve(x); knots without data extrapolate."""
    basis = _hat_basis(x, knots)
    d2 = np.diff(np.eye(len(knots)), 2, axis=0)
    a = basis.T @ basis + _CURVE_SMOOTHING * len(x) / len(knots) * (d2.T @ d2) + 1e-9 * np.eye(len(knots))
    curve = np.linalg.solve(a, basis.T @ y)
    # Monotone by the weighted isotonic projection (pool adjacent violators; weights: the data each knot
    # carries). A running maximum would let one noisy knot near black pin the whole curve flat above it.
    from scipy.optimize import isotonic_regression

    curve = isotonic_regression(curve, weights=basis.sum(axis=0) + 1e-3, increasing=True).x
    return np.clip(curve, 0.0, 1.0)


def _invert_curve(y: np.ndarray, knots: np.ndarray, curve: np.ndarray) -> np.ndarray:
    strictly = curve + np.linspace(0.0, 1e-6, len(curve))  # np.interp needs increasing x
    return np.interp(y, strictly, knots)


def fit_look(source: np.ndarray, reference: np.ndarray, *, iterations: int = 3, max_samples: int = 200_000,
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
