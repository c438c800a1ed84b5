"""The fixed base image of ``skip="isp"`` networks: they learn a residual over it.

Packed RAW (R, G1, B, G2) -> RGB as (R, mean of the greens, B) with a 1/2.2
gamma, bilinearly upsampled; RGB input is upsampled as it is. No parameters,
so any network can add it and tiled inference can add it once at full size.
"""

from __future__ import annotations

import torch


def isp_base(x: torch.Tensor, upscale: int) -> torch.Tensor:
    """(B, 4, h, w) packed RAW in [0, 1] (or (B, 3, h, w) RGB) -> (B, 3, upscale*h, upscale*w).

    Exact on any crop away from its edges (bilinear, ``align_corners=False``).
    """
    if x.shape[1] == 4:
        rgb = torch.stack([x[:, 0], 0.5 * (x[:, 1] + x[:, 3]), x[:, 2]], 1).clamp_min(0) ** (1 / 2.2)
    else:
        rgb = x
    return torch.nn.functional.interpolate(rgb, scale_factor=upscale, mode="bilinear", align_corners=False)
