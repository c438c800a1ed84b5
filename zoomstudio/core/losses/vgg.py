"""VGG-19 feature extractor for CoBi_VGG (relu1_2, relu2_2, relu3_2 by default)."""

from __future__ import annotations

import torch
from torch import nn

from ..backbones import CAFFE_MEAN_BGR, IMAGENET_MEAN, IMAGENET_STD, BackboneWeights, resolve_backbone

#: torchvision vgg19.features index of each ReLU output
VGG19_LAYERS = {
    "relu1_1": 1, "relu1_2": 3, "relu2_1": 6, "relu2_2": 8, "relu3_1": 11, "relu3_2": 13, "relu3_3": 15,
    "relu3_4": 17, "relu4_1": 20, "relu4_2": 22, "relu5_1": 29,
}


class VGGFeatures(nn.Module):
    """Frozen VGG-19 ``features`` up to the deepest requested layer.

    Input: RGB (B, 3, H, W), sRGB-encoded, values in [0, 1]; the module applies
    the preprocessing its weights need (torchvision or Caffe). Output: list of
    feature maps in ``layers`` order.
    """

    def __init__(self, weights: BackboneWeights | None = None, layers=("relu1_2", "relu2_2", "relu3_2")) -> None:
        super().__init__()
        from torchvision.models import vgg19

        weights = weights or resolve_backbone("vgg19")
        unknown = [l for l in layers if l not in VGG19_LAYERS]
        if unknown:
            raise ValueError(f"unknown VGG-19 layers {unknown}; known: {sorted(VGG19_LAYERS)}")
        self.layers = tuple(layers)
        self.indices = [VGG19_LAYERS[l] for l in layers]
        features = vgg19(weights=None).features[: max(self.indices) + 1]
        state = {k: v for k, v in weights.state.items() if int(k.split(".")[0]) <= max(self.indices)}
        features.load_state_dict(state)
        self.features = features.eval().requires_grad_(False)
        self.origin = weights.origin
        self.caffe = weights.preprocess == "caffe"
        if self.caffe:
            self.register_buffer("mean", torch.tensor(CAFFE_MEAN_BGR).view(1, 3, 1, 1))
        else:
            self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
            self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))

    def train(self, mode: bool = True):  # the backbone always stays in eval mode
        super().train(mode)
        self.features.eval()
        return self

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        if x.ndim != 4 or x.shape[1] != 3:
            raise ValueError(f"expected RGB (B, 3, H, W), got {tuple(x.shape)}")
        x = x.flip(1) * 255.0 - self.mean if self.caffe else (x - self.mean) / self.std
        out = []
        wanted = set(self.indices)
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in wanted:
                out.append(x)
        return [out[sorted(self.indices).index(i)] for i in self.indices]
