"""CoBi forward + backward: ours (row-chunked, analytic backward) vs a full-matrix implementation.

Usage: python benchmarks/bench_cobi.py [--sizes 64 128 256] [--channels 64]
Each measurement runs in a fresh subprocess; peak memory is the growth of the
process's maximum RSS over its state right before the loss is computed. The
full-matrix reference materialises the N x M matrices like the public CX/CoBi
code (distance, relative distance, exp, softmax, spatial terms...); it is
skipped where a single N x M float32 matrix exceeds --full-limit-gb.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import torch


def full_matrix(p, t, w_spatial=0.1, h=0.5):
    # the public implementations' way: every N x M intermediate kept for autograd
    b, c, hh, ww = p.shape
    P = p.reshape(c, -1).T; T = t.reshape(c, -1).T
    mu = T.mean(0, keepdim=True)
    Pn = torch.nn.functional.normalize(P - mu, dim=1); Tn = torch.nn.functional.normalize(T - mu, dim=1)
    d = 1 - Pn @ Tn.T
    r, q = torch.meshgrid(torch.arange(hh, dtype=torch.float32, device=p.device),
                          torch.arange(ww, dtype=torch.float32, device=p.device), indexing="ij")
    coords = torch.stack([r.reshape(-1), q.reshape(-1)], 1) / max(hh, ww)
    s = torch.cdist(coords, coords)
    dbar = d + w_spatial * s
    rel = dbar / (dbar.min(dim=1, keepdim=True).values + 1e-5)
    a = torch.softmax((1 - rel) / h, dim=1)
    cx = a.max(dim=0).values.mean()
    return -torch.log(cx)


CHILD = r"""
import json, resource, sys, time, torch
from bench_cobi import full_matrix
torch.manual_seed(0)
mode, size, c = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
pred = torch.rand(1, c, size, size, requires_grad=True)
target = torch.rand(1, c, size, size)

base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
if mode == "ours":
    from zoomstudio.core.losses import cobi_loss
    loss = cobi_loss(pred, target)
else:
    loss = full_matrix(pred, target)
loss.backward()
dt = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base
print(json.dumps({"mode": mode, "size": size, "seconds": dt, "peak_mb": peak / 1024, "loss": loss.item()}))
"""


def measure(mode: str, size: int, channels: int) -> dict:
    # warm imports so the baseline RSS includes torch and zoomstudio
    code = "import torch, zoomstudio.core.losses\n" + CHILD
    out = subprocess.run([sys.executable, "-c", code, mode, str(size), str(channels)], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parent)
    if out.returncode:
        return {"mode": mode, "size": size, "error": (out.stderr.strip().splitlines() or ["killed"])[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[64, 128, 256])
    ap.add_argument("--channels", type=int, default=64)
    ap.add_argument("--full-limit-gb", type=float, default=4.0)
    args = ap.parse_args()
    print("| features | full-matrix time (s) | full-matrix peak (MB) | ours time (s) | ours peak (MB) | "
          "time ratio | memory ratio |")
    print("|---|---|---|---|---|---|---|")
    for s in args.sizes:
        n = s * s
        ours = measure("ours", s, args.channels)
        if n * n * 4 / 2**30 <= args.full_limit_gb:
            full = measure("full", s, args.channels)
        else:
            full = {"error": f"skipped: one N x M matrix is {n * n * 4 / 2**30:.0f} GiB"}
        if "error" in full:
            f_t = f_m = full["error"]
            rt = rm = "-"
        else:
            f_t, f_m = f"{full['seconds']:.2f}", f"{full['peak_mb']:.0f}"
            rt = f"{ours['seconds'] / full['seconds']:.2f}"
            rm = f"{ours['peak_mb'] / full['peak_mb']:.3f}"
            assert abs(full["loss"] - ours["loss"]) < 1e-3, (full["loss"], ours["loss"])
        print(f"| {s}x{s}x{args.channels} | {f_t} | {f_m} | {ours['seconds']:.2f} | {ours['peak_mb']:.0f} | {rt} | {rm} |")


if __name__ == "__main__":
    main()
