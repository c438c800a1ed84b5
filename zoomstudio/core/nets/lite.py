"""A light zoom network: all its work at the packed input grid, one pixel shuffle to the output.

Not the paper's network (that is :mod:`.zoomnet`). It follows the design of
the fastest practical upscalers (ESPCN, Real-ESRGAN's SRVGGNetCompact): a 3x3
head, ``blocks`` residual blocks (conv, PReLU, conv, add) and a global skip at
the packed grid, then one 3x3 conv to ``3 * s * s`` channels rearranged by a
pixel shuffle into the (B, 3, s*h, s*w) output, s = 2*zoom (zoom for RGB
input). With ``skip="isp"`` it learns a residual over the fixed demosaic +
gamma base of :func:`.isp_base.isp_base`. No full-resolution convolution, so
it costs a few thousand multiply-adds per output pixel (the paper's network
about ten times more). ``up_width`` is not used.
"""

from __future__ import annotations

import torch
from torch import nn

from .config import NetConfig
from .packed_net import PackedZoomNet
from .zoomnet import ResidualBlock, _prelu


class LiteZoomNet(PackedZoomNet):
    """Packed RAW (B, 4, h, w) in [0, 1] -> RGB (B, 3, s*h, s*w), s = 2*zoom (s = zoom for RGB input).

    Same output convention as :class:`.zoomnet.ZoomNet`: sRGB-encoded, white-balance
    normalised, not clamped.
    """

    def __init__(self, config: NetConfig = NetConfig(arch="lite")) -> None:
        super().__init__()
        self.config = config
        c, w, s = config.in_channels, config.width, config.upscale
        self.head = nn.Sequential(nn.Conv2d(c, w, 3, padding=1), _prelu(w))
        self.body = nn.Sequential(*[ResidualBlock(w, "none", False) for _ in range(config.blocks)])
        self.body_tail = nn.Conv2d(w, w, 3, padding=1)
        self.to_pixels = nn.Conv2d(w, 3 * s * s, 3, padding=1)
        self.shuffle = nn.PixelShuffle(s)
        with torch.no_grad():  # start near the base image (or near zero without one)
            self.to_pixels.weight.mul_(0.1)
            self.to_pixels.bias.zero_()

    def decode(self, feat: torch.Tensor) -> torch.Tensor:
        """(B, width, h, w) -> (B, 3, s*h, s*w): one 3x3 conv and a pixel shuffle."""
        return self.shuffle(self.to_pixels(feat))

    @property
    def encode_radius(self) -> int:
        """Input pixels of context an encoded pixel depends on, per side (all 3x3 convs), plus one."""
        return 1 + 2 * self.config.blocks + 1 + 1

    @property
    def decode_radius(self) -> int:
        """Feature pixels of context a decoded pixel depends on, per side (one 3x3 conv), plus one."""
        return 2

