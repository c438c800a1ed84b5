"""The training loop: one generator of value events, consumed by the CLI and the GUI.

``train(config, cancel=...)`` yields :mod:`.events` as it goes: a run folder
with ``config.yaml``, ``metrics.jsonl`` and ``checkpoints/`` (``last``,
periodic ``step_0005000``-style and ``best`` by validation PSNR, all safetensors,
written atomically). Resuming continues exactly: model, Adam, schedule, step,
epoch position and RNG state are restored and the patch sampling is a pure
function of (seed, epoch, index). A NaN/inf loss stops the run and keeps the
last good checkpoint; cancelling saves a checkpoint and returns normally.

Distributed: under ``torchrun --nproc_per_node=N`` (``WORLD_SIZE`` > 1) the
model is wrapped in DistributedDataParallel (gloo on CPU, nccl on CUDA), each
rank takes its share of every batch, and only rank 0 writes files.
"""

from __future__ import annotations

import json
import logging
import os
import time
from datetime import datetime
from pathlib import Path
from typing import Iterator

import numpy as np
import torch

from ..events import CancelToken, Problem
from ..fileio import remove_stale_partials
from .checkpoint import TrainState, checkpoint_problem, load_checkpoint, resumable_checkpoint, save_checkpoint
from .config import TrainConfig, config_to_dict, load_config, save_config
from .events import CheckpointSaved, PreviewReady, RunFinished, RunStarted, StepDone, ValidationDone
from .runs import list_runs, read_metrics, truncate_metrics  # noqa: F401  (re-exported)

from ..device import pick_device  # noqa: F401 - re-exported

log = logging.getLogger(__name__)


def _dist_info() -> tuple[int, int]:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    return rank, world


def _new_run_dir(cfg: TrainConfig) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    base = Path(cfg.runs_dir) / f"{cfg.name}-{stamp}"
    run = base
    n = 1
    while run.exists():
        n += 1
        run = Path(f"{base}-{n}")
    return run


def _to_uint8_hwc(t: torch.Tensor, size: int) -> np.ndarray:
    import cv2

    img = t.detach().float().clamp(0, 1).permute(1, 2, 0).cpu().numpy()
    h, w = img.shape[:2]
    scale = size / max(h, w)
    if scale < 1:
        img = cv2.resize(img, (max(1, int(w * scale)), max(1, int(h * scale))), interpolation=cv2.INTER_AREA)
    return np.clip(np.rint(img * 255), 0, 255).astype(np.uint8)


def packed_preview(packed: torch.Tensor, out_hw) -> torch.Tensor:
    """A quick RGB look at a packed RAW batch (B, 4, h, w) -> (B, 3, *out_hw) in [0, 1], bicubic.

    Rendered by the colour module; patches carry no metadata, so without white
    balance or colour matrix (camera RGB shown as sRGB, as the targets are
    white-balance normalised).
    """
    from ..colour import CameraColour, render_packed

    neutral = CameraColour(np.ones(3), np.eye(3), "training preview")
    rgb = np.stack([render_packed(p, neutral) for p in packed.detach().float().cpu().numpy()])
    rgb = torch.from_numpy(rgb).permute(0, 3, 1, 2)
    return torch.nn.functional.interpolate(rgb, size=tuple(out_hw), mode="bicubic", align_corners=False).clamp(0, 1)


def input_preview(batch: torch.Tensor, out_hw) -> torch.Tensor:
    """An RGB look at a batch of network inputs (packed RAW, or a png control's JPEG) on the output grid."""
    if batch.shape[1] == 3:
        return torch.nn.functional.interpolate(batch.detach().float().cpu(), size=tuple(out_hw), mode="bicubic",
                                               align_corners=False).clamp(0, 1)
    return packed_preview(batch, out_hw)


class _Data:
    """Train / validation datasets built from an SR-RAW root."""

    def __init__(self, cfg: TrainConfig):
        from ..data import PatchSpec, dataset_pairs, scan_root
        from ..data.dataset import SrRawPatchDataset

        index = scan_root(cfg.data.root)
        usable = [s for s in index.sequences if s.usable]
        if not usable:
            raise ValueError(f"{cfg.data.root}: no usable SR-RAW sequences")
        self.unaligned = [s.name for s in usable if not s.has_tform]
        spec = PatchSpec(cfg.data.patch, cfg.data.packed_band, cfg.data.target_band)
        train_pairs = dataset_pairs(index, cfg.data.zoom, "train", cfg.data.split_seed)
        val_pairs = dataset_pairs(index, cfg.data.zoom, "val", cfg.data.split_seed)[: cfg.data.val_pairs]
        if not train_pairs:
            raise ValueError(f"{cfg.data.root}: no training pairs for zoom {cfg.data.zoom}")
        kind = {"input_kind": cfg.data.input, "syn_max_sigma": cfg.data.syn_max_sigma}
        self.train = SrRawPatchDataset(train_pairs, spec, flips=cfg.data.flips, samples_per_pair=cfg.data.samples_per_pair,
                                       cache_pairs=cfg.data.cache_pairs, seed=cfg.seed, use_wb=cfg.data.use_wb, **kind)
        self.val = (SrRawPatchDataset(val_pairs, spec, central=True, cache_pairs=len(val_pairs), seed=cfg.seed,
                                      use_wb=cfg.data.use_wb, **kind) if val_pairs else None)


def _epoch_order(n: int, seed: int, epoch: int) -> list[int]:
    g = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
    return torch.randperm(n, generator=g).tolist()


def _collate(items: list[dict]) -> dict:
    return {
        "input": torch.stack([i["input"] for i in items]),
        "target": torch.stack([i["target"] for i in items]),
        "input_wb": torch.stack([i["input_wb"] for i in items]),
    }


def train(config: TrainConfig, *, resume: str | Path | None = None, run_dir: str | Path | None = None,
          cancel: CancelToken | None = None) -> Iterator:
    """Run (or resume) training; a generator of events (see module docstring).

    ``resume`` is a run folder (or a checkpoint file). ``config`` (typically the
    run's ``config.yaml`` with overrides such as more ``steps``) must keep the
    run's network; ``None`` uses the saved config as it is.
    """
    from ..losses.zoom_loss import ZoomLoss
    from ..nets import build_net

    rank, world = _dist_info()
    is_main = rank == 0
    cfg = config
    ckpt_path = None
    if resume is not None:
        resume = Path(resume)
        run = resume.parent.parent if resume.is_file() else resume
        if resume.is_file():
            ckpt_path, problem = resume, checkpoint_problem(resume)
            if problem:
                yield RunFinished(str(run), 0, "failed", f"{resume}: cannot resume from it ({problem})")
                return
        else:
            ckpt_path, skipped = resumable_checkpoint(run)
            if ckpt_path is None:
                why = "; ".join(f"{p.name}: {r}" for p, r in skipped) or "none written yet"
                yield RunFinished(str(run), 0, "failed", f"{run}: no checkpoint to resume from ({why})")
                return
            for p, reason in skipped:
                yield Problem(str(p), f"{reason}; resuming from {ckpt_path.name} instead")
        try:
            saved = load_config(run / "config.yaml")
        except ValueError as exc:
            yield RunFinished(str(run), 0, "failed", str(exc))
            return
        cfg = saved if config is None else config
        if cfg.net != saved.net:
            yield RunFinished(str(run), 0, "failed", f"{run}: the network config differs from the run's; "
                                                     "a resumed run must keep its network")
            return
    else:
        run = Path(run_dir) if run_dir else _new_run_dir(cfg)
        if run.exists() and (not run.is_dir() or any(run.iterdir())):
            yield RunFinished(str(run), 0, "failed", f"{run}: already exists; a new run never reuses a folder "
                                                     "(resume it, or choose another run folder)")
            return

    if world > 1 and not torch.distributed.is_initialized():
        backend = "nccl" if (cfg.device != "cpu" and torch.cuda.is_available()) else "gloo"
        torch.distributed.init_process_group(backend=backend)
    device = pick_device(cfg.device)
    if device.type == "cuda" and world > 1:
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)

    try:
        data = _Data(cfg)
    except ValueError as exc:
        yield RunFinished(str(run), 0, "failed", str(exc))
        return
    if data.unaligned and is_main:
        yield Problem(cfg.data.root, f"{len(data.unaligned)} sequence(s) without tform.txt (taken as aligned); "
                                     f"run `zoomstudio align` first: {', '.join(data.unaligned[:5])}")

    torch.manual_seed(cfg.seed)
    net = build_net(cfg.net)
    if cfg.init and ckpt_path is None:
        from ..nets import WeightsError, load_net

        try:
            start, _ = load_net(cfg.init)
        except (WeightsError, OSError) as exc:
            yield RunFinished(str(run), 0, "failed", f"init: {exc}")
            return
        if start.config != net.config:
            yield RunFinished(str(run), 0, "failed", f"init: {cfg.init} holds another network than net.*")
            return
        net.load_state_dict(start.state_dict())
    net = net.to(device)
    model = net
    if world > 1:
        model = torch.nn.parallel.DistributedDataParallel(net, device_ids=[device.index] if device.type == "cuda"
                                                          else None)
    loss_fn = ZoomLoss(cfg.loss).to(device)
    o = cfg.optim
    optimizer = torch.optim.Adam(net.parameters(), lr=o.lr, betas=(o.beta1, o.beta2), weight_decay=o.weight_decay)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=o.lr_step, gamma=o.lr_gamma)
    state = TrainState()
    if ckpt_path is not None:
        try:
            state = load_checkpoint(ckpt_path, net, optimizer, scheduler, device)
        except Exception as exc:  # a checkpoint of another network or optimizer: one line, no traceback
            yield RunFinished(str(run), 0, "failed", f"{ckpt_path}: cannot resume from it "
                                                     f"({type(exc).__name__}: {' '.join(str(exc).split())[:200]})")
            return
    ckpt_dir = run / "checkpoints"
    metrics_file = run / "metrics.jsonl"
    if is_main:
        try:
            ckpt_dir.mkdir(parents=True, exist_ok=True)
            for stale in remove_stale_partials(ckpt_dir):  # left by a run killed while writing
                log.info("removed %s, a partial file of a killed run", stale)
            if resume is None:
                save_config(cfg, run / "config.yaml")
            else:  # the steps after the checkpoint are replayed: drop their records
                truncate_metrics(run, state.step)
        except OSError as exc:
            yield RunFinished(str(run), state.step, "failed",
                              f"{exc.filename or run}: cannot write the run ({exc.strerror or exc})")
            return
    net_cfg = cfg.net.to_dict()
    amp = cfg.amp and device.type == "cuda"
    yield RunStarted(str(run), str(device), state.step, cfg.steps, sum(p.numel() for p in net.parameters()))

    try:
        yield from _run_loop(cfg, run, data, net, model, loss_fn, optimizer, scheduler, state, ckpt_path, ckpt_dir,
                             metrics_file, net_cfg, amp, device, rank, world, is_main, cancel)
    except Exception as exc:  # a failure is an event with its reason, never a traceback for the user
        log.debug("training failed", exc_info=True)
        yield RunFinished(str(run), state.step, "failed", f"{type(exc).__name__}: {exc}")
    finally:
        if world > 1 and torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()


def _run_loop(cfg, run, data, net, model, loss_fn, optimizer, scheduler, state, ckpt_path, ckpt_dir, metrics_file,
              net_cfg, amp, device, rank, world, is_main, cancel):
    from ..losses.zoom_loss import shift_align
    from ..metrics import psnr, ssim

    o = cfg.optim

    def log_metrics(record: dict) -> None:
        if is_main:
            with open(metrics_file, "a") as fh:
                fh.write(json.dumps(record) + "\n")

    def checkpoint(kind: str) -> CheckpointSaved | None:
        if not is_main:
            return None
        name = {"last": "last", "best": "best"}.get(kind, f"step_{state.step:07d}")
        path = save_checkpoint(ckpt_dir / f"{name}.safetensors", net, optimizer, scheduler, state, net_cfg,
                               {"run": str(run), "step": state.step, "kind": kind})
        return CheckpointSaved(state.step, str(path), kind)

    def validate() -> tuple[dict, dict] | None:
        if data.val is None or not is_main:
            return None
        net.eval()
        outs, tgts, ins = [], [], []
        with torch.no_grad():
            for i in range(len(data.val)):
                item = data.val[i]
                x = item["input"][None].to(device)
                with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
                    y = net(x).float()
                t = item["target"][None].to(device)
                outs.append(y.clamp(0, 1))
                tgts.append(shift_align(y.clamp(0, 1), t, cfg.loss.max_shift))
                ins.append(x)
        out = torch.cat(outs)
        tgt = torch.cat(tgts)
        m = {"psnr": psnr(out, tgt), "ssim": ssim(out, tgt)}
        if cfg.val_lpips:
            try:
                from ..metrics import LPIPSMetric

                lp = LPIPSMetric("alex").to(device)
                m["lpips"] = float(lp(out, tgt))
            except Exception as exc:  # LPIPS unavailable: say so, keep training
                m["lpips_unavailable"] = str(exc)
        net.train()
        preview = {
            "input": _to_uint8_hwc(input_preview(ins[0], out.shape[2:])[0], cfg.preview_size),
            "output": _to_uint8_hwc(out[0], cfg.preview_size),
            "target": _to_uint8_hwc(tgt[0], cfg.preview_size),
        }
        return m, preview

    net.train()
    n_items = len(data.train)
    t_start = time.perf_counter()
    steps_at_start = state.step
    last_good: str | None = str(ckpt_path) if ckpt_path else None
    order = _epoch_order(n_items, cfg.seed, state.epoch)
    try:
        while state.step < cfg.steps:
            if cancel is not None and cancel.cancelled:
                ev = checkpoint("last")
                if ev:
                    yield ev
                yield RunFinished(str(run), state.step, "cancelled", "cancelled; checkpoint saved")
                return
            if state.position + cfg.batch_size > n_items:
                state.epoch += 1
                state.position = 0
                order = _epoch_order(n_items, cfg.seed, state.epoch)
                data.train.set_epoch(state.epoch)
            data.train.set_epoch(state.epoch)
            batch_idx = order[state.position : state.position + cfg.batch_size]
            mine = batch_idx[rank::world] or batch_idx[:1]
            batch = _collate([data.train[i] for i in mine])
            x = batch["input"].to(device)
            t = batch["target"].to(device)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
                y = model(x)
            loss, terms = loss_fn(y.float(), t)
            if not torch.isfinite(loss):
                msg = (f"loss became {loss.item()} at step {state.step + 1}; stopped. Last good checkpoint: "
                       f"{last_good or 'none'}")
                log_metrics({"step": state.step + 1, "error": msg})
                yield RunFinished(str(run), state.step, "failed", msg)
                return
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if o.grad_clip:
                torch.nn.utils.clip_grad_norm_(net.parameters(), o.grad_clip)
            optimizer.step()
            scheduler.step()
            state.step += 1
            state.position += cfg.batch_size
            elapsed = time.perf_counter() - t_start
            rate = (state.step - steps_at_start) / max(elapsed, 1e-9)
            lr = optimizer.param_groups[0]["lr"]
            if state.step % cfg.log_every == 0 or state.step == cfg.steps or state.step == steps_at_start + 1:
                log_metrics({"step": state.step, "loss": loss.item(), **terms, "lr": lr, "steps_per_s": rate,
                             "time": time.time()})
            yield StepDone(state.step, cfg.steps, loss.item(), terms, lr, rate, (cfg.steps - state.step) / max(rate, 1e-9))
            if cfg.val_every and (state.step % cfg.val_every == 0 or state.step == cfg.steps):
                res = validate()
                if res is not None:
                    m, preview = res
                    log_metrics({"step": state.step, "val": m})
                    yield ValidationDone(state.step, m)
                    yield PreviewReady(state.step, preview)
                    if m["psnr"] > state.best_psnr:
                        state.best_psnr = m["psnr"]
                        ev = checkpoint("best")
                        if ev:
                            yield ev
            if cfg.checkpoint_every and state.step % cfg.checkpoint_every == 0:
                ev = checkpoint("periodic")
                if ev:
                    last_good = ev.path
                    yield ev
                    yield checkpoint("last")  # resumable after a crash
        ev = checkpoint("last")
        if ev:
            yield ev
        yield RunFinished(str(run), state.step, "completed")
    finally:
        if world > 1 and torch.distributed.is_initialized():
            torch.distributed.barrier()


__all__ = ["train", "pick_device", "read_metrics", "list_runs", "packed_preview", "config_to_dict"]
