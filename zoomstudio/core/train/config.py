"""Typed training configuration, saved as YAML with every run.

``load_config(path, overrides)`` reads a YAML file and applies ``key=value``
overrides with dotted keys (``optim.lr=2e-4``, ``net.width=32``); values are
parsed as YAML scalars. Unknown keys are errors, not silently ignored.
"""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from ..losses.config import LossConfig
from ..nets.config import NetConfig


@dataclass(frozen=True)
class DataConfig:
    """Where the pairs come from and how patches are cut (sizes in target pixels)."""

    root: str = "zoomstudio-demo"
    zoom: int = 4
    split_seed: int = 0
    patch: int = 512  # the authors: 512 px targets (64 px packed input at 4X)
    packed_band: int = 2
    target_band: int = 16
    samples_per_pair: int = 16  # patches per pair and epoch
    cache_pairs: int = 8
    use_wb: bool = True
    flips: bool = True
    val_pairs: int = 8  # at most this many validation pairs (central patches)
    input: str = "raw"  # raw (packed RAW), png (the input's camera JPEG; net.in_channels 3) or syn-raw (a
    #                     mosaic unprocessed from that JPEG): the paper's Table 2 controls
    syn_max_sigma: float = 0.0784  # syn-raw: noise sigma ~ U(0, syn_max_sigma) (the authors' bound)


@dataclass(frozen=True)
class OptimConfig:
    """Adam with a step decay: ``lr *= lr_gamma`` every ``lr_step`` steps.

    The authors used Adam at 1e-4 "decayed by 0.05 per 20k steps"; we read that
    as a 5 % decay (gamma 0.95) every 20k steps. Set ``lr_gamma`` to taste.
    """

    lr: float = 1e-4
    lr_gamma: float = 0.95
    lr_step: int = 20000
    beta1: float = 0.9
    beta2: float = 0.999
    weight_decay: float = 0.0
    grad_clip: float | None = None


@dataclass(frozen=True)
class TrainConfig:
    """A whole run. ``device``: "auto" (CUDA when present, else CPU), "cpu", "cuda" or "cuda:N"."""

    name: str = "zoom4x"
    data: DataConfig = field(default_factory=DataConfig)
    net: NetConfig = field(default_factory=NetConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    steps: int = 100000
    batch_size: int = 1
    device: str = "auto"
    amp: bool = True  # bf16 autocast on CUDA (CPU runs in float32)
    # network, batches and gradients channels-last (NHWC): the same arithmetic in the memory layout
    # oneDNN / cuDNN convolutions run natively (benchmarks/README.md: training steps per second)
    channels_last: bool = True
    seed: int = 0
    log_every: int = 10
    val_every: int = 1000
    val_lpips: bool = False
    tensorboard: bool = True  # TensorBoard event files in the run's tensorboard/ beside metrics.jsonl
    checkpoint_every: int = 5000
    preview_size: int = 128
    runs_dir: str = "runs"
    init: str = ""  # weights file (.safetensors, a model or a checkpoint) to start from (fine-tuning); "" = random

    def __post_init__(self) -> None:
        for section in (self.data, self.loss, self.optim):
            check_types(section)
        check_types(self)
        if self.net.zoom != self.data.zoom:
            raise ValueError(f"net.zoom ({self.net.zoom}) and data.zoom ({self.data.zoom}) differ")
        check_ranges(self)


def _type_ok(kind: str, value: Any) -> bool:
    """Does ``value`` fit the annotation text ``kind`` (``int``, ``float | None``, ``tuple[str, ...]``)?"""
    options = [k.strip() for k in kind.split("|")]
    for k in options:
        if k == "None" and value is None:
            return True
        if k == "bool" and isinstance(value, bool):
            return True
        if isinstance(value, bool):
            continue  # a bool is an int to Python, never to a config
        if k == "int" and isinstance(value, int):
            return True
        if k == "float" and isinstance(value, (int, float)):
            return True
        if k == "str" and isinstance(value, str):
            return True
        if k.startswith("tuple[") and isinstance(value, tuple):
            inner = k[6:-1].split(",")[0].strip()
            return all(_type_ok(inner, v) for v in value)
    return False


def check_types(section) -> None:
    """Raise ``ValueError`` naming the first field of a config dataclass whose value has the wrong type."""
    prefix = {DataConfig: "data.", OptimConfig: "optim.", LossConfig: "loss."}.get(type(section), "")
    for f in fields(section):
        value = getattr(section, f.name)
        if dataclasses.is_dataclass(value):
            continue
        if not _type_ok(str(f.type), value):
            words = {"int": "an integer", "float": "a number", "bool": "true or false", "str": "text",
                     "None": "null"}
            kinds = " or ".join(words.get(k.strip(), k.strip()) for k in str(f.type).split("|"))
            raise ValueError(f"{prefix}{f.name} must be {kinds}, got {value!r}")


def check_ranges(cfg: "TrainConfig") -> None:
    """Every setting within its range, so a run never fails at step 0 or 1 on a bad value."""
    import math

    d, o, loss = cfg.data, cfg.optim, cfg.loss
    rules = [
        ("data.zoom", d.zoom in (2, 4, 8), "must be 2, 4 or 8"),
        ("data.patch", d.patch >= 4 * d.zoom and d.patch % (2 * d.zoom) == 0,
         f"must be a positive multiple of 2*zoom = {2 * d.zoom} (at least {4 * d.zoom})"),
        ("data.packed_band", d.packed_band >= 0, "must be >= 0"),
        ("data.target_band", d.target_band >= 0, "must be >= 0"),
        ("data.samples_per_pair", d.samples_per_pair >= 1, "must be >= 1"),
        ("data.cache_pairs", d.cache_pairs >= 1, "must be >= 1"),
        ("data.val_pairs", d.val_pairs >= 0, "must be >= 0"),
        ("data.input", d.input in ("raw", "png", "syn-raw"), "must be raw, png or syn-raw"),
        ("net.in_channels", cfg.net.in_channels == (3 if d.input == "png" else 4),
         f"must be {3 if d.input == 'png' else 4} for data.input {d.input}"),
        ("data.syn_max_sigma", math.isfinite(d.syn_max_sigma) and 0 <= d.syn_max_sigma <= 1, "must be in [0, 1]"),
        ("data.root", bool(d.root.strip()), "must name a folder"),
        ("optim.lr", math.isfinite(o.lr) and o.lr > 0, "must be a positive number"),
        ("optim.lr_gamma", math.isfinite(o.lr_gamma) and 0 < o.lr_gamma <= 1, "must be in (0, 1]"),
        ("optim.lr_step", o.lr_step >= 1, "must be >= 1"),
        ("optim.beta1", 0 <= o.beta1 < 1, "must be in [0, 1)"),
        ("optim.beta2", 0 <= o.beta2 < 1, "must be in [0, 1)"),
        ("optim.weight_decay", math.isfinite(o.weight_decay) and o.weight_decay >= 0, "must be >= 0"),
        ("optim.grad_clip", o.grad_clip is None or (math.isfinite(o.grad_clip) and o.grad_clip > 0),
         "must be null or > 0"),
        ("loss.patch", loss.patch >= 1, "must be >= 1"),
        ("loss.stride", loss.stride is None or loss.stride >= 1, "must be null or >= 1"),
        ("loss.max_samples", loss.max_samples is None or loss.max_samples >= 1, "must be null or >= 1"),
        ("loss.max_shift", loss.max_shift >= 0, "must be >= 0"),
        ("loss.band_width", math.isfinite(loss.band_width) and loss.band_width > 0, "must be > 0"),
        ("loss.w_spatial", 0 <= loss.w_spatial <= 1, "must be in [0, 1]"),
        ("loss.spatial", loss.spatial in ("additive", "blend"), "must be additive or blend"),
        ("loss.vgg_layer_weights", len(loss.vgg_layer_weights) == len(loss.vgg_layers),
         "must have one weight per vgg_layers entry"),
        ("loss weights", min(loss.rgb_weight, loss.vgg_weight, loss.l1_weight) >= 0
         and loss.rgb_weight + loss.vgg_weight + loss.l1_weight > 0,
         "rgb_weight, vgg_weight and l1_weight must be >= 0, and not all 0"),
        ("steps", cfg.steps >= 1, "must be >= 1"),
        ("batch_size", cfg.batch_size >= 1, "must be >= 1"),
        ("log_every", cfg.log_every >= 1, "must be >= 1"),
        ("val_every", cfg.val_every >= 0, "must be >= 0 (0: never)"),
        ("checkpoint_every", cfg.checkpoint_every >= 0, "must be >= 0 (0: only last and best)"),
        ("preview_size", cfg.preview_size >= 16, "must be >= 16"),
        ("name", bool(cfg.name.strip()) and "/" not in cfg.name and "\\" not in cfg.name,
         "must be a non-empty name without slashes"),
        ("device", cfg.device in ("auto", "cpu", "cuda") or (cfg.device.startswith("cuda:")
                                                           and cfg.device[5:].isdigit()),
         "must be auto, cpu, cuda or cuda:N"),
    ]
    for name, ok, rule in rules:
        if not ok:
            value = {"loss weights": None}.get(name, _lookup(cfg, name))
            raise ValueError(f"{name} {rule}" + (f", got {value!r}" if name != "loss weights" else ""))


def _lookup(cfg, dotted: str):
    node = cfg
    for part in dotted.split("."):
        node = getattr(node, part)
    return node


_SECTIONS = {"data": DataConfig, "net": NetConfig, "loss": LossConfig, "optim": OptimConfig}


def config_to_dict(cfg: TrainConfig) -> dict:
    d = asdict(cfg)
    d["loss"]["vgg_layers"] = list(d["loss"]["vgg_layers"])
    d["loss"]["vgg_layer_weights"] = list(d["loss"]["vgg_layer_weights"])
    return d


def _coerce(cls, key: str, value: Any) -> Any:
    """Match YAML values to the field types (YAML 1.1 reads ``2e-4`` as a string)."""
    f = {x.name: x for x in fields(cls)}[key]
    kind = str(f.type)
    if kind.startswith("tuple") and isinstance(value, list):
        return tuple(value)
    if isinstance(value, str) and value.strip().lower() not in ("none", "null"):
        try:
            if kind.startswith("float"):
                return float(value)
            if kind.startswith("int"):
                return int(value)
        except ValueError:
            prefix = {DataConfig: "data.", OptimConfig: "optim.", LossConfig: "loss."}.get(cls, "")
            raise ValueError(f"{prefix}{key} must be a number, got {value!r}") from None
    return value


def config_from_dict(d: dict) -> TrainConfig:
    d = dict(d)
    kwargs = {}
    for name, cls in _SECTIONS.items():
        section = dict(d.pop(name, {}) or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(section) - known)
        if unknown:
            raise ValueError(f"unknown {name} settings: {', '.join(unknown)}")
        kwargs[name] = cls(**{k: _coerce(cls, k, v) for k, v in section.items()})
    known = {f.name for f in fields(TrainConfig)}
    unknown = sorted(set(d) - known)
    if unknown:
        raise ValueError(f"unknown settings: {', '.join(unknown)}")
    return TrainConfig(**kwargs, **{k: _coerce(TrainConfig, k, v) for k, v in d.items()})


def apply_overrides(d: dict, overrides: list[str]) -> dict:
    """Apply ``a.b=value`` strings to a config dict (values parsed as YAML)."""
    d = {k: (dict(v) if isinstance(v, dict) else v) for k, v in d.items()}
    for item in overrides:
        if "=" not in item:
            raise ValueError(f"override must look like key=value, got {item!r}")
        key, raw = item.split("=", 1)
        value = yaml.safe_load(raw)
        parts = key.strip().split(".")
        node = d
        for p in parts[:-1]:
            if p not in node or not isinstance(node[p], dict):
                raise ValueError(f"unknown setting {key!r}")
            node = node[p]
        if parts[-1] not in node:
            raise ValueError(f"unknown setting {key!r}")
        node[parts[-1]] = value
    return d


def load_config(path: str | Path | None = None, overrides: list[str] | None = None) -> TrainConfig:
    """Read a YAML config (or the defaults) and apply overrides. Raises ValueError with the reason."""
    base = config_to_dict(TrainConfig())
    if path is not None:
        try:
            loaded = yaml.safe_load(Path(path).read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ValueError(f"{path}: cannot read config ({exc})") from None
        if not isinstance(loaded, dict):
            raise ValueError(f"{path}: a config must be a mapping")
        for k, v in loaded.items():
            if isinstance(v, dict) and isinstance(base.get(k), dict):
                unknown = sorted(set(v) - set(base[k]))
                if unknown:
                    raise ValueError(f"{path}: unknown {k} settings: {', '.join(unknown)}")
                base[k].update(v)
            elif k in base:
                base[k] = v
            else:
                raise ValueError(f"{path}: unknown setting {k!r}")
    try:
        return config_from_dict(apply_overrides(base, overrides or []))
    except (TypeError, ValueError) as exc:
        raise ValueError(str(exc)) from None


def save_config(cfg: TrainConfig, path: str | Path) -> Path:
    from ..fileio import atomic_write_text

    return atomic_write_text(path, yaml.safe_dump(config_to_dict(cfg), sort_keys=False))


def replace(cfg: TrainConfig, **changes) -> TrainConfig:
    return dataclasses.replace(cfg, **changes)
