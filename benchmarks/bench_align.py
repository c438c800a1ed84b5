"""``zoomstudio align`` on a 7-shot synthetic sequence at 12 MP: wall time and corner error vs truth.

Usage: python benchmarks/bench_align.py [--size 4240x2832] [--workdir DIR]
Renders the sequence once (cached in the work dir), then times the CLI as a
user runs it and compares the written transforms with truth.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from zoomstudio.core.data.synth import SynthConfig, synthesize
from zoomstudio.core.geometry import read_tform


def corner_error(m_est, m_true, w, h):
    c = np.array([[0, 0, 1], [w - 1, 0, 1], [0, h - 1, 1], [w - 1, h - 1, 1]], float).T
    a, b = m_est @ c, m_true @ c
    return float(np.linalg.norm(a[:2] / a[2] - b[:2] / b[2], axis=0).mean())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="4240x2832")
    ap.add_argument("--workdir", default=str(Path(__file__).resolve().parent / "out" / "align"))
    ap.add_argument("--motion", default="euclidean")
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    root = Path(args.workdir) / args.size
    if not (root / "00001" / "truth.json").exists():
        t = time.perf_counter()
        list(synthesize(root, SynthConfig(sequences=1, seed=2024, size=(w, h), shots=(7, 7))))
        print(f"rendered the sequence in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    seq = root / "00001"
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "zoomstudio", "align", str(seq), "--motion", args.motion, "-q"],
                         capture_output=True, text=True)
    wall = time.perf_counter() - t
    if out.returncode:
        sys.exit(out.stderr)
    truth = json.loads((seq / "truth.json").read_text())
    report = json.loads((seq / "align.json").read_text())
    tform = read_tform(seq / "tform.txt")
    est, written = [], []
    for frame in report["frames"][1:]:
        true_m = np.vstack([truth["shots"][frame["key"]]["motion"], [0, 0, 1]])
        est.append(corner_error(np.array(frame["matrix"]), true_m, w, h))
        written.append(corner_error(tform.matrix3(frame["key"]), true_m, w, h))
    print("| sequence | frames | wall time (s) | mean corner error, estimate (px) | max | mean, as written (%.4f) (px) |")
    print("|---|---|---|---|---|---|")
    print(f"| {w}x{h} ({w * h / 1e6:.1f} MP), {args.motion} | {len(report['frames'])} | {wall:.2f} | "
          f"{np.mean(est):.3f} | {np.max(est):.3f} | {np.mean(written):.3f} |")


if __name__ == "__main__":
    main()
