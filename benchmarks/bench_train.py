"""Training throughput (steps/s) of the bundled configs on this machine, on synthetic SR-RAW.

Usage: python benchmarks/bench_train.py [--steps 5] [--layouts]
Renders and aligns a small synthetic dataset once (benchmarks/out/train-data), then runs
each config for a few real steps (the first step, with pair building, is excluded).
``--layouts`` runs each config twice, channels-last (the default) and NCHW, in the same run.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from zoomstudio.core.resources import config_path
from zoomstudio.core.train import StepDone, load_config, train


def data_root() -> Path:
    from zoomstudio.core.data import scan_root
    from zoomstudio.core.data.synth import SynthConfig, synthesize
    from zoomstudio.core.alignment.sequence_align import align_sequence

    root = Path(__file__).resolve().parent / "out" / "train-data"
    if not (root / "synth.json").exists():
        list(synthesize(root, SynthConfig(sequences=4, seed=5, size=(960, 720))))
        for seq in scan_root(root).sequences:
            list(align_sequence(seq))
    return root


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--paper-steps", type=int, default=2, help="the paper config is slow on a CPU")
    ap.add_argument("--layouts", action="store_true", help="also time NCHW beside channels-last")
    args = ap.parse_args()
    root = data_root()
    out = Path(__file__).resolve().parent / "out" / "runs"
    print("| config | layout | patch (target px) x batch | parameters | steps/s |")
    print("|---|---|---|---|---|")
    runs = [(name, steps, layout) for name, steps in (("tiny-cpu", args.steps), ("default-4x", args.steps),
                                                      ("paper-4x", args.paper_steps))
            for layout in (("channels_last", "NCHW") if args.layouts else ("channels_last",))]
    for name, steps, layout in runs:
        cfg = load_config(config_path(name), [f"data.root={root}", f"runs_dir={out}", f"steps={steps + 1}",
                                              "val_every=0", "checkpoint_every=0", "device=cpu",
                                              "data.cache_pairs=64", f"channels_last={layout == 'channels_last'}"])
        times = []
        params = 0
        last = None
        for ev in train(cfg):
            if type(ev).__name__ == "RunStarted":
                params = ev.parameters
            if isinstance(ev, StepDone):
                now = time.perf_counter()
                if last is not None:
                    times.append(now - last)
                last = now
        rate = len(times) / sum(times) if times else float("nan")
        print(f"| {name} | {layout} | {cfg.data.patch} x {cfg.batch_size} | {params / 1e6:.2f} M | {rate:.3f} |",
              flush=True)


if __name__ == "__main__":
    main()
