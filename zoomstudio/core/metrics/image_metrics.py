"""PSNR, SSIM, CIEDE2000 (scikit-image) and LPIPS (the ``lpips`` package), as functions and module twins.

Inputs are RGB tensors (B, 3, H, W) with values in [0, 1] (sRGB-encoded);
each function returns the batch mean as a Python float, the modules a 0-d tensor.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
from torch import nn

from ..backbones import BackboneUnavailable, resolve_backbone


def _check(pred: torch.Tensor, target: torch.Tensor) -> None:
    if pred.shape != target.shape or pred.ndim != 4 or pred.shape[1] not in (1, 3):
        raise ValueError(f"pred and target must be equal (B, 3, H, W) or (B, 1, H, W), got {tuple(pred.shape)} "
                         f"and {tuple(target.shape)}")


def psnr(pred: torch.Tensor, target: torch.Tensor, data_range: float = 1.0) -> float:
    """Peak signal-to-noise ratio in dB, per image then averaged (inf for identical images)."""
    _check(pred, target)
    mse = ((pred.double() - target.double()) ** 2).flatten(1).mean(1)
    vals = 10 * torch.log10(data_range**2 / mse)
    return float(vals.mean())


def ssim(pred: torch.Tensor, target: torch.Tensor, data_range: float = 1.0) -> float:
    """Structural similarity (scikit-image, Gaussian window as Wang et al.), averaged over channels and images."""
    from skimage.metrics import structural_similarity

    _check(pred, target)
    p = pred.detach().cpu().double().numpy()
    t = target.detach().cpu().double().numpy()
    vals = []
    for a, b in zip(p, t):
        if min(a.shape[1:]) < 7:
            raise ValueError(f"SSIM needs images of at least 7x7 pixels, got {a.shape[1:]}")
        vals.append(structural_similarity(a, b, data_range=data_range, channel_axis=0, gaussian_weights=True,
                                          sigma=1.5, use_sample_covariance=False))
    return float(np.mean(vals))


def delta_e2000(pred: torch.Tensor, target: torch.Tensor, blur_sigma: float = 0.0) -> float:
    """Mean CIEDE2000 colour difference (sRGB, D65), per image then averaged; see ``colour_difference``."""
    from .colour_difference import mean_delta_e

    _check(pred, target)
    if pred.shape[1] != 3:
        raise ValueError(f"CIEDE2000 needs RGB images, got {tuple(pred.shape)}")
    p = pred.detach().cpu().float().permute(0, 2, 3, 1).numpy()
    t = target.detach().cpu().float().permute(0, 2, 3, 1).numpy()
    return float(np.mean([mean_delta_e(a, b, blur_sigma=blur_sigma) for a, b in zip(p, t)]))


class LPIPSMetric(nn.Module):
    """LPIPS (Zhang et al. 2018) with its linear layers from the ``lpips`` package and the
    backbone (AlexNet or VGG-16) resolved by :mod:`zoomstudio.core.backbones`.

    Raises :class:`BackboneUnavailable` when no backbone weights can be had;
    never falls back to a random backbone.
    """

    def __init__(self, net: str = "alex", **resolve_kwargs) -> None:
        super().__init__()
        import lpips

        if net not in ("alex", "vgg"):
            raise ValueError(f"LPIPS network must be 'alex' or 'vgg', got {net!r}")
        weights = resolve_backbone("alexnet" if net == "alex" else "vgg16", **resolve_kwargs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = lpips.LPIPS(net=net, pnet_rand=True, pretrained=True, verbose=False)
        loaded = 0
        for name, module in model.net.named_modules():
            if isinstance(module, nn.Conv2d):
                idx = name.split(".")[-1]
                module.weight.data.copy_(weights.state[f"{idx}.weight"])
                module.bias.data.copy_(weights.state[f"{idx}.bias"])
                loaded += 1
        if loaded * 2 != len(weights.state):
            raise BackboneUnavailable(f"LPIPS {net}: loaded {loaded} conv layers, weights hold {len(weights.state) // 2}")
        self.model = model.eval().requires_grad_(False)
        self.net = net
        self.origin = weights.origin

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        _check(pred, target)
        return self.model(pred * 2 - 1, target * 2 - 1, normalize=False).mean()


def lpips_distance(pred: torch.Tensor, target: torch.Tensor, metric: LPIPSMetric) -> float:
    """LPIPS of a batch (mean) with a prepared :class:`LPIPSMetric`."""
    with torch.no_grad():
        return float(metric(pred.to(next(metric.parameters()).device), target.to(next(metric.parameters()).device)))


class PSNR(nn.Module):
    """Module twin of :func:`psnr`."""

    def __init__(self, data_range: float = 1.0) -> None:
        super().__init__()
        self.data_range = data_range

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return torch.tensor(psnr(pred, target, self.data_range))


class SSIM(nn.Module):
    """Module twin of :func:`ssim`."""

    def __init__(self, data_range: float = 1.0) -> None:
        super().__init__()
        self.data_range = data_range

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return torch.tensor(ssim(pred, target, self.data_range))


class DeltaE2000(nn.Module):
    """Module twin of :func:`delta_e2000`."""

    def __init__(self, blur_sigma: float = 0.0) -> None:
        super().__init__()
        self.blur_sigma = blur_sigma

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return torch.tensor(delta_e2000(pred, target, self.blur_sigma))
