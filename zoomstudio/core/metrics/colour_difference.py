"""CIEDE2000 colour difference between two sRGB images (numpy, scikit-image).

``blur_sigma`` > 0 softens both first (Gaussian, in pixels), so that only
colour and tone count, not detail or residual misalignment.
"""

from __future__ import annotations

import numpy as np


def delta_e_map(image: np.ndarray, reference: np.ndarray, *, blur_sigma: float = 0.0) -> np.ndarray:
    """Per-pixel CIEDE2000 (H, W) float64 of two sRGB images (H, W, 3) in [0, 1] (D65 white)."""
    import cv2
    from skimage.color import deltaE_ciede2000, rgb2lab

    if image.shape != reference.shape or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"images must be equal (H, W, 3), got {image.shape} and {reference.shape}")
    a = np.clip(np.asarray(image, np.float32), 0, 1)
    b = np.clip(np.asarray(reference, np.float32), 0, 1)
    if blur_sigma > 0:
        a = cv2.GaussianBlur(a, (0, 0), blur_sigma)
        b = cv2.GaussianBlur(b, (0, 0), blur_sigma)
    return deltaE_ciede2000(rgb2lab(a), rgb2lab(b))


def mean_delta_e(image: np.ndarray, reference: np.ndarray, *, blur_sigma: float = 0.0) -> float:
    """Mean CIEDE2000 of two sRGB images (H, W, 3) in [0, 1]; see :func:`delta_e_map`."""
    return float(delta_e_map(image, reference, blur_sigma=blur_sigma).mean())
