"""An exact port of the authors' released 4X network ("Zoom to Learn, Learn to Zoom", TF1; design.md section 8).

Packed RAW (B, 4, h, w) in about [0, 1] (R, G1, B, G2) -> RGB (B, 3, 8h, 8w) in the camera-JPEG domain
(sRGB gamma, white-balance normalised; multiply by the shot's ``wb ** (1/2.2)``), linear last layer.
What makes it theirs, and differ from :class:`~.zoomnet.ZoomNet`:

- each residual block's first conv is **4x4** with TensorFlow's 'SAME' padding (1 before, 2 after);
- batch normalisation has a shift only (no scale), epsilon 1e-3, and **always batch statistics**, at
  inference too (their ``is_training`` is hard-wired): with one image it normalises over that image, so
  the encoder must see the whole image (``global_statistics``; tiled inference encodes it whole);
- the 3x3 stride-2 transposed convs are TensorFlow 'SAME' ones: PyTorch's ``padding=0`` output with its
  first 2h x 2w pixels kept.

Parameter names follow the port; :mod:`.zlz_import` maps the TF variables onto them.
"""

from __future__ import annotations


import torch
import torch.nn.functional as F
from torch import nn

from .config import NetConfig
from .zoomnet import UpsamplingDecoder, _prelu, upsampling_stages

#: TF's ``slim.batch_norm`` epsilon in the authors' code
BN_EPSILON = 1e-3


class ShiftOnlyBatchNorm(nn.Module):
    """Batch statistics always (biased variance, over batch and space) and a learned shift ``beta``."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.beta = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean = x.mean(dim=(0, 2, 3), keepdim=True)
        var = x.var(dim=(0, 2, 3), keepdim=True, unbiased=False)
        return (x - mean) * torch.rsqrt(var + BN_EPSILON) + self.beta.view(1, -1, 1, 1)


class SameConv4(nn.Conv2d):
    """A 4x4 stride-1 conv with TensorFlow's 'SAME' padding: 1 pixel before, 2 after, on each axis."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__(cin, cout, 4, padding=0, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(F.pad(x, (1, 2, 1, 2)))


class SameConvTranspose3(nn.ConvTranspose2d):
    """A 3x3 stride-2 transposed conv as TensorFlow's 'SAME' one: (B, C, h, w) -> (B, C', 2h, 2w)."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__(cin, cout, 3, stride=2, padding=0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        return super().forward(x)[..., : 2 * h, : 2 * w]


class ZlzResBlock(nn.Module):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.conv_1 = SameConv4(width, width)
        self.bn_1 = ShiftOnlyBatchNorm(width)
        self.act = _prelu(width)
        self.conv_2 = nn.Conv2d(width, width, 3, padding=1, bias=False)
        self.bn_2 = ShiftOnlyBatchNorm(width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.bn_2(self.conv_2(self.act(self.bn_1(self.conv_1(x)))))


class ZlzNet(UpsamplingDecoder):
    """The authors' generator (``arch: zlz``): width 64, 16 residual blocks, 3 upsampling stages of 256
    channels for their 4X model (``NetConfig(arch="zlz", width=64, blocks=16, up_width=256, zoom=4)``)."""

    #: batch statistics at inference: the encoder must see the whole image (tiling would change them)
    global_statistics = True
    #: TF 'SAME' transposed convs keep the first 2h x 2w outputs: their reach is one-sided, a little longer
    transposed_reach = 2.0

    def __init__(self, config: NetConfig = NetConfig(arch="zlz")) -> None:
        super().__init__()
        if config.in_channels != 4 or config.skip != "none":
            raise ValueError("the authors' network takes packed RAW (in_channels 4) and has no skip")
        self.config = config
        w, u = config.width, config.up_width
        self.head = nn.Sequential(nn.Conv2d(4, w, 9, padding=4), _prelu(w))
        self.body = nn.Sequential(*[ZlzResBlock(w) for _ in range(config.blocks)])
        self.body_tail = nn.Sequential(nn.Conv2d(w, w, 3, padding=1, bias=False), ShiftOnlyBatchNorm(w))
        self.upsample, channels = upsampling_stages(w, u, config.upscale, SameConvTranspose3)
        self.tail = nn.Conv2d(channels, 3, 9, padding=4)

    @property
    def encode_radius(self) -> int:
        """Not a local receptive field: batch statistics make every feature depend on the whole image."""
        return 4 + 3 * self.config.blocks + 1
