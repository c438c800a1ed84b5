"""Patch sampling from built pairs, with a tolerance band and phase-keeping flips.

A patch of ``patch`` target pixels (a multiple of ``2 * zoom``) comes with a
band: the target crop is ``patch + 2 * target_band`` pixels and the packed
crop ``patch / (2 * zoom) + 2 * packed_band`` (the authors: 16 and 2), so the
loss can tolerate misalignment (CoBi, or the +-16 px shift search).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .pairs import TrainingPair, flip_pair, flip_rgb_pair


@dataclass(frozen=True)
class PatchSpec:
    """Patch geometry; ``patch`` in target pixels."""

    patch: int = 512
    packed_band: int = 2
    target_band: int = 16

    def packed_core(self, zoom: int) -> int:
        if self.patch % (2 * zoom):
            raise ValueError(f"patch {self.patch} must be a multiple of 2*zoom = {2 * zoom}")
        return self.patch // (2 * zoom)

    def margin(self, zoom: int) -> int:
        """Packed pixels needed around the core for both bands."""
        return max(self.packed_band, math.ceil(self.target_band / (2 * zoom)))


def _cut(packed, target, zoom, i0, j0, core, spec, rgb=None):
    """Cut the banded patch whose core starts at packed (i0, j0) from an aligned sub-pair (the input is
    ``rgb``, on the sensor grid, when given: twice the packed coordinates)."""
    b = 2 * zoom
    pb, tb = spec.packed_band, spec.target_band
    if rgb is not None:
        p = rgb[:, 2 * (i0 - pb) : 2 * (i0 + core + pb), 2 * (j0 - pb) : 2 * (j0 + core + pb)]
    else:
        p = packed[:, i0 - pb : i0 + core + pb, j0 - pb : j0 + core + pb]
    t = target[:, i0 * b - tb : (i0 + core) * b + tb, j0 * b - tb : (j0 + core) * b + tb]
    return p, t


def sample_patch(pair: TrainingPair, spec: PatchSpec, rng: np.random.Generator | None = None, *,
                 central: bool = False, flips: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """One (input, target) patch: float32 (4, c + 2pb, c + 2pb) and (3, P + 2tb, P + 2tb); the input is
    the camera JPEG on the sensor grid, (3, 2(c + 2pb), 2(c + 2pb)), for a png pair (``pair.rgb``).

    ``central`` takes the centre patch without flips (validation); otherwise
    a uniformly random position, and each flip with probability 1/2.
    """
    zoom = pair.zoom
    core = spec.packed_core(zoom)
    e = spec.margin(zoom)
    need = core + 2 * e + 1  # +1: a flip costs one packed pixel
    _, h, w = pair.packed.shape
    if h < need or w < need:
        raise ValueError(
            f"{pair.name}: valid region {w}x{h} (packed) is smaller than a {spec.patch}px patch needs ({need}x{need})"
        )
    if central:
        i, j = (h - need) // 2, (w - need) // 2
        flip_h = flip_v = False
    else:
        rng = rng or np.random.default_rng()
        i = int(rng.integers(0, h - need + 1))
        j = int(rng.integers(0, w - need + 1))
        flip_h, flip_v = (bool(v) for v in rng.integers(0, 2, 2)) if flips else (False, False)
    b = 2 * zoom
    sub_t = pair.target[:, i * b : (i + need) * b, j * b : (j + need) * b]
    if pair.rgb is not None:
        sub_rgb = pair.rgb[:, 2 * i : 2 * (i + need), 2 * j : 2 * (j + need)]
        for horizontal, flip in ((True, flip_h), (False, flip_v)):
            if flip:
                sub_rgb, sub_t = flip_rgb_pair(sub_rgb, sub_t, zoom, horizontal=horizontal)
        p, t = _cut(None, sub_t, zoom, e, e, core, spec, rgb=sub_rgb)
        return np.ascontiguousarray(p), np.ascontiguousarray(t)
    sub_p = pair.packed[:, i : i + need, j : j + need]
    if flip_h:
        sub_p, sub_t = flip_pair(sub_p, sub_t, zoom, horizontal=True, cfa=pair.cfa)
    if flip_v:
        sub_p, sub_t = flip_pair(sub_p, sub_t, zoom, horizontal=False, cfa=pair.cfa)
    p, t = _cut(sub_p, sub_t, zoom, e, e, core, spec)
    return np.ascontiguousarray(p), np.ascontiguousarray(t)
