"""The training losses: CoBi on RGB patches and VGG-19 features, L1, and their combination.

All take ``pred`` and ``target`` as RGB (B, 3, H, W) in [0, 1]; the target may
be larger than the prediction (it carries the tolerance band), which the
contextual losses accept as they are, or which ``shift_align`` removes by the
authors' best integer shift (L1) within +-``max_shift`` pixels.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .cobi import cobi_loss
from .config import LossConfig
from .vgg import VGGFeatures


def _check_rgb(pred: torch.Tensor, target: torch.Tensor) -> None:
    if pred.ndim != 4 or pred.shape[1] != 3 or target.ndim != 4 or target.shape[1] != 3:
        raise ValueError(f"pred and target must be RGB (B, 3, H, W), got {tuple(pred.shape)} and {tuple(target.shape)}")
    if pred.shape[0] != target.shape[0]:
        raise ValueError(f"batch sizes differ: {tuple(pred.shape)} vs {tuple(target.shape)}")
    if target.shape[2] < pred.shape[2] or target.shape[3] < pred.shape[3]:
        raise ValueError(f"target {tuple(target.shape)} is smaller than pred {tuple(pred.shape)}")


def centre_crop(target: torch.Tensor, hw: tuple[int, int]) -> torch.Tensor:
    h, w = hw
    y = (target.shape[2] - h) // 2
    x = (target.shape[3] - w) // 2
    return target[:, :, y : y + h, x : x + w]


@torch.no_grad()
def best_shift(pred: torch.Tensor, target: torch.Tensor, max_shift: int = 16) -> list[tuple[int, int]]:
    """Per batch element, the integer (dy, dx) in +-max_shift minimising L1 between pred and the
    target window at that offset from centre. Coarse (4 px steps at 1/4 size) then fine (+-3 px)."""
    h, w = pred.shape[2:]
    cy, cx = (target.shape[2] - h) // 2, (target.shape[3] - w) // 2
    limit_y, limit_x = min(max_shift, cy), min(max_shift, cx)
    out = []
    for b in range(pred.shape[0]):
        p = pred[b : b + 1].float()
        t = target[b : b + 1].float()

        def cost(dy, dx, ps=p, ts=t, scale=1):
            y0, x0 = (cy + dy) // scale, (cx + dx) // scale
            return float((ps - ts[:, :, y0 : y0 + ps.shape[2], x0 : x0 + ps.shape[3]]).abs().mean())

        ps, ts = F.avg_pool2d(p, 4), F.avg_pool2d(t, 4)
        coarse = [(dy, dx) for dy in range(-limit_y // 4 * 4, limit_y + 1, 4)
                  for dx in range(-limit_x // 4 * 4, limit_x + 1, 4)
                  if 0 <= cy + dy and 0 <= cx + dx]
        by, bx = min(coarse, key=lambda s: cost(s[0], s[1], ps, ts, 4)) if ps.shape[2] > 2 else (0, 0)
        fine = [(dy, dx) for dy in range(by - 3, by + 4) for dx in range(bx - 3, bx + 4)
                if abs(dy) <= limit_y and abs(dx) <= limit_x]
        out.append(min(fine, key=lambda s: cost(*s)))
    return out


def shift_align(pred: torch.Tensor, target: torch.Tensor, max_shift: int = 16) -> torch.Tensor:
    """The target cropped to ``pred``'s size at the best integer shift (authors' pre-alignment)."""
    _check_rgb(pred, target)
    h, w = pred.shape[2:]
    cy, cx = (target.shape[2] - h) // 2, (target.shape[3] - w) // 2
    crops = [target[b : b + 1, :, cy + dy : cy + dy + h, cx + dx : cx + dx + w]
             for b, (dy, dx) in enumerate(best_shift(pred, target, max_shift))]
    return torch.cat(crops, dim=0)


def l1_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean absolute error against the centre crop of the target."""
    _check_rgb(pred, target)
    return (pred - centre_crop(target, pred.shape[2:])).abs().mean()


def cobi_rgb_loss(pred: torch.Tensor, target: torch.Tensor, *, patch: int = 10, stride: int | None = None,
                  w_spatial: float = 0.1, band_width: float = 0.5, max_samples: int | None = 4096,
                  spatial: str = "additive") -> torch.Tensor:
    """CoBi_RGB: CoBi with l2 distance on ``patch`` x ``patch`` RGB patches (C = 3 n^2).

    Patches are taken every ``stride`` pixels (default: ``patch``, non-overlapping).
    """
    _check_rgb(pred, target)
    stride = stride or patch
    fp = F.unfold(pred, patch, stride=stride)
    ft = F.unfold(target, patch, stride=stride)
    hp = (pred.shape[2] - patch) // stride + 1
    wp = (pred.shape[3] - patch) // stride + 1
    ht = (target.shape[2] - patch) // stride + 1
    wt = (target.shape[3] - patch) // stride + 1
    fp = fp.view(pred.shape[0], -1, hp, wp)
    ft = ft.view(target.shape[0], -1, ht, wt)
    return cobi_loss(fp, ft, w_spatial=w_spatial, band_width=band_width, distance="l2", spatial=spatial,
                     max_samples=max_samples)


def cobi_vgg_loss(pred: torch.Tensor, target: torch.Tensor, *, features: VGGFeatures,
                  layer_weights=(1.0, 1.0, 0.5), w_spatial: float = 0.1, band_width: float = 0.5,
                  max_samples: int | None = 4096, spatial: str = "additive") -> torch.Tensor:
    """CoBi_VGG: cosine CoBi on VGG-19 features (relu1_2, relu2_2, relu3_2, weights 1, 1, 0.5)."""
    _check_rgb(pred, target)
    if len(layer_weights) != len(features.layers):
        raise ValueError(f"{len(layer_weights)} layer weights for {len(features.layers)} layers")
    fp = features(pred)
    with torch.no_grad():
        ft = features(target)
    total = pred.new_zeros(())
    for wgt, a, b in zip(layer_weights, fp, ft):
        if wgt:
            total = total + wgt * cobi_loss(a, b, w_spatial=w_spatial, band_width=band_width, distance="cosine",
                                            spatial=spatial, max_samples=max_samples)
    return total


class ZoomLoss(nn.Module):
    """Module computing the configured training loss; returns (total, {term: value})."""

    def __init__(self, config: LossConfig = LossConfig(), features: VGGFeatures | None = None) -> None:
        super().__init__()
        self.config = config
        self.features = features if (features is not None or config.vgg_weight == 0) else VGGFeatures(
            layers=config.vgg_layers)

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
        c = self.config
        _check_rgb(pred, target)
        pred = pred.float()
        target = target.float()
        tgt = shift_align(pred, target, c.max_shift) if c.shift_align else target
        terms: dict[str, torch.Tensor] = {}
        if c.rgb_weight:
            terms["cobi_rgb"] = cobi_rgb_loss(pred, tgt, patch=c.patch, stride=c.stride, w_spatial=c.w_spatial,
                                              band_width=c.band_width, max_samples=c.max_samples, spatial=c.spatial)
        if c.vgg_weight:
            terms["cobi_vgg"] = cobi_vgg_loss(pred, tgt, features=self.features,
                                              layer_weights=c.vgg_layer_weights, w_spatial=c.w_spatial,
                                              band_width=c.band_width, max_samples=c.max_samples, spatial=c.spatial)
        if c.l1_weight:
            terms["l1"] = l1_loss(pred, tgt)
        weights = {"cobi_rgb": c.rgb_weight, "cobi_vgg": c.vgg_weight, "l1": c.l1_weight}
        total = sum(weights[k] * v for k, v in terms.items())
        return total, {k: float(v.detach()) for k, v in terms.items()}


class CoBiRGBLoss(nn.Module):
    """Module twin of :func:`cobi_rgb_loss`."""

    def __init__(self, **kwargs) -> None:
        super().__init__()
        self.kwargs = kwargs

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return cobi_rgb_loss(pred, target, **self.kwargs)


class CoBiVGGLoss(nn.Module):
    """Module twin of :func:`cobi_vgg_loss` (holds its :class:`VGGFeatures`)."""

    def __init__(self, features: VGGFeatures | None = None, **kwargs) -> None:
        super().__init__()
        self.features = features or VGGFeatures()
        self.kwargs = kwargs

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return cobi_vgg_loss(pred, target, features=self.features, **self.kwargs)


class L1Loss(nn.Module):
    """Module twin of :func:`l1_loss`."""

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return l1_loss(pred, target)
