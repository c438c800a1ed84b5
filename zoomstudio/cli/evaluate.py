"""``zoomstudio eval DATA``: PSNR / SSIM / LPIPS / CIEDE2000 of bicubic, baselines and our model, with the protocol."""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", metavar="DATA", help="an SR-RAW-layout root (ARW or DNG + JPG per shot)")
    p.add_argument("--scale", type=int, default=4, choices=(2, 4, 8))
    p.add_argument("--methods", default="bicubic,ours",
                   help="comma-separated: bicubic, ours, png, syn-raw, or names given with --baseline")
    p.add_argument("--model", help="our model (default: the bundled one for --scale)")
    p.add_argument("--png-model", help="RGB-input model for the 'png' control")
    p.add_argument("--syn-raw-model", help="model trained on synthetic RAW for the 'syn-raw' control")
    p.add_argument("--baseline", action="append", default=[], metavar="NAME=PATH",
                   help="external baseline weights (any architecture spandrel loads), repeatable")
    p.add_argument("--split", choices=("train", "val", "test"), help="evaluate one seeded split only")
    p.add_argument("--align", default="euclidean", help="ECC model aligning target to output, or none")
    p.add_argument("--color", default="gain", choices=("none", "gain", "histogram"),
                   help="colour matching before PSNR / SSIM / LPIPS (delta E is measured before it)")
    p.add_argument("--ours-colour", default="camera", choices=("camera", "libraw", "model"),
                   help="colours of the RAW-input models' output, as zoom --colour (default camera: from the "
                        "input's camera JPEG, the same colours bicubic has)")
    p.add_argument("--border", type=int, default=16, help="border crop in pixels")
    p.add_argument("--space", default="rgb", choices=("rgb", "y"))
    p.add_argument("--lpips", default="alex", choices=("alex", "vgg", "off"), help="LPIPS network")
    p.add_argument("--max-pairs", type=int, help="evaluate at most this many pairs")
    p.add_argument("--device", default="auto")
    p.add_argument("--json", help="write the full report as JSON")
    p.add_argument("--csv", help="write per-pair scores as CSV")
    p.add_argument("--overwrite", action="store_true", help="replace existing --json / --csv files")
    p.add_argument("-q", "--quiet", action="store_true")
    p.epilog = ("examples: zoomstudio eval SR-RAW/test --scale 4 --methods bicubic,ours --json report.json\n"
                "          zoomstudio eval heldout --methods bicubic,ours,esrgan --baseline esrgan=RRDB_ESRGAN_x4.pth")


def format_table(report: dict) -> str:
    lines = [f"{report['scale']}X, {report['pairs']} pairs; protocol: {report['protocol_text']}",
             f"{'method':<12} {'PSNR':>7} {'SSIM':>7} {'LPIPS':>7} {'dE00':>6}   reported (SSIM / PSNR / LPIPS)"]
    for name, m in report["methods"].items():
        def f(v, fmt):
            return format(v, fmt) if v is not None else "n/a"

        rep = m.get("reported")
        rep_txt = f"{rep['ssim']:.3f} / {rep['psnr']:.2f} / {rep['lpips']:.3f}" if rep else "-"
        lines.append(f"{name:<12} {f(m['psnr'], '7.2f'):>7} {f(m['ssim'], '7.4f'):>7} {f(m['lpips'], '7.4f'):>7} "
                     f"{f(m.get('delta_e'), '6.2f'):>6}   {rep_txt}")
        if m.get("lpips_unavailable"):
            lines.append(f"{'':<12} LPIPS unavailable: {m['lpips_unavailable']}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from ..core.fileio import OutputExistsError, atomic_write_text, refuse_existing, unwritable_reason
    from ..core.evaluation import evaluate
    from ..core.metrics import EvalProtocol, parse_methods
    from ..core.device import pick_device
    from .errors import CliError
    from ..core.events import CancelToken
    from .progress import TerminalProgress, consume, interruptible

    extra = {}
    for item in args.baseline:
        if "=" not in item:
            raise CliError(f"--baseline must be NAME=PATH, got {item!r}")
        name, path = item.split("=", 1)
        extra[name.strip()] = path
    if args.png_model:
        extra["png"] = args.png_model
    if args.syn_raw_model:
        extra["syn-raw"] = args.syn_raw_model
    try:
        methods = parse_methods(args.methods, args.model, extra)
        protocol = EvalProtocol(align=args.align, color=args.color, border=args.border, space=args.space,
                                lpips_net="alex" if args.lpips == "off" else args.lpips)
        device = str(pick_device(args.device))
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if not Path(args.data).is_dir():
        raise CliError(f"{args.data}: not a folder")
    outputs = [Path(p) for p in (args.json, args.csv) if p]
    try:  # before the (long) evaluation: an existing report is the user's, and the folder must take files
        refuse_existing(outputs, args.overwrite)
    except OutputExistsError as exc:
        raise CliError(str(exc)) from None
    for out in outputs:
        why = "no such folder" if not out.parent.exists() else unwritable_reason(out.parent)
        if why:
            raise CliError(f"{out}: cannot write there ({why})")
    cancel = CancelToken()
    try:
        events = evaluate(args.data, args.scale, methods, protocol, split=args.split, device=device,
                          with_lpips=args.lpips != "off", max_pairs=args.max_pairs, colour=args.ours_colour,
                          cancel=cancel)
        results, problems, cancelled = consume(interruptible(events, cancel), TerminalProgress(quiet=args.quiet))
    except (ValueError, OSError) as exc:
        raise CliError(str(exc)) from None
    if cancelled:
        return 130
    if not results:
        raise CliError(f"{args.data}: nothing evaluated" + (f" ({problems[-1]})" if problems else ""))
    report = results[-1].values
    print(format_table(report))
    if args.json:
        atomic_write_text(args.json, json.dumps({k: v for k, v in report.items() if k not in ("preview", "previews")}, indent=1))
    if args.csv:
        rows = []
        for r in report["per_pair"]:
            for name in report["methods"]:
                if name in r:
                    rows.append({"pair": r["pair"], "method": name, **r[name]})
        import io

        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=["pair", "method", "psnr", "ssim", "lpips", "delta_e"])
        writer.writeheader()
        writer.writerows(rows)
        atomic_write_text(args.csv, buf.getvalue())
    return 0
