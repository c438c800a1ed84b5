"""The network's typed config (no torch import: the GUI reads configs at start-up)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

NORMS = ("none", "batch", "instance")
ARCHS = ("zoomnet", "lite", "zlz")  # zlz: the authors' released network, ported exactly
#: upper bounds of the size settings: far above any useful zoom network, low enough that a damaged or
#: hostile config (``width: 100000``) is refused before gigabytes are allocated
MAX_WIDTH = 1024
MAX_BLOCKS = 256
MAX_UP_WIDTH = 4096
#: the arithmetic a zoom runs in: ``auto`` = bfloat16 where the device runs it natively and it is
#: visually lossless, else float32 (``nets.inference.inference_dtype``); ``fp32`` = float32 always
PRECISIONS = ("auto", "fp32")


@dataclass(frozen=True)
class NetConfig:
    """Network hyper-parameters; saved with every checkpoint."""

    arch: str = "zoomnet"  # "zoomnet" (the paper's network) or "lite" (all work at the input grid, pixel shuffle)
    zoom: int = 4
    in_channels: int = 4  # 4: packed RAW (R, G1, B, G2); 3: 8-bit RGB ("Ours-png" control)
    width: int = 64
    blocks: int = 16
    up_width: int = 256  # zoomnet only: channels of the upsampling stages
    norm: str = "none"
    batch_stats_at_inference: bool = False
    skip: str = "none"  # "none" (the paper) or "isp": learn a residual over a fixed demosaic + gamma base


    def __post_init__(self) -> None:
        for name in ("zoom", "in_channels", "width", "blocks", "up_width"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"{name} must be an integer, got {value!r}")
        if not isinstance(self.batch_stats_at_inference, bool):
            raise ValueError(f"batch_stats_at_inference must be true or false, got {self.batch_stats_at_inference!r}")
        if self.arch not in ARCHS:
            raise ValueError(f"arch must be one of {ARCHS}, got {self.arch!r}")
        if self.zoom not in (1, 2, 4, 8):
            raise ValueError(f"zoom must be 1, 2, 4 or 8, got {self.zoom}")
        if self.norm not in NORMS:
            raise ValueError(f"norm must be one of {NORMS}, got {self.norm!r}")
        if self.skip not in ("none", "isp"):
            raise ValueError(f"skip must be 'none' or 'isp', got {self.skip!r}")
        if self.in_channels not in (3, 4):
            raise ValueError(f"in_channels must be 4 (packed RAW) or 3 (RGB), got {self.in_channels}")
        if min(self.width, self.blocks, self.up_width) < 1:
            raise ValueError("width, blocks and up_width must be positive")
        for name, limit in (("width", MAX_WIDTH), ("blocks", MAX_BLOCKS), ("up_width", MAX_UP_WIDTH)):
            if getattr(self, name) > limit:
                raise ValueError(f"{name} {getattr(self, name)} is beyond the largest supported ({limit})")

    @property
    def upscale(self) -> int:
        """Output pixels per input pixel: 2*zoom for packed RAW, zoom for RGB input."""
        return 2 * self.zoom if self.in_channels == 4 else self.zoom

    def to_dict(self) -> dict:
        return asdict(self)
