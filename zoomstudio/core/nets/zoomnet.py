"""The paper's zoom network (design.md section 1): packed RAW -> RGB at 2*zoom x the packed grid.

Architecture (the authors' SRResNet variant): 9x9 conv in->width + PReLU;
``blocks`` residual blocks (conv, norm, PReLU, conv, norm, add); conv + norm
and a global skip; ``log2(2*zoom)`` upsampling stages (conv 3x3 -> up_width,
transposed conv 3x3 stride 2, PReLU); 9x9 conv up_width -> 3. PReLUs start
at 0 (plain ReLU), as the authors initialised them.

``skip="isp"`` (not in the paper; used by the bundled CPU-trained model) adds
a fixed base to the output: the packed RAW as RGB (R, mean of the greens, B)
with a 1/2.2 gamma, bilinearly upsampled (for RGB input: the input upsampled),
so the network learns a residual over a naive ISP and starts from a sensible
image instead of from zero. It needs no extra parameters.

Normalisation is a documented choice: ``"none"`` (default; tiled inference
gives the same tone in every tile), ``"batch"`` (the authors used batch
statistics even at inference: set ``batch_stats_at_inference=True`` to
reproduce that) or ``"instance"`` (per-image statistics: tiles can differ in
tone, so prefer large tiles).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .config import NORMS, NetConfig  # noqa: F401  (re-exported)
from .packed_net import PackedZoomNet

def _norm(kind: str, channels: int, batch_stats: bool) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(channels, track_running_stats=not batch_stats)
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=True)
    return nn.Identity()


def _prelu(channels: int) -> nn.PReLU:
    act = nn.PReLU(channels)
    nn.init.zeros_(act.weight)  # starts as ReLU
    return act


class ResidualBlock(nn.Module):
    def __init__(self, width: int, norm: str, batch_stats: bool) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(width, width, 3, padding=1),
            _norm(norm, width, batch_stats),
            _prelu(width),
            nn.Conv2d(width, width, 3, padding=1),
            _norm(norm, width, batch_stats),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


def upsampling_stages(channels: int, up_width: int, upscale: int, transposed) -> tuple[nn.Sequential, int]:
    """``log2(upscale)`` stages of (conv 3x3 -> ``up_width``, ``transposed(up_width, up_width)`` doubling
    the grid, PReLU); returns the stages and their output channels."""
    stages = []
    for _ in range(int(round(math.log2(upscale)))):
        stages += [nn.Conv2d(channels, up_width, 3, padding=1), transposed(up_width, up_width), _prelu(up_width)]
        channels = up_width
    return nn.Sequential(*stages), channels


class UpsamplingDecoder(PackedZoomNet):
    """The decoder of the paper's network family: ``upsample`` stages, then the 9x9 ``tail`` conv to RGB.
    ``transposed_reach``: input pixels a stage's transposed conv reaches, per side."""

    transposed_reach = 1.5

    def decode(self, feat: torch.Tensor) -> torch.Tensor:
        """Upsampling stages and the output conv: (B, width, h, w) -> (B, 3, s*h, s*w)."""
        return self.tail(self.upsample(feat))

    @property
    def decode_radius(self) -> int:
        """Feature pixels of context a decoded pixel depends on, per side.

        Each stage's 3x3 conv and transposed conv reach about ``transposed_reach`` pixels of its input
        grid (halving per doubling after it); the 9x9 output conv reaches 4 output pixels. Rounded up
        with a pixel to spare.
        """
        stages = int(round(math.log2(self.config.upscale)))
        reach = sum(self.transposed_reach / 2**k for k in range(stages)) + 4 / self.config.upscale
        return int(math.ceil(reach)) + 1


class ZoomNet(UpsamplingDecoder):
    """Packed RAW (B, 4, h, w) in [0, 1] -> RGB (B, 3, s*h, s*w), s = 2*zoom (s = zoom for RGB input).

    The output is sRGB-encoded and white-balance normalised (multiply by the
    input's ``wb ** (1/2.2)`` to get the final image); it is not clamped.
    """

    def __init__(self, config: NetConfig = NetConfig()) -> None:
        super().__init__()
        self.config = config
        c, w, u = config.in_channels, config.width, config.up_width
        bs = config.batch_stats_at_inference
        self.head = nn.Sequential(nn.Conv2d(c, w, 9, padding=4), _prelu(w))
        self.body = nn.Sequential(*[ResidualBlock(w, config.norm, bs) for _ in range(config.blocks)])
        self.body_tail = nn.Sequential(nn.Conv2d(w, w, 3, padding=1), _norm(config.norm, w, bs))
        self.upsample, channels = upsampling_stages(
            w, u, config.upscale, lambda i, o: nn.ConvTranspose2d(i, o, 3, stride=2, padding=1, output_padding=1))
        self.tail = nn.Conv2d(channels, 3, 9, padding=4)

    @property
    def encode_radius(self) -> int:
        """Input pixels of context an encoded pixel depends on, per side (9x9 head, 3x3 convs)."""
        return 4 + 2 * self.config.blocks + 1
