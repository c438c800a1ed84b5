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
from .zlz import ZlzNet
from .zoomnet import NetConfig, ZoomNet

#: arch name -> builder(config) -> nn.Module
REGISTRY: dict[str, Callable[[NetConfig], nn.Module]] = {"zoomnet": ZoomNet, "lite": LiteZoomNet, "zlz": ZlzNet}


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
    if not path.is_file():
        raise WeightsError(f"{path}: " + ("not a file" if path.exists() else "no such model file"))
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
    except Exception as exc:
        raise WeightsError(f"{path}: not a safetensors weights file ({_one_line(exc)})") from None
    if "zoomstudio" not in meta:
        raise WeightsError(f"{path}: no ZoomStudio network config in the file")
    try:
        record = json.loads(meta["zoomstudio"])
    except ValueError as exc:
        raise WeightsError(f"{path}: damaged network config ({_one_line(exc)})") from None
    if not isinstance(record, dict) or not isinstance(record.get("net"), dict):
        raise WeightsError(f"{path}: damaged network config (no 'net' record)")
    if not isinstance(record.get("info", {}), dict):
        record["info"] = {}
    return record


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _file_shapes(path: Path) -> dict[str, tuple[int, ...]]:
    """Tensor name -> shape from the file's header (no tensor data read)."""
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        return {k: tuple(f.get_slice(k).get_shape()) for k in f.keys()}


def load_net(path: str | Path, device: str | torch.device = "cpu") -> tuple[nn.Module, dict]:
    """Build the network a weights file describes and load it; returns (net in eval mode, info).

    The declared network is checked against :class:`NetConfig`'s bounds, and its parameter shapes
    (built on torch's ``meta`` device, no memory) against the file's tensors, before anything is
    allocated. Every problem is one :class:`WeightsError` naming the file and the reason.
    """
    from safetensors.torch import load_file

    path = Path(path)
    record = read_weights_meta(path)
    try:
        config = NetConfig(**record["net"])
        with torch.device("meta"):
            expected = {k: tuple(v.shape) for k, v in build_net(config).state_dict().items()}
    except (TypeError, ValueError) as exc:
        raise WeightsError(f"{path}: bad network config ({_one_line(exc)})") from None
    try:
        shapes = _file_shapes(path)
    except Exception as exc:
        raise WeightsError(f"{path}: damaged tensors ({_one_line(exc)})") from None
    if any(k.startswith("model.") for k in shapes):  # a training checkpoint: take the model part
        shapes = {k[6:]: v for k, v in shapes.items() if k.startswith("model.")}
        prefix = "model."
    else:
        prefix = ""
    missing = sorted(set(expected) - set(shapes))
    unexpected = sorted(set(shapes) - set(expected))
    if missing or unexpected:
        raise WeightsError(f"{path}: weights do not match the config (missing {missing[:3]}, unexpected {unexpected[:3]})")
    wrong = [k for k in expected if shapes[k] != expected[k]]
    if wrong:
        k = wrong[0]
        raise WeightsError(f"{path}: tensor {k} has shape {list(shapes[k])}, the config needs {list(expected[k])}"
                           + (f" ({len(wrong) - 1} more differ)" if len(wrong) > 1 else ""))
    try:
        tensors = load_file(str(path), device="cpu")
    except Exception as exc:
        raise WeightsError(f"{path}: damaged tensors ({_one_line(exc)})") from None
    net = build_net(config)
    ref = net.state_dict()
    state = {k: tensors[prefix + k].to(ref[k].dtype) for k in ref}
    bad = [k for k, v in state.items() if v.is_floating_point() and not torch.isfinite(v).all()]
    if bad:
        raise WeightsError(f"{path}: tensor {bad[0]} holds NaN or infinite values")
    net.load_state_dict(state, strict=True)
    return net.to(device).eval(), record.get("info", {})
