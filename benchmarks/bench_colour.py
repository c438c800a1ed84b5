"""Colour of the 4X zoom against the camera's own rendering, on the real samples (issue 8).

For each real RAW: the default 4X zoom (centre region) in each colour mode,
and its bicubic baseline with the same colours, scored by mean CIEDE2000
against the camera's rendering of the same region (the embedded JPEG preview
of the ARW; LibRaw's rendering of the Canon DNG, which has none), both at the
region's sensor size and blurred with sigma 4 px so that only colour and tone
count. Then per-patch CIEDE2000 on the Canon's ColorChecker (a region holding
the whole chart; patch means, against LibRaw's rendering).

Usage: python benchmarks/bench_colour.py [--model PATH] [--samples DIR]
Prints markdown tables.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

#: ColorChecker Classic on the Canon DNG, sensor pixels: the chart's region (x, y, w, h), then the
#: centres of the 24 patches, row-major from dark skin, and the half side of the area averaged.
CHART_ROI = (640, 560, 660, 400)
PATCH_X = (714, 820, 926, 1034, 1142, 1250)
PATCH_Y = (626, 724, 820, 926)
PATCH_HALF = 22
PATCH_NAMES = ("dark skin", "light skin", "blue sky", "foliage", "blue flower", "bluish green", "orange",
               "purplish blue", "moderate red", "purple", "yellow green", "orange yellow", "blue", "green", "red",
               "yellow", "magenta", "cyan", "white", "neutral 8", "neutral 6.5", "neutral 5", "neutral 3.5", "black")


def zoom(path, net, **options):
    from zoomstudio.core.events import Result
    from zoomstudio.core.infer import ZoomOptions, zoom_raw

    t0 = time.perf_counter()
    for ev in zoom_raw(path, net, ZoomOptions(with_bicubic=True, **options)):
        if isinstance(ev, Result):
            return ev.values, time.perf_counter() - t0
    raise RuntimeError("no result")


def at_region_size(img, roi):
    return cv2.resize(img, (roi[2], roi[3]), interpolation=cv2.INTER_AREA)


def main() -> None:
    from samples import ARW_NAME, DNG_NAME, sample as sample_path
    from zoomstudio.core.infer.colours import camera_view
    from zoomstudio.core.metrics import mean_delta_e
    from zoomstudio.core.metrics.colour_difference import delta_e_map
    from zoomstudio.core.nets import load_net
    from zoomstudio.core.raw import read_raw
    from zoomstudio.core.resources import default_model_path

    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=str(default_model_path(4)))
    args = ap.parse_args()
    net, _ = load_net(args.model)
    print(f"model: {Path(args.model).name}\n")
    print("| file | reference | colours | ours dE00 | bicubic dE00 | seconds |\n|---|---|---|---|---|---|")
    for name in (ARW_NAME, DNG_NAME):
        path = sample_path(name)
        raw = read_raw(path)
        for mode in ("camera", "libraw", "model"):
            res, seconds = zoom(path, net, colour=mode)
            roi = res["roi"]
            ref, source = camera_view(raw, roi)
            ours = mean_delta_e(at_region_size(res["image"], roi), ref, blur_sigma=4)
            bic = mean_delta_e(at_region_size(res["bicubic"], roi), ref, blur_sigma=4)
            print(f"| {name} | {source} | {mode} -> {res['colour']} | {ours:.2f} | {bic:.2f} | {seconds:.1f} |")
    # ColorChecker patches
    path = sample_path(DNG_NAME)
    raw = read_raw(path)
    ref, _ = camera_view(raw, CHART_ROI)
    x0, y0 = CHART_ROI[:2]
    rows = {}
    for mode in ("camera", "model"):
        res, _ = zoom(path, net, colour=mode, roi=CHART_ROI)
        rows[mode] = (at_region_size(res["image"], CHART_ROI), at_region_size(res["bicubic"], CHART_ROI))
    print("\nColorChecker (Canon DNG), CIEDE2000 of patch means against LibRaw's rendering:\n")
    print("| patch | ours (camera colours) | bicubic (camera colours) | ours (model colours) |\n|---|---|---|---|")
    totals = np.zeros(3)
    k = 0
    for py in PATCH_Y:
        for px in PATCH_X:
            sl = (slice(py - y0 - PATCH_HALF, py - y0 + PATCH_HALF), slice(px - x0 - PATCH_HALF, px - x0 + PATCH_HALF))
            mean = lambda img: img[sl].reshape(-1, 3).mean(axis=0)[None, None]  # noqa: E731
            r = mean(ref)
            vals = [float(delta_e_map(mean(rows["camera"][0]), r)[0, 0]), float(delta_e_map(mean(rows["camera"][1]), r)[0, 0]),
                    float(delta_e_map(mean(rows["model"][0]), r)[0, 0])]
            totals += vals
            print(f"| {PATCH_NAMES[k]} | {vals[0]:.2f} | {vals[1]:.2f} | {vals[2]:.2f} |")
            k += 1
    m = totals / 24
    print(f"| **mean** | **{m[0]:.2f}** | **{m[1]:.2f}** | **{m[2]:.2f}** |")


if __name__ == "__main__":
    main()
