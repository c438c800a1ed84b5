"""The CUDA paths on one GPU: CoBi, tiled zoom and training throughput (bf16 autocast vs float32).

Usage: python benchmarks/bench_gpu.py [--steps 15] [--sizes 64 128]
Needs a CUDA device. Times are wall clock around synchronised work, the median
of three runs after a warm-up; memory is ``torch.cuda.max_memory_allocated``.
Training throughput uses the synthetic data of bench_train.py and excludes the
first step (pair building, cuDNN autotuning).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent


def _timed(fn, repeats: int = 3) -> tuple[float, float]:
    """Median seconds and peak MB of ``fn()`` on the GPU (one warm-up call first)."""
    fn()
    torch.cuda.synchronize()
    times, peak = [], 0.0
    for _ in range(repeats):
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        t0 = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
        peak = max(peak, (torch.cuda.max_memory_allocated() - base) / 2**20)
    return statistics.median(times), peak


def bench_cobi(sizes: list[int], channels: int) -> None:
    sys.path.insert(0, str(HERE))
    from bench_cobi import full_matrix

    from zoomstudio.core.losses import cobi_loss

    print(f"\n### CoBi forward + backward on the GPU (C={channels})\n")
    print("| size | ours (s) | ours peak (MB) | full matrix (s) | full peak (MB) | time ratio | memory ratio |")
    print("|---|---|---|---|---|---|---|")
    for size in sizes:
        g = torch.Generator(device="cuda").manual_seed(0)
        pred = torch.rand(1, channels, size, size, device="cuda", generator=g, requires_grad=True)
        target = torch.rand(1, channels, size, size, device="cuda", generator=g)

        def ours():
            cobi_loss(pred, target).backward()

        def full():
            full_matrix(pred, target).backward()

        t_o, m_o = _timed(ours)
        try:
            t_f, m_f = _timed(full)
            print(f"| {size}x{size} | {t_o:.4f} | {m_o:.0f} | {t_f:.4f} | {m_f:.0f} | {t_o / t_f:.2f}x | "
                  f"{m_o / m_f:.3f}x |")
        except torch.OutOfMemoryError:
            print(f"| {size}x{size} | {t_o:.4f} | {m_o:.0f} | out of memory | | | |")
        torch.cuda.empty_cache()


def bench_zoom() -> None:
    sys.path.insert(0, str(HERE.parent / "tests"))
    from samples import ARW_NAME, sample

    from zoomstudio.core.infer import plan_tiles
    from zoomstudio.core.infer.tiled import zoom_tensor
    from zoomstudio.core.infer.zoom import centre_roi
    from zoomstudio.core.nets import load_net
    from zoomstudio.core.raw import read_raw
    from zoomstudio.core.resources import default_model_path

    net, _ = load_net(default_model_path(4))
    net = net.cuda().eval()
    raw = read_raw(sample(ARW_NAME))
    x, y, w, h = centre_roi(raw.meta.width, raw.meta.height, net.config.zoom)
    packed = torch.from_numpy(raw.packed()[:, y // 2:(y + h) // 2, x // 2:(x + w) // 2].copy())[None]
    print("\n### 4X centre zoom of the 42 MP ARW with the bundled model (GPU)\n")
    print("| variant | time (s) | peak GPU memory (MB) | output |")
    print("|---|---|---|---|")
    outs = {}
    for memory in (1024, 8192):
        plan = plan_tiles(net, memory)

        def tiled():
            outs["tiled"] = [e for e in zoom_tensor(net, packed, plan, None, torch.device("cuda"))
                             if torch.is_tensor(e)][0]

        t, m = _timed(tiled)
        shape = outs["tiled"].shape
        print(f"| tiled, budget {memory} MB | {t:.2f} | {m:.0f} | {shape[3]}x{shape[2]} |")

    def untiled():
        with torch.no_grad():
            outs["untiled"] = net(packed.cuda()).cpu()

    try:
        t, m = _timed(untiled)
        diff = float((outs["untiled"] - outs["tiled"]).abs().max())
        print(f"| untiled forward | {t:.2f} | {m:.0f} | max abs difference to tiled {diff:.2e} |")
    except torch.OutOfMemoryError:
        print("| untiled forward | out of memory | | |")


def bench_training(steps: int) -> None:
    sys.path.insert(0, str(HERE))
    from bench_train import data_root

    from zoomstudio.core.resources import config_path
    from zoomstudio.core.train import RunStarted, StepDone, load_config, train

    root = data_root()
    out = HERE / "out" / "runs-gpu"
    print("\n### Training throughput on the GPU\n")
    print("| config | patch x batch | parameters | bf16 autocast steps/s | float32 steps/s | speed-up | "
          "peak GPU memory bf16 / fp32 (MB) |")
    print("|---|---|---|---|---|---|---|")
    for name in ("default-4x", "paper-4x"):
        rates, peaks, params = {}, {}, 0
        for amp in (True, False):
            cfg = load_config(config_path(name), [f"data.root={root}", f"runs_dir={out}", f"steps={steps + 1}",
                                                  "val_every=0", "checkpoint_every=0", "device=cuda",
                                                  f"amp={str(amp).lower()}", "data.cache_pairs=64"])
            torch.cuda.reset_peak_memory_stats()
            stamps = []
            for ev in train(cfg):
                if isinstance(ev, RunStarted):
                    params = ev.parameters
                if isinstance(ev, StepDone):
                    stamps.append(time.perf_counter())
            rates[amp] = (len(stamps) - 1) / (stamps[-1] - stamps[0])
            peaks[amp] = torch.cuda.max_memory_allocated() / 2**20
        print(f"| {name} | {cfg.data.patch} x {cfg.batch_size} | {params / 1e6:.2f} M | {rates[True]:.2f} | "
              f"{rates[False]:.2f} | {rates[True] / rates[False]:.2f}x | {peaks[True]:.0f} / {peaks[False]:.0f} |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=15)
    ap.add_argument("--sizes", type=int, nargs="+", default=[64, 128])
    ap.add_argument("--channels", type=int, default=64)
    ap.add_argument("--only", choices=["cobi", "zoom", "train"], nargs="+", default=["cobi", "zoom", "train"])
    args = ap.parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("bench_gpu.py needs a CUDA device")
    print(f"{torch.cuda.get_device_name()}, torch {torch.__version__}")
    if "cobi" in args.only:
        bench_cobi(args.sizes, args.channels)
    if "zoom" in args.only:
        bench_zoom()
    if "train" in args.only:
        bench_training(args.steps)


if __name__ == "__main__":
    main()
