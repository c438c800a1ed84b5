"""What every zoom network shares: the encode / decode split tiled inference relies on, the
optional ``skip="isp"`` base image, and the input check at the boundary."""

from __future__ import annotations

import torch
from torch import nn

from .isp_base import isp_base


class PackedZoomNet(nn.Module):
    """Base of :class:`.zoomnet.ZoomNet` and :class:`.lite.LiteZoomNet`.

    Subclasses set ``config``, ``head``, ``body`` and ``body_tail`` (input-grid
    features) and define ``decode``, ``encode_radius`` and ``decode_radius``.
    """

    @property
    def upscale(self) -> int:
        return self.config.upscale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.decode(self.encode(x))
        return out if self.config.skip == "none" else out + self.base(x)

    def base(self, x: torch.Tensor) -> torch.Tensor:
        """The fixed ``skip="isp"`` base image (B, 3, s*h, s*w); exact on any crop away from its edges."""
        return isp_base(x, self.upscale)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Input-grid features (B, width, h, w): head, residual body and global skip."""
        if x.ndim != 4 or x.shape[1] != self.config.in_channels:
            raise ValueError(f"expected input (B, {self.config.in_channels}, h, w), got {tuple(x.shape)}")
        feat = self.head(x)
        return feat + self.body_tail(self.body(feat))

    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.parameters())
