"""Issue 12's table in one run: how close the zoom runs to this machine's compute limit.

Usage: python benchmarks/bench_speed.py [--old REV] [--repeat N] [--skip-peers] [--skip-layers]

1. The compute limit's unit: the best dense 3x3-conv throughput this machine reaches (GFLOP/s), float32
   and bfloat16, NCHW and channels-last, several widths and sizes.
2. For the ARW's 4X centre and the Canon DNG: the whole ``zoomstudio zoom`` command (process start,
   decode, network, colours, 16-bit TIFF) for the bundled model and the paper-family model
   (benchmarks/models/zoomnet-4x-previous.safetensors): the old path (``--old REV``, a git revision run
   from a temporary worktree) vs the new path in fp32 and auto precision: wall time (best of
   ``--repeat``), peak memory, the network's FLOPs over the region, limit = FLOPs / best conv rate, the
   ratio wall / limit, and the largest difference to the old output.
3. Per-layer time of the paper-family decoder before and after the rewrites (fp32, bf16).
4. Peer SR networks through spandrel (random weights: timing only) on an output region of the same
   size as ours: Real-ESRGAN's RRDBNet and SRVGGNetCompact, seconds per output megapixel.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
PREVIOUS = ROOT / "benchmarks" / "models" / "zoomnet-4x-previous.safetensors"
MEASURE = r"""
import resource, subprocess, sys, time
t0 = time.perf_counter()
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
print(time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, rc)
"""


def conv_rates(reps: int = 5) -> dict[str, float]:
    """Best GFLOP/s of a dense 3x3 conv per (dtype, layout) over widths 64-256 and two sizes."""
    rates: dict[str, float] = {}
    with torch.no_grad():
        for dtype in (torch.float32, torch.bfloat16):
            for layout in (torch.contiguous_format, torch.channels_last):
                best = 0.0
                for c in (64, 128, 256):
                    for hw in (128, 256):
                        conv = torch.nn.Conv2d(c, c, 3, padding=1).to(dtype=dtype, memory_format=layout)
                        x = torch.randn(1, c, hw, hw, dtype=dtype).contiguous(memory_format=layout)
                        conv(x)
                        for _ in range(reps):
                            t = time.perf_counter()
                            conv(x)
                            best = max(best, 2 * c * c * 9 * hw * hw / (time.perf_counter() - t) / 1e9)
                key = f"{str(dtype).removeprefix('torch.')} {'channels_last' if layout == torch.channels_last else 'NCHW'}"
                rates[key] = best
    return rates


def network_flops(net, packed_hw: tuple[int, int]) -> float:
    """FLOPs of one forward over a packed (4, h, w) region: counted on a 64x64 crop, scaled by pixels
    (every layer is a convolution or pointwise: linear in the pixel count)."""
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        net(torch.rand(1, net.config.in_channels, 64, 64))
    return counter.get_total_flops() * packed_hw[0] * packed_hw[1] / (64 * 64)


def region_of(path: Path, zoom: int) -> tuple[int, int]:
    from zoomstudio.core.infer import centre_roi
    from zoomstudio.core.raw.header import read_raw_header

    meta = read_raw_header(path)
    _, _, w, h = centre_roi(meta.width, meta.height, zoom)
    return h // 2, w // 2


def run_zoom(pythonpath: Path | None, raw: Path, model: Path, out: Path, extra: list[str], repeat: int) -> dict:
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    best = None
    for _ in range(repeat):
        for f in out.glob("*"):
            f.unlink()
        cmd = [sys.executable, "-m", "zoomstudio", "zoom", str(raw), "--model", str(model), "-o", str(out), "-q",
               "--device", "cpu", *extra]
        line = subprocess.run([sys.executable, "-c", MEASURE, *cmd], env=env, capture_output=True, text=True,
                              cwd=tempfile.gettempdir()).stdout.split()
        wall, peak, rc = float(line[0]), float(line[1]), int(line[2])
        if rc != 0:
            return {"error": f"exit {rc}"}
        if best is None or wall < best["wall"]:
            best = {"wall": wall, "peak_mb": peak}
    best["output"] = next(out.glob("*.tif"))
    return best


def max_difference(a: Path, b: Path) -> float:
    """Largest difference of two 16-bit TIFFs, in 8-bit levels."""
    import tifffile

    return float(np.abs(tifffile.imread(a).astype(np.int32) - tifffile.imread(b)).max()) / 257


def layer_times(net, x: torch.Tensor, dtype: torch.dtype, reps: int = 3) -> dict[str, float]:
    """Seconds per top-level layer of encode and decode (best of ``reps``), by forward hooks."""
    from zoomstudio.core.nets.inference import autocast

    layers = {"head": net.head, "body": net.body, "body_tail": net.body_tail}
    layers.update({f"upsample.{i}": m for i, m in enumerate(net.upsample)})
    layers["tail"] = net.tail
    times: dict[str, float] = {}
    starts: dict[str, float] = {}
    hooks = []
    for name, module in layers.items():
        hooks.append(module.register_forward_pre_hook(lambda m, a, n=name: starts.__setitem__(n, time.perf_counter())))
        hooks.append(module.register_forward_hook(
            lambda m, a, o, n=name: times.__setitem__(n, min(times.get(n, 1e9), time.perf_counter() - starts[n]))))
    layout = torch.channels_last if getattr(net, "inference_device", None) else torch.contiguous_format
    with torch.no_grad(), autocast(dtype, "cpu"):
        for _ in range(reps):
            net.decode(net.encode(x.contiguous(memory_format=layout)))
    for h in hooks:
        h.remove()
    return times


def peers(out_side: int, rates: dict) -> list[tuple[str, str, float]]:
    """(network, precision, s per output MP) of the spandrel peers at ``out_side``^2 output pixels."""
    rrdb = importlib.import_module("spandrel.architectures.ESRGAN.__arch.RRDB").RRDBNet
    compact = importlib.import_module("spandrel.architectures.Compact.__arch.SRVGG").SRVGGNetCompact
    nets = {"Real-ESRGAN RRDBNet (x4plus: 64 feat, 23 blocks)": rrdb(num_filters=64, num_blocks=23, scale=4),
            "SRVGGNetCompact (general-x4v3: 64 feat, 32 convs)": compact(num_feat=64, num_conv=32, upscale=4)}
    rows = []
    x = torch.rand(1, 3, out_side // 4, out_side // 4)
    for name, net in nets.items():
        net = net.eval().to(memory_format=torch.channels_last)
        for label, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
            from zoomstudio.core.nets.inference import autocast

            with torch.no_grad(), autocast(dtype, "cpu"):
                net(x[..., :16, :16].contiguous(memory_format=torch.channels_last))
                t = time.perf_counter()
                net(x.contiguous(memory_format=torch.channels_last))
                dt = time.perf_counter() - t
            rows.append((name, label, dt / (out_side**2 / 1e6)))
    return rows


def ours_per_mp(model: Path, out_side: int, precision: str) -> float:
    from zoomstudio.core.infer.tiled import zoom_tensor
    from zoomstudio.core.nets import load_net

    net, _ = load_net(model)
    side = out_side // net.config.upscale
    x = torch.rand(1, 4, side, side)
    list(zoom_tensor(net, x[..., :24, :24], precision=precision))
    t = time.perf_counter()
    list(zoom_tensor(net, x, precision=precision))
    return (time.perf_counter() - t) / (out_side**2 / 1e6)


def main() -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from samples import ARW_NAME, DNG_NAME, sample

    from zoomstudio.core.nets import load_net
    from zoomstudio.core.resources import default_model_path

    ap = argparse.ArgumentParser()
    ap.add_argument("--old", help="git revision of the old path (run from a temporary worktree)")
    ap.add_argument("--repeat", type=int, default=2, help="runs per variant (best wall time kept)")
    ap.add_argument("--skip-peers", action="store_true")
    ap.add_argument("--skip-layers", action="store_true")
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, torch {torch.__version__}, {torch.get_num_threads()} threads")

    rates = conv_rates()
    print("\n| 3x3 conv | best GFLOP/s |\n|---|---|")
    for k, v in rates.items():
        print(f"| {k} | {v:.0f} |")
    best_fp32 = max(v for k, v in rates.items() if k.startswith("float32"))
    best_any = max(rates.values())

    models = {"bundled (lite)": default_model_path(4), "paper family (zoomnet)": PREVIOUS}
    old_tree = None
    if args.old:
        old_tree = Path(tempfile.mkdtemp(prefix="zs-old-")) / "tree"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(old_tree), args.old],
                       check=True, capture_output=True)
    try:
        print("\n| file | model | path | wall (s) | peak (MB) | network TFLOP | limit (s) | wall / limit | "
              "max diff to old (8-bit levels) |\n|---|---|---|---|---|---|---|---|---|")
        for raw in (sample(ARW_NAME), sample(DNG_NAME)):
            for mname, model in models.items():
                net, _ = load_net(model)
                flops = network_flops(net, region_of(raw, net.config.zoom))
                limit = flops / (best_any * 1e9)
                variants = [("new fp32", None, ["--precision", "fp32"]), ("new auto", None, ["--precision", "auto"])]
                if old_tree is not None:
                    variants.insert(0, ("old", old_tree, []))
                old_out = None
                with tempfile.TemporaryDirectory() as tmp:
                    for label, tree, extra in variants:
                        out = Path(tmp) / label.replace(" ", "-")
                        out.mkdir()
                        r = run_zoom(tree, raw, model, out, extra, args.repeat)
                        if "error" in r:
                            print(f"| {raw.suffix[1:]} | {mname} | {label} | {r['error']} | | | | | |")
                            continue
                        if label == "old":
                            old_out = r["output"]
                        diff = "" if old_out is None or label == "old" else f"{max_difference(r['output'], old_out):.2f}"
                        print(f"| {raw.suffix[1:]} | {mname} | {label} | {r['wall']:.2f} | {r['peak_mb']:.0f} | "
                              f"{flops / 1e12:.3f} | {limit:.2f} | {r['wall'] / limit:.1f}x | {diff} |", flush=True)
        print(f"\nlimit = network FLOPs / {best_any:.0f} GFLOP/s (the best conv rate above; "
              f"float32's best: {best_fp32:.0f} GFLOP/s)")
    finally:
        if old_tree is not None:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old_tree)], capture_output=True)

    if not args.skip_layers:
        from zoomstudio.core.nets.inference import for_inference

        net, _ = load_net(PREVIOUS)
        x = torch.rand(1, 4, 96, 96)
        before = layer_times(net, x, torch.float32)
        fast = for_inference(net)
        after32, after16 = layer_times(fast, x, torch.float32), layer_times(fast, x, torch.bfloat16)
        print("\nPer layer, paper-family model, packed 96x96 -> 768x768 (ms, best of 3):\n"
              "| layer | before (fp32, NCHW) | after (fp32) | after (bf16) |\n|---|---|---|---|")
        for name in [*before, *(n for n in after32 if n not in before)]:
            a = after32.get(name)
            b = after16.get(name)
            old = before.get(name)
            print(f"| {name} | {'' if old is None else f'{1e3 * old:.1f}'} | {'' if a is None else f'{1e3 * a:.1f}'} | "
                  f"{'' if b is None else f'{1e3 * b:.1f}'} |")
        print("(after the rewrite the last stage -- its conv, the transposed conv as a sub-pixel conv, the PReLU "
              "and the 9x9 tail as a phase conv -- runs in row bands as one module, listed as tail)")

    if not args.skip_peers:
        side = 704
        print(f"\nNetworks alone, {side}x{side} output (s per output MP):\n| network | precision | s / MP |\n|---|---|---|")
        for name, label, s in peers(side, rates):
            print(f"| {name} | {label} | {s:.2f} |")
        for mname, model in models.items():
            for precision in ("fp32", "auto"):
                print(f"| ours, {mname} | {precision} | {ours_per_mp(model, side, precision):.2f} |")


if __name__ == "__main__":
    main()
