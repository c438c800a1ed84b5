"""``zoomstudio info FILE...``: RAW metadata, one line per file."""

from __future__ import annotations

import argparse
import json
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", metavar="FILE", help="RAW files (ARW, DNG, NEF, CR2, RAF, ...)")
    p.add_argument("--json", action="store_true", help="one JSON object per line instead of text")
    p.epilog = "example: zoomstudio info shots/*.ARW"


def _fmt_exposure(t: float | None) -> str:
    if not t:
        return "?"
    return f"1/{1 / t:.0f} s" if t < 1 else f"{t:g} s"


def describe(path: str) -> dict:
    """Metadata of one RAW as a JSON-ready dict (raises RawReadError)."""
    from ..core.raw import read_raw_metadata

    m = read_raw_metadata(path)
    return {
        "file": str(path),
        "make": m.make,
        "model": m.model,
        "width": m.width,
        "height": m.height,
        "cfa": m.cfa,
        "black": [float(v) for v in m.black_per_channel],
        "white": m.white_level,
        "iso": m.iso,
        "exposure_time": m.exposure_time,
        "focal_length": m.focal_length,
        "orientation": m.orientation,
        "datetime": m.exif.datetime,
        "wb_gains": [round(float(v), 4) for v in m.wb_gains],
    }


def format_line(d: dict) -> str:
    black = sorted(set(d["black"]))
    black_txt = "/".join(f"{b:g}" for b in black)
    focal = f"{d['focal_length']:g} mm" if d["focal_length"] else "focal ?"
    iso = f"ISO {d['iso']:g}" if d["iso"] else "ISO ?"
    camera = " ".join(x for x in (d["make"], d["model"]) if x) or "unknown camera"
    wb = d["wb_gains"]
    return (
        f"{d['file']}: {camera}, {d['width']}x{d['height']} {d['cfa']}, black {black_txt}, white {d['white']}, "
        f"{iso}, {_fmt_exposure(d['exposure_time'])}, {focal}, orientation {d['orientation']}, "
        f"WB R {wb[0]:.3f} B {wb[2]:.3f}"
    )


def run(args: argparse.Namespace) -> int:
    from ..core.raw import RawReadError

    failed = 0
    for path in args.files:
        try:
            d = describe(path)
        except RawReadError as exc:
            failed += 1
            if args.json:
                print(json.dumps({"file": str(path), "error": exc.reason}))
            else:
                print(f"{exc.path}: error: {exc.reason}")
            continue
        print(json.dumps(d) if args.json else format_line(d))
        sys.stdout.flush()
    return 1 if failed else 0
