"""The training loop: one generator of value events, consumed by the CLI and the GUI.

``train(config, cancel=...)`` yields :mod:`.events` as it goes: a run folder
with ``config.yaml``, ``metrics.jsonl``, ``tensorboard/`` (:mod:`.run_log`) and ``checkpoints/`` (``last``,
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

import logging
import os
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterator

import torch

from ..events import CancelToken, Problem
from ..fileio import remove_stale_partials
from .checkpoint import TrainState, checkpoint_problem, load_checkpoint, resumable_checkpoint, save_checkpoint
from .config import TrainConfig, config_to_dict, load_config, save_config
from .events import CheckpointSaved, PreviewReady, RunFinished, RunStarted, StepDone, ValidationDone
from .run_log import RunLog
from .runs import list_runs, read_metrics, truncate_metrics  # noqa: F401  (re-exported)
from .step import NonFiniteLoss, optimisation_step
from .validation import packed_preview, validate  # noqa: F401  (packed_preview re-exported)

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
    net = net.to(device, memory_format=torch.channels_last if cfg.channels_last else torch.preserve_format)
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
    if is_main:
        try:
            ckpt_dir.mkdir(parents=True, exist_ok=True)
            for stale in remove_stale_partials(ckpt_dir):  # left by a run killed while writing
                log.info("removed %s, a partial file of a killed run", stale)
            if resume is None:
                save_config(cfg, run / "config.yaml")
            else:  # the steps after the checkpoint are replayed: drop their records
                truncate_metrics(run, state.step)
                if cfg != saved:  # e.g. more steps: the run's config says what it now trains to
                    save_config(cfg, run / "config.yaml")
        except OSError as exc:
            yield RunFinished(str(run), state.step, "failed",
                              f"{exc.filename or run}: cannot write the run ({exc.strerror or exc})")
            return
    session = _Session(
        cfg=cfg, run=run, data=data, net=net, model=model, loss_fn=loss_fn, optimizer=optimizer, scheduler=scheduler,
        state=state, device=device, amp=cfg.amp and device.type == "cuda", rank=rank, world=world,
        log=RunLog(run, enabled=is_main, resumed_from=state.step if resume is not None else None,
                   tensorboard=cfg.tensorboard),
        checkpoints=_Checkpoints(run, net, optimizer, scheduler, state, cfg.net.to_dict(), is_main, ckpt_path))
    yield RunStarted(str(run), str(device), state.step, cfg.steps, sum(p.numel() for p in net.parameters()))

    try:
        yield from _run_loop(session, cancel)
    except Exception as exc:  # a failure is an event with its reason, never a traceback for the user
        log.debug("training failed", exc_info=True)
        yield RunFinished(str(run), state.step, "failed", f"{type(exc).__name__}: {exc}")
    finally:
        if world > 1 and torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()


@dataclass
class _Session:
    """Everything one training run works with, set up by :func:`train` and used by :func:`_run_loop`."""

    cfg: TrainConfig
    run: Path
    data: _Data
    net: torch.nn.Module
    model: torch.nn.Module  # ``net``, or its DistributedDataParallel wrapper
    loss_fn: torch.nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: object
    state: TrainState
    device: torch.device
    amp: bool
    rank: int
    world: int
    log: RunLog
    checkpoints: "_Checkpoints"


class _Checkpoints:
    """The checkpoint policy: ``last`` (on cancel, at the end and after each periodic one), ``best`` by
    validation PSNR and periodic ``step_0000500``-style; only the main process writes."""

    def __init__(self, run: Path, net, optimizer, scheduler, state: TrainState, net_cfg: dict,
                 enabled: bool, resumed_from: Path | None) -> None:
        self.run, self.net, self.optimizer, self.scheduler, self.state = run, net, optimizer, scheduler, state
        self.net_cfg, self.enabled = net_cfg, enabled
        self.folder = run / "checkpoints"
        self.last_good: str | None = str(resumed_from) if resumed_from else None

    def save(self, kind: str) -> CheckpointSaved | None:
        if not self.enabled:
            return None
        name = {"last": "last", "best": "best"}.get(kind, f"step_{self.state.step:07d}")
        path = save_checkpoint(self.folder / f"{name}.safetensors", self.net, self.optimizer, self.scheduler,
                               self.state, self.net_cfg, {"run": str(self.run), "step": self.state.step,
                                                          "kind": kind})
        if kind == "periodic":
            self.last_good = str(path)
        return CheckpointSaved(self.state.step, str(path), kind)


def _run_loop(s: _Session, cancel: CancelToken | None) -> Iterator:
    cfg, state, data = s.cfg, s.state, s.data
    is_main = s.rank == 0
    s.net.train()
    n_items = len(data.train)
    t_start = time.perf_counter()
    steps_at_start = state.step
    order = _epoch_order(n_items, cfg.seed, state.epoch)
    try:
        while state.step < cfg.steps:
            if cancel is not None and cancel.cancelled:
                ev = s.checkpoints.save("last")
                if ev:
                    yield ev
                yield RunFinished(str(s.run), state.step, "cancelled", "cancelled; checkpoint saved")
                return
            if state.position + cfg.batch_size > n_items:
                state.epoch += 1
                state.position = 0
                order = _epoch_order(n_items, cfg.seed, state.epoch)
            data.train.set_epoch(state.epoch)
            batch_idx = order[state.position : state.position + cfg.batch_size]
            mine = batch_idx[s.rank :: s.world] or batch_idx[:1]
            try:
                loss, terms = optimisation_step(s.model, s.net.parameters(), s.loss_fn, s.optimizer, s.scheduler,
                                                _collate([data.train[i] for i in mine]), s.device, amp=s.amp,
                                                grad_clip=cfg.optim.grad_clip, channels_last=cfg.channels_last)
            except NonFiniteLoss as exc:
                msg = (f"loss became {exc.value} at step {state.step + 1}; stopped. Last good checkpoint: "
                       f"{s.checkpoints.last_good or 'none'}")
                s.log.error(state.step + 1, msg)
                yield RunFinished(str(s.run), state.step, "failed", msg)
                return
            state.step += 1
            state.position += cfg.batch_size
            rate = (state.step - steps_at_start) / max(time.perf_counter() - t_start, 1e-9)
            lr = s.optimizer.param_groups[0]["lr"]
            if state.step % cfg.log_every == 0 or state.step == cfg.steps or state.step == steps_at_start + 1:
                s.log.step(state.step, loss, terms, lr, rate, time.time())
            yield StepDone(state.step, cfg.steps, loss, terms, lr, rate, (cfg.steps - state.step) / max(rate, 1e-9))
            if cfg.val_every and (state.step % cfg.val_every == 0 or state.step == cfg.steps) \
                    and data.val is not None and is_main:
                metrics, preview = validate(s.net, data.val, cfg, s.device, s.amp)
                s.log.validation(state.step, metrics, preview)
                yield ValidationDone(state.step, metrics)
                yield PreviewReady(state.step, preview)
                if metrics["psnr"] > state.best_psnr:
                    state.best_psnr = metrics["psnr"]
                    ev = s.checkpoints.save("best")
                    if ev:
                        yield ev
            if cfg.checkpoint_every and state.step % cfg.checkpoint_every == 0:
                ev = s.checkpoints.save("periodic")
                if ev:
                    yield ev
                    yield s.checkpoints.save("last")  # resumable after a crash
        ev = s.checkpoints.save("last")
        if ev:
            yield ev
        yield RunFinished(str(s.run), state.step, "completed")
    finally:
        s.log.close()
        if s.world > 1 and torch.distributed.is_initialized():
            torch.distributed.barrier()


__all__ = ["train", "pick_device", "read_metrics", "list_runs", "packed_preview", "config_to_dict"]
