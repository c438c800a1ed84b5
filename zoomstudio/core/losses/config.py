"""The training loss's typed config (no torch import)."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class LossConfig:
    """Training loss: ``rgb_weight * CoBi_RGB + vgg_weight * CoBi_VGG + l1_weight * L1``.

    The paper's values are the defaults: n = 10 at 4X (15 at 8X); the
    authors' historical runs used n = 1 or 5, w_s = 0.5 and a 2:1 RGB:VGG ratio.
    """

    rgb_weight: float = 1.0
    vgg_weight: float = 1.0
    l1_weight: float = 0.0
    patch: int = 10
    stride: int | None = None
    w_spatial: float = 0.1
    band_width: float = 0.5
    spatial: str = "additive"
    max_samples: int | None = 4096
    vgg_layers: tuple[str, ...] = ("relu1_2", "relu2_2", "relu3_2")
    vgg_layer_weights: tuple[float, ...] = (1.0, 1.0, 0.5)
    shift_align: bool = True
    max_shift: int = 16

    def to_dict(self) -> dict:
        return asdict(self)
