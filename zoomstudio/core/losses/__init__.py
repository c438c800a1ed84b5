"""Losses: CoBi / CX (bounded memory), CoBi on RGB patches and VGG-19 features, pixel losses.

Functions come with ``nn.Module`` twins taking the same argument names. Attributes load lazily
(``LossConfig`` without torch).
"""

from ..lazy import lazy_attributes

_EXPORTS = {"LossConfig": ".config"}
_EXPORTS.update({n: ".cobi" for n in ("CoBiLoss", "ContextualLoss", "cobi_loss", "contextual_loss")})
_EXPORTS.update({n: ".zoom_loss" for n in (
    "CoBiRGBLoss", "CoBiVGGLoss", "L1Loss", "ZoomLoss", "best_shift", "centre_crop", "cobi_rgb_loss",
    "cobi_vgg_loss", "l1_loss", "shift_align")})
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_attributes(__name__, _EXPORTS)
