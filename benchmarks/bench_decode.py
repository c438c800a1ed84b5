"""Decode + pack of a real RAW vs rawpy's bare ``raw_image_visible`` copy, in the same run.

Usage: python benchmarks/bench_decode.py [RAW] [--repeat N]
Prints a Markdown table row; the target is packing overhead <= 25 %.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import rawpy

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from samples import ARW_NAME, sample  # noqa: E402

from zoomstudio.core.raw import read_raw  # noqa: E402


def bare(path):
    with rawpy.imread(str(path)) as raw:
        return np.array(raw.raw_image_visible, copy=True)


def ours(path):
    return read_raw(path).packed()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("raw", nargs="?", default=None)
    ap.add_argument("--repeat", type=int, default=30)
    args = ap.parse_args()
    path = Path(args.raw) if args.raw else sample(ARW_NAME)
    bare(path), ours(path)  # warm the page cache and imports
    t_bare, t_ours = [], []
    for _ in range(args.repeat):  # interleaved so both see the same machine state
        t = time.perf_counter()
        bare(path)
        t_bare.append(time.perf_counter() - t)
        t = time.perf_counter()
        ours(path)
        t_ours.append(time.perf_counter() - t)
    b, o = statistics.median(t_bare), statistics.median(t_ours)
    bm, om = min(t_bare), min(t_ours)
    print("| file | rawpy raw_image_visible copy (s), median / min | read_raw + packed() (s), median / min "
          "| overhead, median / min |")
    print("|---|---|---|---|")
    print(f"| {path.name} ({path.stat().st_size / 1e6:.1f} MB) | {b:.3f} / {bm:.3f} | {o:.3f} / {om:.3f} | "
          f"{100 * (o / b - 1):+.0f} % / {100 * (om / bm - 1):+.0f} % |")


if __name__ == "__main__":
    main()
