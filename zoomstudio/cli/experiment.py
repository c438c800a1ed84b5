"""``zoomstudio experiment controls DATA``: the paper's Table 2 controls (raw vs syn-raw vs png)."""

from __future__ import annotations

import argparse
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="experiment", metavar="EXPERIMENT", required=True)
    c = sub.add_parser("controls", help="train raw, syn-raw and png with one recipe and evaluate them (Table 2)",
                       description="Train the same network on the packed RAW, on RAW synthesised from the camera "
                                   "JPEG (syn-raw) and on the JPEG itself (png), with one recipe, budget, seed and "
                                   "split; evaluate them with bicubic on the test split; write table.md and "
                                   "table.json beside the paper's reported numbers. Finished variants are not "
                                   "retrained; an interrupted one resumes.")
    c.add_argument("data", metavar="DATA", help="an aligned SR-RAW-layout root")
    c.add_argument("--scale", type=int, default=4, choices=(4, 8))
    c.add_argument("--steps", type=int, default=3000, help="training steps per variant (default 3000)")
    c.add_argument("--config", default="default-4x",
                   help="the shared recipe: a YAML file or a bundled config (default default-4x)")
    c.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a recipe setting (repeatable), e.g. --set batch_size=4")
    c.add_argument("--out", default="controls", help="output folder (default ./controls)")
    c.add_argument("--device", default="auto", help="cpu, cuda, cuda:N or auto")
    c.add_argument("--lpips", default="alex", choices=("alex", "off"))
    c.add_argument("--max-pairs", type=int, help="evaluate at most this many test pairs")
    c.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.epilog = "example: zoomstudio experiment controls SR-RAW --scale 4 --steps 20000 --device cuda --out table2"


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..core.device import pick_device
    from ..core.events import CancelToken
    from ..core.experiments.controls import run_controls
    from ..core.resources import config_path
    from ..core.train import load_config
    from .errors import CliError
    from .progress import TerminalProgress, consume, interruptible

    if args.steps < 1:
        raise CliError(f"--steps must be >= 1, got {args.steps}")
    if not Path(args.data).is_dir():
        raise CliError(f"{args.data}: not a folder")
    try:
        base = load_config(config_path(args.config), args.overrides)
        device = str(pick_device(args.device))
    except (ValueError, FileNotFoundError) as exc:
        raise CliError(str(exc)) from None
    cancel = CancelToken()
    events = run_controls(args.data, base, args.out, scale=args.scale, steps=args.steps, device=device,
                          with_lpips=args.lpips != "off", max_pairs=args.max_pairs, cancel=cancel)
    # first Ctrl-C: stop cleanly, keeping finished variants
    results, problems, cancelled = consume(interruptible(events, cancel), TerminalProgress(quiet=args.quiet))
    if cancelled:
        return 130
    if not results:
        print(f"zoomstudio experiment: error: no table written ({problems[-1] if problems else 'nothing ran'})",
              file=sys.stderr)
        return 1
    print(Path(results[-1].values["table_md"]).read_text(), end="")
    print(f"wrote {results[-1].values['table_md']} and {results[-1].values['table_json']}")
    return 1 if problems else 0
