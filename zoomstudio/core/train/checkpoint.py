"""Training checkpoints as safetensors, written atomically (write, then rename).

A checkpoint holds the model (``model.*``), Adam's state (``optim.<i>.<name>``),
the RNG states (``rng.torch``, ``rng.cuda``) and, in the metadata, the step,
epoch position, scheduler state, best validation score and the net config.
It is also a valid weights file for :func:`zoomstudio.core.nets.load_net`
(which reads the ``model.`` tensors).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch


@dataclass
class TrainState:
    step: int = 0
    epoch: int = 0
    position: int = 0  # items of the current epoch already consumed (all ranks together)
    best_psnr: float = float("-inf")


def save_checkpoint(path: str | Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                    scheduler, state: TrainState, net_config: dict, extra: dict | None = None) -> Path:
    from ..fileio import save_safetensors

    tensors: dict[str, torch.Tensor] = {}
    for k, v in model.state_dict().items():
        tensors[f"model.{k}"] = v.detach().to("cpu").contiguous()
    opt = optimizer.state_dict()
    for idx, st in opt["state"].items():
        for name, value in st.items():
            if torch.is_tensor(value):
                tensors[f"optim.{idx}.{name}"] = value.detach().to("cpu").contiguous().reshape(value.shape)
    tensors["rng.torch"] = torch.get_rng_state()
    if torch.cuda.is_available():
        tensors["rng.cuda"] = torch.cuda.get_rng_state()
    meta = {
        "zoomstudio": json.dumps({"net": net_config, "info": extra or {}}),
        "train": json.dumps({
            "step": state.step, "epoch": state.epoch, "position": state.position,
            "best_psnr": state.best_psnr if state.best_psnr != float("-inf") else None,
            "param_groups": opt["param_groups"],
            "scheduler": scheduler.state_dict() if scheduler is not None else None,
        }),
    }
    return save_safetensors(path, tensors, meta)


def checkpoint_problem(path: str | Path) -> str | None:
    """Why ``path`` cannot be resumed from (damaged, truncated, not a training checkpoint); ``None``: fine.

    Reads the safetensors header only and checks that the file holds every byte it declares.
    """
    import os

    from ..fileio import DamagedFileError, safetensors_header

    try:
        header, needed = safetensors_header(path)
        size = os.path.getsize(path)
    except DamagedFileError as exc:
        return str(exc)
    except OSError as exc:
        return f"unreadable ({exc.strerror or exc})"
    if "train" not in (header.get("__metadata__") or {}):
        return "not a ZoomStudio training checkpoint"
    if needed > size:
        return f"truncated ({size} bytes, the header declares {needed})"
    return None


def resumable_checkpoint(run_dir: str | Path) -> tuple[Path | None, list[tuple[Path, str]]]:
    """The checkpoint a resume of ``run_dir`` starts from: ``last``, else the newest good periodic
    ``step_*`` (a kill can only damage the file being written). Returns (path or None, skipped files
    with the reason each was passed over)."""
    ckpt_dir = Path(run_dir) / "checkpoints"
    candidates = [ckpt_dir / "last.safetensors"] + sorted(ckpt_dir.glob("step_*.safetensors"), reverse=True)
    skipped = []
    for c in candidates:
        if not c.exists():
            continue
        problem = checkpoint_problem(c)
        if problem is None:
            return c, skipped
        skipped.append((c, problem))
    return None, skipped


def load_checkpoint(path: str | Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer | None = None,
                    scheduler=None, device: str | torch.device = "cpu") -> TrainState:
    """Restore a checkpoint into ``model`` (and optimizer, scheduler, RNG). Returns the train state."""
    from safetensors import safe_open
    from safetensors.torch import load_file

    path = Path(path)
    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata() or {}
    if "train" not in meta:
        raise ValueError(f"{path}: not a ZoomStudio training checkpoint")
    tensors = load_file(str(path), device="cpu")
    model_state = {k[6:]: v for k, v in tensors.items() if k.startswith("model.")}
    model.load_state_dict(model_state)
    train = json.loads(meta["train"])
    if optimizer is not None:
        opt_state: dict = {}
        for k, v in tensors.items():
            if k.startswith("optim."):
                _, idx, name = k.split(".", 2)
                opt_state.setdefault(int(idx), {})[name] = v.to(device)
        optimizer.load_state_dict({"state": opt_state, "param_groups": train["param_groups"]})
    if scheduler is not None and train.get("scheduler") is not None:
        scheduler.load_state_dict(train["scheduler"])
    torch.set_rng_state(tensors["rng.torch"])
    if "rng.cuda" in tensors and torch.cuda.is_available():
        torch.cuda.set_rng_state(tensors["rng.cuda"])
    best = train.get("best_psnr")
    return TrainState(step=train["step"], epoch=train["epoch"], position=train["position"],
                      best_psnr=float("-inf") if best is None else best)
