"""Building networks from configs, and weights as safetensors with their config.

A weights file holds the state dict plus metadata ``{"zoomstudio": json}``
with the net config and free-form info (training run, step). Loading never
unpickles anything: safetensors holds only tensors and strings.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import torch
from torch import nn

from .lite import LiteZoomNet
from .zoomnet import NetConfig, ZoomNet

#: arch name -> builder(config) -> nn.Module
REGISTRY: dict[str, Callable[[NetConfig], nn.Module]] = {"zoomnet": ZoomNet, "lite": LiteZoomNet}


class WeightsError(ValueError):
    """A weights file that cannot be used; ``str()`` names the file and the reason."""


def build_net(config: NetConfig | dict) -> nn.Module:
    """A fresh network for ``config`` (a :class:`NetConfig` or its dict)."""
    if isinstance(config, dict):
        config = NetConfig(**config)
    try:
        builder = REGISTRY[config.arch]
    except KeyError:
        raise ValueError(f"unknown architecture {config.arch!r}; known: {sorted(REGISTRY)}") from None
    return builder(config)


def save_weights(path: str | Path, net: nn.Module, info: dict | None = None, *, half: bool = False) -> Path:
    """Write ``net``'s weights and config atomically (``half``: store float16 to halve the size)."""
    from ..fileio import save_safetensors

    state = {k: v.detach().to("cpu").contiguous() for k, v in net.state_dict().items()}
    if half:
        state = {k: v.half() if v.is_floating_point() else v for k, v in state.items()}
    meta = {"zoomstudio": json.dumps({"net": net.config.to_dict(), "info": info or {}})}
    return save_safetensors(path, state, meta)


def read_weights_meta(path: str | Path) -> dict:
    """The ``{"net": ..., "info": ...}`` record of a weights file, without loading tensors."""
    from safetensors import safe_open

    path = Path(path)
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
    except Exception as exc:
        raise WeightsError(f"{path}: not a safetensors weights file ({exc})") from None
    if "zoomstudio" not in meta:
        raise WeightsError(f"{path}: no ZoomStudio network config in the file")
    return json.loads(meta["zoomstudio"])


def load_net(path: str | Path, device: str | torch.device = "cpu") -> tuple[nn.Module, dict]:
    """Build the network a weights file describes and load it; returns (net in eval mode, info)."""
    from safetensors.torch import load_file

    path = Path(path)
    record = read_weights_meta(path)
    try:
        net = build_net(record["net"])
    except (TypeError, ValueError) as exc:
        raise WeightsError(f"{path}: bad network config ({exc})") from None
    state = load_file(str(path), device="cpu")
    if any(k.startswith("model.") for k in state):  # a training checkpoint: take the model part
        state = {k[6:]: v for k, v in state.items() if k.startswith("model.")}
    ref = net.state_dict()
    state = {k: v.to(ref[k].dtype) if k in ref else v for k, v in state.items()}
    missing, unexpected = net.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise WeightsError(f"{path}: weights do not match the config (missing {missing[:3]}, unexpected {unexpected[:3]})")
    return net.to(device).eval(), record.get("info", {})
