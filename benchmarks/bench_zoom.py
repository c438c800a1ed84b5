"""Zoom 4X of the centre of the 18.6 MB ARW: time and peak memory, tiled vs one untiled forward.

Usage: python benchmarks/bench_zoom.py [--model PATH] [--memory MB] [--compare OLD_MODEL] [--no-untiled]
Each variant runs in its own subprocess (peak RSS growth over the loaded state). ``--compare``
adds the tiled zoom of another model (e.g. the previously bundled one) in the same run, with
the time and memory ratios.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import json, resource, sys, time, torch
from zoomstudio.core.infer import ZoomOptions, zoom_raw, plan_tiles
from zoomstudio.core.infer.zoom import centre_roi
from zoomstudio.core.nets import load_net
from zoomstudio.core.raw import read_raw
from zoomstudio.core.events import Result
mode, raw_path, model, memory = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
net, _ = load_net(model)
raw = read_raw(raw_path)  # decode once outside the timing (both variants pay it alike)
x, y, w, h = centre_roi(raw.meta.width, raw.meta.height, net.config.zoom)
packed = torch.from_numpy(raw.packed()[:, y // 2:(y + h) // 2, x // 2:(x + w) // 2].copy())[None]
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
if mode == "untiled":
    with torch.no_grad():
        out = net(packed)
    shape = list(out.shape)
else:
    from zoomstudio.core.infer.tiled import zoom_tensor
    plan = plan_tiles(net, memory)
    out = [e for e in zoom_tensor(net, packed, plan) if torch.is_tensor(e)][0]
    shape = list(out.shape)
dt = time.perf_counter() - t0
peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024
print(json.dumps({"mode": mode, "seconds": dt, "peak_mb": peak, "shape": shape}))
"""


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from samples import ARW_NAME, sample

    from zoomstudio.core.resources import default_model_path

    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=str(default_model_path(4)))
    ap.add_argument("--memory", type=float, default=1024)
    ap.add_argument("--compare", metavar="OLD_MODEL", help="also zoom with this model (tiled), same run")
    ap.add_argument("--no-untiled", action="store_true", help="skip the (slow, memory-hungry) untiled forward")
    args = ap.parse_args()
    arw = sample(ARW_NAME)
    runs = [("tiled", args.model, f"tiled (budget {args.memory:.0f} MB)")]
    if not args.no_untiled:
        runs.append(("untiled", args.model, "untiled forward"))
    if args.compare:
        runs.append(("tiled", args.compare, f"tiled, {Path(args.compare).name}"))
    rows = []
    for mode, model, name in runs:
        out = subprocess.run([sys.executable, "-c", CHILD, mode, str(arw), model, str(args.memory)],
                             capture_output=True, text=True)
        rows.append((name, json.loads(out.stdout.strip().splitlines()[-1]) if out.returncode == 0 else {
            "error": (out.stderr.strip().splitlines() or ["killed"])[-1]}))
    print(f"model: {Path(args.model).name}")
    print("| variant | time (s) | peak memory (MB) | output |")
    print("|---|---|---|---|")
    for name, r in rows:
        if "error" in r:
            print(f"| {name} | {r['error']} | | |")
        else:
            print(f"| {name} | {r['seconds']:.2f} | {r['peak_mb']:.0f} | {r['shape'][3]}x{r['shape'][2]} |")
    by_name = dict(rows)
    t = rows[0][1]
    u = by_name.get("untiled forward")
    if u and "error" not in t and "error" not in u:
        print(f"\ntiling overhead: {100 * (t['seconds'] / u['seconds'] - 1):+.0f} % time, "
              f"{t['peak_mb'] / u['peak_mb']:.2f}x memory")
    if args.compare:
        o = rows[-1][1]
        if "error" not in t and "error" not in o:
            print(f"\nthis model vs {Path(args.compare).name}: {t['seconds'] / o['seconds']:.2f}x time, "
                  f"{t['peak_mb'] / o['peak_mb']:.2f}x peak memory")


if __name__ == "__main__":
    main()
