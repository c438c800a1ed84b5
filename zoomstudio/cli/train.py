"""``zoomstudio train``: train (or resume) the zoom network; works under torchrun unchanged."""

from __future__ import annotations

import argparse
import os


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", default=None,
                   help="YAML config file, or a bundled one: tiny-cpu, paper-4x, paper-8x")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a setting, e.g. --set optim.lr=2e-4 --set data.root=SR-RAW/train (repeatable)")
    p.add_argument("--resume", metavar="RUN_DIR", help="continue a run from its last checkpoint")
    p.add_argument("--device", help="cpu, cuda, cuda:N or auto (overrides the config)")
    p.add_argument("--run-dir", help="folder for this run (default: RUNS_DIR/NAME-DATE)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.epilog = ("examples: zoomstudio train --config tiny-cpu --set data.root=zoomstudio-demo\n"
                "          zoomstudio train --config paper-4x --set data.root=SR-RAW/train --device cuda\n"
                "          torchrun --nproc_per_node=4 -m zoomstudio train --config paper-4x\n"
                "          zoomstudio train --resume runs/paper4x-20261125-101500 --set steps=200000")


def run(args: argparse.Namespace) -> int:
    import signal

    from ..core.events import CancelToken, Problem
    from ..core.resources import config_path
    from ..core.train import load_config, train
    from ..core.train.events import CheckpointSaved, RunFinished, RunStarted, StepDone, ValidationDone
    from .main import CliError
    from .progress import TerminalProgress

    overrides = list(args.overrides)
    if args.device:
        overrides.append(f"device={args.device}")
    try:
        if args.resume:
            from pathlib import Path

            cfg_file = Path(args.resume) / "config.yaml"
            if not cfg_file.exists():
                raise CliError(f"{args.resume}: not a run folder (no config.yaml)")
            cfg = load_config(cfg_file, overrides)
        else:
            cfg = load_config(config_path(args.config) if args.config else None, overrides)
    except ValueError as exc:
        raise CliError(str(exc)) from None

    rank = int(os.environ.get("RANK", "0"))
    quiet = args.quiet or rank != 0
    progress = TerminalProgress(quiet=quiet)
    cancel = CancelToken()
    previous = signal.getsignal(signal.SIGINT)

    def on_interrupt(signum, frame):  # first Ctrl-C: stop cleanly with a checkpoint
        cancel.cancel()
        signal.signal(signal.SIGINT, previous)

    signal.signal(signal.SIGINT, on_interrupt)
    from ..core.events import Progress

    outcome = None
    for ev in train(cfg, resume=args.resume, run_dir=args.run_dir, cancel=cancel):
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
        print(f"{outcome.run_dir}: {outcome.reason} at step {outcome.step}{msg}")
    return {"completed": 0, "cancelled": 130}.get(outcome.reason, 1)
