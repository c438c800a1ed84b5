"""``zoomstudio info FILE...``: RAW metadata, one line per file."""

from __future__ import annotations

import argparse
import json
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", metavar="FILE", help="RAW files (ARW, DNG, NEF, CR2, RAF, ...)")
    p.add_argument("--json", action="store_true", help="one JSON object per line instead of text")
    p.add_argument("--levels", action="store_true",
                   help="also the black and white levels, which LibRaw settles only while decoding the pixels "
                        "(slower: without it only the header is read, milliseconds per file)")
    p.epilog = "example: zoomstudio info shots/*.ARW    (zoomstudio info --levels DSC0001.ARW: black/white too)"


def _fmt_exposure(t: float | None) -> str:
    if not t:
        return "?"
    return f"1/{1 / t:.0f} s" if t < 1 else f"{t:g} s"


def describe(path: str, levels: bool = False) -> dict:
    """Metadata of one RAW as a JSON-ready dict, from its header (raises RawReadError).

    ``levels``: decode the pixels too, for the black and white levels LibRaw settles while decoding.
    ``zoomable`` is false (``reason`` says why) for sensors the zoom cannot take (X-Trans, linear DNG).
    """
    from ..core.raw import read_raw_metadata
    from ..core.raw.header import read_raw_header

    h = read_raw_header(path)
    e = h.exif
    d = {
        "file": str(path),
        "make": e.make,
        "model": e.model,
        "width": h.width,
        "height": h.height,
        "cfa": h.cfa,
        "iso": e.iso,
        "exposure_time": e.exposure_time,
        "focal_length": e.focal_length,
        "orientation": e.orientation or 1,
        "datetime": e.datetime,
        "wb_gains": None if h.wb_gains is None else [round(float(v), 4) for v in h.wb_gains],
        "zoomable": h.not_bayer is None,
    }
    if h.not_bayer is not None:
        d["reason"] = h.not_bayer
    elif levels:
        m = read_raw_metadata(path)
        d["black"] = [float(v) for v in m.black_per_channel]
        d["white"] = m.white_level
    return d


def format_line(d: dict) -> str:
    focal = f"{d['focal_length']:g} mm" if d["focal_length"] else "focal ?"
    iso = f"ISO {d['iso']:g}" if d["iso"] else "ISO ?"
    make, model = d["make"] or "", d["model"] or ""
    camera = (model if model.lower().startswith(make.lower()) else f"{make} {model}").strip() or "unknown camera"
    parts = [f"{d['width']}x{d['height']} {d['cfa'] or 'no Bayer CFA'}"]
    if "black" in d:
        parts.append(f"black {'/'.join(f'{b:g}' for b in sorted(set(d['black'])))}, white {d['white']}")
    parts += [iso, _fmt_exposure(d["exposure_time"]), focal, f"orientation {d['orientation']}"]
    wb = d["wb_gains"]
    parts.append(f"WB R {wb[0]:.3f} B {wb[2]:.3f}" if wb else "WB ?")
    if not d["zoomable"]:
        parts.append(f"cannot be zoomed: {d['reason']}")
    return f"{d['file']}: {camera}, " + ", ".join(parts)


def run(args: argparse.Namespace) -> int:
    from ..core.raw import RawReadError

    failed = 0
    for path in args.files:
        try:
            d = describe(path, levels=args.levels)
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
