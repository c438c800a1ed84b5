"""``zoomstudio zoom FILES_OR_DIRS...``: learned digital zoom of RAW files."""

from __future__ import annotations

import argparse
import os
from pathlib import Path


def _roi(text: str) -> tuple[int, int, int, int]:
    try:
        x, y, w, h = (int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"roi must be x,y,w,h in sensor pixels, got {text!r}") from None
    return x, y, w, h


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("inputs", nargs="+", metavar="FILE_OR_DIR", help="RAW files, or folders of RAW files")
    p.add_argument("--scale", type=int, default=4, choices=(2, 4, 8), help="zoom factor (default 4)")
    p.add_argument("--roi", type=_roi, help="region x,y,w,h in sensor pixels (default: centre 1/scale)")
    p.add_argument("--model", help="weights file (.safetensors); default: the bundled model for --scale")
    p.add_argument("-o", "--output", help="output folder (default: next to each input)")
    p.add_argument("--format", choices=("tiff", "png", "png8", "jpeg"), default="tiff",
                   help="tiff / png: 16-bit (default tiff); png8 / jpeg: 8-bit")
    p.add_argument("--colour", "--color", dest="colour", choices=("camera", "libraw", "model"), default="camera",
                   help="camera: the camera's own colours, from its JPEG (embedded preview or a sibling .JPG; "
                        "default); libraw: the file's white balance and colour matrix, sRGB; model: the "
                        "network's learned rendering")
    p.add_argument("--tile", type=int, help="decoder tile size in input pixels (default: from --memory)")
    p.add_argument("--memory", type=float, default=1024, help="memory budget per tile in MB (default 1024)")
    p.add_argument("--device", default="auto", help="cpu, cuda, cuda:N or auto")
    p.add_argument("--overwrite", action="store_true",
                   help="replace outputs that already exist (default: refuse, nothing is written)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.epilog = ("examples: zoomstudio zoom DSC2164.ARW\n"
                "          zoomstudio zoom shoot/ --scale 4 --format png -o zoomed/\n"
                "          zoomstudio zoom IMG_0001.CR2 --roi 2000,1200,1024,768 --model runs/x/checkpoints/best.safetensors")


def resolve_model(model: str | None, scale: int):
    """Load the requested (or bundled) model; returns (net, name). Raises CliError."""
    from ..core.nets import WeightsError, load_net
    from ..core.resources import default_model_path
    from .errors import CliError

    path = Path(model) if model else default_model_path(scale)
    if not path.exists():
        raise CliError(f"{path}: no such model" + ("" if model else f" (no bundled {scale}X model; pass --model)"))
    try:
        net, info = load_net(path)
    except WeightsError as exc:
        raise CliError(str(exc)) from None
    if net.config.zoom != scale:
        raise CliError(f"{path}: a {net.config.zoom}X model cannot zoom {scale}X")
    return net, path.name


def run(args: argparse.Namespace) -> int:
    from ..core.events import Cancelled, Progress, Result
    from ..core.fileio import OutputExistsError, output_paths, refuse_existing
    from ..core.infer import FORMATS, ZoomOptions, write_image, zoom_description, zoom_raw
    from ..core.infer.inputs import collect_raws
    from ..core.raw import RawReadError
    from ..core.device import pick_device
    from .errors import CliError
    from .progress import TerminalProgress

    try:
        device = str(pick_device(args.device))
        opts = ZoomOptions(roi=args.roi, tile=args.tile, memory_mb=args.memory, device=device, colour=args.colour)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    net, model_name = resolve_model(args.model, args.scale)
    files, missing = collect_raws(args.inputs)
    out_dir = Path(args.output) if args.output else None
    if out_dir:
        if out_dir.exists() and not out_dir.is_dir():
            raise CliError(f"{out_dir}: not a folder")
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CliError(f"{out_dir}: cannot create the output folder ({exc.strerror or exc})") from None
    targets = output_paths(files, out_dir, f"_zoom{args.scale}x{FORMATS[args.format]}")
    try:  # before any work: never replace a file this run did not write
        refuse_existing(targets, args.overwrite)
    except OutputExistsError as exc:
        raise CliError(str(exc)) from None
    for folder in sorted({t.parent for t in targets}):
        if folder.is_dir() and not os.access(folder, os.W_OK | os.X_OK):
            raise CliError(f"{folder}: the output folder is not writable")
    failures = len(missing)
    for m in missing:
        print(f"{m}", flush=True)
    progress = TerminalProgress(quiet=args.quiet)
    for i, (path, target) in enumerate(zip(files, targets)):
        try:
            result = None
            for ev in zoom_raw(path, net, opts, model_name=model_name):
                if isinstance(ev, Progress):
                    progress.update(Progress(i * 3 + ev.done, 3 * len(files), ev.message))
                elif isinstance(ev, Result):
                    result = ev.values
                elif isinstance(ev, Cancelled):
                    return 130
            write_image(target, result["image"], args.format, exif=result["exif"],
                        description=zoom_description(result, path.name), overwrite=args.overwrite)
            note = f"; {result['colour_note']}" if result["colour_note"] else ""
            progress.message(f"{path}: wrote {target} ({result['image'].shape[1]}x{result['image'].shape[0]}, "
                             f"{result['colour']} colours, {result['seconds']:.1f} s{note})")
        except (RawReadError, ValueError, OSError) as exc:
            failures += 1
            if isinstance(exc, RawReadError):
                reason = exc.reason
            elif isinstance(exc, OSError) and not isinstance(exc, OutputExistsError):
                reason = f"cannot write {target}: {exc.strerror or exc}"
            else:
                reason = str(exc)
            progress.message(f"{path}: error: {reason}")
    return 1 if failures else 0
