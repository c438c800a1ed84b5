"""Losses: CoBi / CX (bounded memory), CoBi on RGB patches and VGG-19 features, pixel losses.

Functions come with ``nn.Module`` twins taking the same argument names.
"""

from .cobi import CoBiLoss, ContextualLoss, cobi_loss, contextual_loss
from .zoom_loss import (
    CoBiRGBLoss,
    CoBiVGGLoss,
    L1Loss,
    LossConfig,
    ZoomLoss,
    best_shift,
    centre_crop,
    cobi_rgb_loss,
    cobi_vgg_loss,
    l1_loss,
    shift_align,
)

__all__ = [
    "CoBiLoss", "CoBiRGBLoss", "CoBiVGGLoss", "ContextualLoss", "L1Loss", "LossConfig", "ZoomLoss", "best_shift",
    "centre_crop", "cobi_loss", "cobi_rgb_loss", "cobi_vgg_loss", "contextual_loss", "l1_loss", "shift_align",
]
