"""The paper's "synthetic raw" control: a Bayer mosaic "unprocessed" from a processed 8-bit RGB image.

Zhang et al. (Table 2, "Ours-syn-raw") trained the RAW network on mosaics made from RGB instead of real
sensor data. The steps, in the spirit of their code and of Brooks et al. (CVPR 2019): sRGB -> linear
(inverse gamma 2.2), divided by the shot's white-balance gains (inverse white balance), sampled on an
RGGB mosaic, plus Gaussian noise of a standard deviation drawn from U(0, ``max_sigma``) (the authors
drew from U(0, 0.0784)), clipped to [0, 1]. Packed like a real RAW: (4, H/2, W/2), R, G1, B, G2.
"""

from __future__ import annotations

import zlib

import numpy as np

#: the authors' noise bound (their training code: sigma ~ U(0, 0.0784))
PAPER_MAX_SIGMA = 0.0784


def unprocess_to_packed(rgb: np.ndarray, wb_gains: np.ndarray, sigma: float,
                        rng: np.random.Generator) -> np.ndarray:
    """A packed RGGB mosaic from sRGB ``rgb`` float32 (H, W, 3) in [0, 1] (H, W even).

    ``wb_gains`` (R, G, B) as-shot gains (G = 1) are divided out; ``sigma`` is the Gaussian noise
    standard deviation in normalised units. Returns float32 (4, H/2, W/2), R, G1, B, G2 in [0, 1].
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.shape[0] % 2 or rgb.shape[1] % 2:
        raise ValueError(f"rgb must be (H, W, 3) with even H and W, got {rgb.shape}")
    gains = np.asarray(wb_gains, np.float32).reshape(3)
    if not np.all(gains > 0):
        raise ValueError(f"white-balance gains must be positive, got {gains}")
    linear = np.clip(rgb.astype(np.float32), 0.0, 1.0) ** 2.2 / gains
    packed = np.stack([linear[0::2, 0::2, 0], linear[0::2, 1::2, 1], linear[1::2, 1::2, 2], linear[1::2, 0::2, 1]])
    if sigma > 0:
        packed = packed + rng.normal(0.0, sigma, packed.shape).astype(np.float32)
    return np.clip(packed, 0.0, 1.0).astype(np.float32)


def pair_rng(seed: int, name: str) -> np.random.Generator:
    """The generator of one pair's synthetic noise: the same for a (seed, pair) on every run and worker."""
    return np.random.default_rng([seed, zlib.crc32(name.encode("utf-8"))])


def draw_sigma(rng: np.random.Generator, max_sigma: float) -> float:
    """sigma ~ U(0, max_sigma), the authors' draw."""
    return float(rng.uniform(0.0, max_sigma)) if max_sigma > 0 else 0.0
