"""Losses: CoBi / CX (bounded memory), CoBi on RGB patches and VGG-19 features, pixel losses."""

from .cobi import CoBiLoss, ContextualLoss, cobi_loss, contextual_loss

__all__ = ["CoBiLoss", "ContextualLoss", "cobi_loss", "contextual_loss"]
