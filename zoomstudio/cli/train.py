"""``zoomstudio train``: train (or resume) the zoom network; works under torchrun unchanged."""

from __future__ import annotations

import argparse
import os
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", default=None,
                   help="YAML config file, or a bundled one: tiny-cpu, paper-4x, paper-8x")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a setting, e.g. --set optim.lr=2e-4 --set data.root=SR-RAW/train (repeatable)")
    p.add_argument("--resume", metavar="RUN_DIR_OR_CHECKPOINT",
                   help="continue a run from its last checkpoint (or the newest good one), or from a checkpoint file")
    p.add_argument("--device", help="cpu, cuda, cuda:N or auto (overrides the config)")
    p.add_argument("--run-dir", help="folder for a new run (default: RUNS_DIR/NAME-DATE); must not exist yet")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.epilog = ("examples: zoomstudio train --config tiny-cpu --set data.root=zoomstudio-demo\n"
                "          zoomstudio train --config paper-4x --set data.root=SR-RAW/train --device cuda\n"
                "          torchrun --nproc_per_node=4 -m zoomstudio train --config paper-4x\n"
                "          zoomstudio train --resume runs/paper4x-20261125-101500 --set steps=200000")


def _preflight(cfg, args: argparse.Namespace) -> None:
    """Settings that would fail a run at step 0, refused before it starts (exit code 2)."""
    from pathlib import Path

    from ..core.data.srraw import RAW_SUFFIXES
    from .errors import CliError

    root = Path(cfg.data.root)
    if not root.is_dir():
        raise CliError(f"data.root {root}: " + ("not a folder" if root.exists() else "no such folder"))
    has_raw = any(f.suffix.lower() in RAW_SUFFIXES for d in [root, *(p for p in root.iterdir() if p.is_dir())]
                  for f in (d.iterdir() if d.is_dir() else ()))
    if not has_raw:
        raise CliError(f"data.root {root}: no SR-RAW sequences (folders of RAW files) in it")
    if cfg.init and not args.resume and not Path(cfg.init).is_file():
        raise CliError(f"init {cfg.init}: no such weights file")
    if args.run_dir and not args.resume:
        run = Path(args.run_dir)
        if run.exists() and (not run.is_dir() or any(run.iterdir())):
            raise CliError(f"{run}: already exists; a new run never reuses a folder (use --resume {run} to "
                           "continue it, or choose another --run-dir)")
    if args.resume and args.run_dir:
        raise CliError("--run-dir is for a new run; a resumed run stays in its folder")


def run(args: argparse.Namespace) -> int:
    from ..core.events import CancelToken, Problem
    from ..core.resources import config_path
    from ..core.train import load_config, train
    from ..core.train.events import CheckpointSaved, RunFinished, RunStarted, StepDone, ValidationDone
    from .errors import CliError
    from .progress import TerminalProgress, interruptible

    overrides = list(args.overrides)
    if args.device:
        overrides.append(f"device={args.device}")
    from pathlib import Path

    try:
        if args.resume:
            resume = Path(args.resume)
            run_dir = resume.parent.parent if resume.is_file() else resume
            cfg_file = run_dir / "config.yaml"
            if not cfg_file.exists():
                raise CliError(f"{args.resume}: not a run folder or one of its checkpoints (no config.yaml)")
            cfg = load_config(cfg_file, overrides)
        else:
            cfg = load_config(config_path(args.config) if args.config else None, overrides)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    _preflight(cfg, args)

    rank = int(os.environ.get("RANK", "0"))
    quiet = args.quiet or rank != 0
    progress = TerminalProgress(quiet=quiet)
    cancel = CancelToken()
    from ..core.events import Progress

    outcome = None
    # first Ctrl-C: stop cleanly with a checkpoint
    for ev in interruptible(train(cfg, resume=args.resume, run_dir=args.run_dir, cancel=cancel), cancel):
        if isinstance(ev, RunStarted) and not quiet:
            how = f"resuming at step {ev.resumed_from}" if ev.resumed_from else "new run"
            progress.message(f"{ev.run_dir}: {how} on {ev.device}, {ev.parameters / 1e6:.2f} M parameters")
        elif isinstance(ev, StepDone):
            terms = " ".join(f"{k} {v:.3f}" for k, v in ev.terms.items())
            progress.update(Progress(ev.step, ev.total, f"loss {ev.loss:.4f} ({terms}) {ev.steps_per_s:.2f} it/s"))
        elif isinstance(ev, ValidationDone) and not quiet:
            vals = " ".join(f"{k} {v:.4f}" for k, v in ev.metrics.items() if isinstance(v, float))
            progress.message(f"step {ev.step}: validation {vals}")
        elif isinstance(ev, CheckpointSaved) and not quiet and ev.kind != "periodic":
            progress.message(f"step {ev.step}: saved {ev.kind} checkpoint {ev.path}")
        elif isinstance(ev, Problem) and not quiet:
            progress.message(f"warning: {ev}")
        elif isinstance(ev, RunFinished):
            outcome = ev
    if outcome is None:
        return 1
    if rank == 0:
        msg = f" ({outcome.message})" if outcome.message else ""
        if outcome.reason == "failed":  # the reason on stderr, one line, as every other error
            print(f"zoomstudio train: error: {outcome.message} ({outcome.run_dir}, step {outcome.step})",
                  file=sys.stderr)
        else:
            print(f"{outcome.run_dir}: {outcome.reason} at step {outcome.step}{msg}")
    return {"completed": 0, "cancelled": 130}.get(outcome.reason, 1)
