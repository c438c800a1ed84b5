"""The evaluation protocol: how an output and its ground truth are made comparable.

The paper never published its protocol, and re-measurements of the released
model found bicubic at 25.6-26.3 dB instead of the reported 20.15 dB, so every
number ZoomStudio shows carries its protocol: the alignment of the target to
the output (ECC with a motion model, or none), colour matching of the output
to the target (none / per-channel gain / histogram), the border crop, the
colour space (RGB or Y) and the LPIPS network.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

import numpy as np

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EvalProtocol:
    align: str = "euclidean"  # ECC motion model for target -> output, or "none"
    color: str = "gain"  # "none", "gain" (per-channel least squares) or "histogram"
    border: int = 16  # pixels cropped from every side after alignment
    space: str = "rgb"  # "rgb" or "y" (BT.601 luma) for PSNR / SSIM
    lpips_net: str = "alex"

    def __post_init__(self) -> None:
        if self.align not in ("none", "translation", "euclidean", "affine", "homography"):
            raise ValueError(f"unknown alignment {self.align!r}")
        if self.color not in ("none", "gain", "histogram"):
            raise ValueError(f"unknown colour matching {self.color!r}")
        if self.space not in ("rgb", "y"):
            raise ValueError(f"unknown colour space {self.space!r}")
        if self.lpips_net not in ("alex", "vgg"):
            raise ValueError(f"unknown LPIPS network {self.lpips_net!r}")
        if self.border < 0:
            raise ValueError("border must be >= 0")

    def to_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        return (f"target aligned to output: {self.align}; colour matching for PSNR/SSIM/LPIPS: {self.color}; "
                f"delta E 2000: before colour matching; border crop: {self.border} px; space: {self.space.upper()}; "
                f"LPIPS: {self.lpips_net}")


def align_target(output: np.ndarray, target: np.ndarray, motion: str) -> tuple[np.ndarray, np.ndarray]:
    """Warp ``target`` onto ``output`` with ECC (gray images); returns (warped target, valid mask)."""
    import cv2

    from ..geometry.ecc import EccConfig, align_pair, pyramid_sizes, reference_pyramid, warp_to_reference

    hw = output.shape[:2]
    cfg = EccConfig(motion=motion, finest_side=max(hw), coarsest_side=min(160, max(hw)))
    sizes = pyramid_sizes(hw, cfg)
    gray_out = cv2.cvtColor(output.astype(np.float32), cv2.COLOR_RGB2GRAY)
    gray_tgt = cv2.cvtColor(target.astype(np.float32), cv2.COLOR_RGB2GRAY)
    levels = reference_pyramid(cv2.resize(gray_out, (sizes[-1][1], sizes[-1][0]), interpolation=cv2.INTER_AREA),
                               sizes)
    frame = cv2.resize(gray_tgt, (sizes[-1][1], sizes[-1][0]), interpolation=cv2.INTER_AREA)
    result = align_pair(levels, frame, hw, cfg)
    if not result.valid:  # ECC failed or found an implausible motion: compare as built
        log.info("protocol alignment skipped: %s", result.reason)
        return target, np.ones(hw, bool)
    warped = warp_to_reference(target.astype(np.float32), result.matrix)
    mask = warp_to_reference(np.ones(hw, np.float32), result.matrix) > 0.999
    return warped, mask


def match_colours(output: np.ndarray, target: np.ndarray, mode: str, mask: np.ndarray | None = None) -> np.ndarray:
    """Adjust ``output``'s colours to ``target``: per-channel gain (least squares) or histogram matching."""
    if mode == "none":
        return output
    m = np.ones(output.shape[:2], bool) if mask is None else mask
    if mode == "gain":
        out = output.copy()
        for c in range(3):
            a, b = output[..., c][m], target[..., c][m]
            denom = float((a * a).sum())
            out[..., c] *= float((a * b).sum()) / denom if denom > 0 else 1.0
        return np.clip(out, 0.0, 1.0)
    from skimage.exposure import match_histograms

    return np.clip(match_histograms(output, target, channel_axis=-1), 0.0, 1.0).astype(np.float32)


def prepare(output: np.ndarray, target: np.ndarray, protocol: EvalProtocol) -> tuple[np.ndarray, np.ndarray]:
    """Apply alignment, colour matching and border crop; both (H, W, 3) float32 in [0, 1]."""
    matched, target, _ = prepare_with_unmatched(output, target, protocol)
    return matched, target


def prepare_with_unmatched(output: np.ndarray, target: np.ndarray,
                           protocol: EvalProtocol) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`prepare`, also returning the aligned, cropped output *before* colour matching
    (for colour-error metrics): ``(matched output, target, unmatched output)``."""
    if output.shape != target.shape:
        raise ValueError(f"output and target must have the same shape, got {output.shape} and {target.shape}")
    mask = np.ones(output.shape[:2], bool)
    if protocol.align != "none":
        target, mask = align_target(output, target, protocol.align)
    matched = match_colours(output, target, protocol.color, mask)
    # crop the border, and further to the rectangle the aligned target fully covers
    from ..data.pairs import largest_valid_rect

    b = protocol.border
    r0, r1, c0, c1 = largest_valid_rect(mask)
    r0, c0 = max(r0, b), max(c0, b)
    r1, c1 = min(r1, mask.shape[0] - b), min(c1, mask.shape[1] - b)
    if r1 - r0 < 8 or c1 - c0 < 8:
        raise ValueError("too little valid area left after alignment and border crop")
    return matched[r0:r1, c0:c1], target[r0:r1, c0:c1], output[r0:r1, c0:c1]


def to_luma(rgb: np.ndarray) -> np.ndarray:
    """BT.601 luma (H, W, 1) of sRGB-encoded RGB."""
    return (rgb @ np.array([0.299, 0.587, 0.114], np.float32))[..., None]
