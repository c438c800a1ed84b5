"""``zoomstudio zoom FILES_OR_DIRS...``: learned digital zoom of RAW files."""

from __future__ import annotations

import argparse
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
    p.add_argument("--format", choices=("tiff", "png", "png8", "jpeg", "dng"), default="tiff",
                   help="tiff / png: 16-bit (default tiff); png8 / jpeg: 8-bit; dng: 16-bit linear DNG with "
                        "the camera's white balance, colour matrix and EXIF, to finish in a raw developer")
    p.add_argument("--colour", "--color", dest="colour", choices=("camera", "libraw", "model"), default="camera",
                   help="camera: the camera's own colours, from its JPEG (embedded preview or a sibling .JPG; "
                        "default); libraw: the file's white balance and colour matrix, sRGB; model: the "
                        "network's learned rendering")
    p.add_argument("--tile", type=int, help="decoder tile size in input pixels (default: from --memory)")
    p.add_argument("--memory", type=float, default=1024, help="memory budget per tile in MB (default 1024)")
    p.add_argument("--device", default="auto", help="cpu, cuda, cuda:N or auto")
    p.add_argument("--precision", choices=("auto", "fp32"), default="auto",
                   help="auto: bfloat16 where the device runs it natively (visually lossless: >= 99 %% of "
                        "8-bit values within one level, >= 50 dB against float32), else float32 (default); "
                        "fp32: float32 always")
    p.add_argument("--overwrite", action="store_true",
                   help="replace outputs that already exist (default: refuse, nothing is written)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.epilog = ("examples: zoomstudio zoom DSC2164.ARW\n"
                "          zoomstudio zoom shoot/ --scale 4 --format png -o zoomed/\n"
                "          zoomstudio zoom IMG_0001.CR2 --roi 2000,1200,1024,768 --model runs/x/checkpoints/best.safetensors")


def run(args: argparse.Namespace) -> int:
    from ..core.device import pick_device
    from ..core.events import CancelToken, Cancelled, Problem, Progress, Result
    from ..core.fileio import OutputExistsError, output_paths, refuse_existing, unwritable_reason
    from ..core.infer import FORMATS, ZoomOptions, write_image, zoom_description
    from ..core.infer.batch import load_zoom_model, zoom_files
    from ..core.infer.inputs import NO_RAWS, collect_raws
    from .errors import CliError
    from .progress import TerminalProgress, interruptible

    try:
        device = str(pick_device(args.device))
        opts = ZoomOptions(roi=args.roi, tile=args.tile, memory_mb=args.memory, device=device, colour=args.colour,
                           precision=args.precision)
        net, model_name = load_zoom_model(args.model, args.scale, device)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    files, missing = collect_raws(args.inputs)
    out_dir = Path(args.output) if args.output else None
    if out_dir:
        if out_dir.exists() and not out_dir.is_dir():
            raise CliError(f"{out_dir}: not a folder")
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CliError(f"{out_dir}: cannot create the output folder ({exc.strerror or exc})") from None
    targets = dict(zip(files, output_paths(files, out_dir, f"_zoom{args.scale}x{FORMATS[args.format]}")))
    try:  # before any work: never replace a file this run did not write
        refuse_existing(targets.values(), args.overwrite)
    except OutputExistsError as exc:
        raise CliError(str(exc)) from None
    for folder in sorted({t.parent for t in targets.values()}):
        if unwritable_reason(folder):
            raise CliError(f"{folder}: the output folder is not writable ({unwritable_reason(folder)})")
    failures = len(missing)
    for m in missing:
        print(f"{m}: {NO_RAWS}", flush=True)
    progress = TerminalProgress(quiet=args.quiet)
    cancel = CancelToken()
    # first Ctrl-C: finish cleanly (no half-written file), exit 130
    for ev in interruptible(zoom_files(files, net, opts, model_name=model_name, cancel=cancel), cancel):
        if isinstance(ev, Progress):
            progress.update(ev)
        elif isinstance(ev, Problem):
            failures += 1
            progress.message(f"{ev.item}: error: {ev.reason}")
        elif isinstance(ev, Cancelled):
            progress.message(f"zoomstudio zoom: {ev.message}")
            return 130
        elif isinstance(ev, Result):
            path, result, target = Path(ev.item), ev.values, targets[Path(ev.item)]
            try:
                write_image(target, result["image"], args.format, exif=result["exif"],
                            description=zoom_description(result, path.name), overwrite=args.overwrite,
                            colour=result["camera_colour"], xyz_to_cam=result["xyz_to_cam"])
            except (OSError, ValueError) as exc:
                failures += 1
                why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
                progress.message(f"{path}: error: cannot write {target}: {why}")
                continue
            note = f"; {result['colour_note']}" if result["colour_note"] else ""
            progress.message(f"{path}: wrote {target} ({result['image'].shape[1]}x{result['image'].shape[0]}, "
                             f"{result['colour']} colours, {result['seconds']:.1f} s{note})")
    return 1 if failures else 0
