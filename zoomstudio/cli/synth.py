"""``zoomstudio synth OUT``: render a synthetic SR-RAW dataset."""

from __future__ import annotations

import argparse


#: the camera presets of core.data.cameras.PRESETS, spelled out so that building the parser imports no numerics
CAMERA_PRESETS = ("fixed", "varied", "varied-wide", "unseen", "unseen-typical")


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 960x640, got {text!r}") from None
    return w, h


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("out", metavar="OUT", help="output root (sequence folders 00001, 00002, ... are created)")
    p.add_argument("--sequences", type=int, default=4, help="number of sequences (default 4)")
    p.add_argument("--seed", type=int, default=0, help="random seed; the output is identical for a seed")
    p.add_argument("--size", type=_size, default=(960, 640), help="sensor WxH in pixels, even (default 960x640)")
    p.add_argument("--source", nargs="+", default=[], metavar="FILE",
                   help="extra source photos or RAWs (added to the --photos set)")
    p.add_argument("--camera", choices=CAMERA_PRESETS, default="fixed",
                   help="fixed: one synthetic camera (default); varied: a camera drawn per sequence from real "
                        "cameras' colour matrices, noise, optics and JPEG styles (training); varied-wide: the same "
                        "with noise up to high ISO and stronger sharpening (training); unseen: held-out cameras in "
                        "harsh conditions (evaluation only); unseen-typical: held-out cameras at base-ISO noise "
                        "(evaluation only)")
    p.add_argument("--photos", choices=("skimage", "training", "unseen"), default=None,
                   help="scene photographs: skimage (scikit-image's, default), training (plus Debian's "
                        "mate-backgrounds and plasma-workspace-wallpapers photographs) or unseen (other photographs "
                        "of those packages, never in a training set; the default with the unseen cameras)")
    p.add_argument("--photo-root", default="/", metavar="DIR",
                   help="where those Debian packages are installed or extracted (default /)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace sequence folders that already exist in OUT (default: refuse, nothing is written)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.epilog = ("examples: zoomstudio synth demo-data --sequences 8 --seed 1 --size 1200x800\n"
                "          zoomstudio synth many-cameras --sequences 48 --seed 1 --camera varied --photos training")


def run(args: argparse.Namespace) -> int:
    from ..core.data.synth import SynthConfig, synthesize
    from ..core.fileio import OutputExistsError
    from .errors import CliError
    from ..core.events import CancelToken
    from .progress import TerminalProgress, consume, interruptible

    try:
        cfg = SynthConfig(sequences=args.sequences, seed=args.seed, size=args.size, sources=tuple(args.source),
                          camera=args.camera, photo_root=args.photo_root,
                          photos=args.photos or ("unseen" if args.camera.startswith("unseen") else "skimage"))
    except ValueError as exc:
        raise CliError(str(exc)) from None
    cancel = CancelToken()
    try:  # Ctrl-C: the sequence being rendered is dropped, the finished ones are kept
        results, problems, cancelled = consume(
            interruptible(synthesize(args.out, cfg, cancel, overwrite=args.overwrite), cancel),
            TerminalProgress(quiet=args.quiet))
    except OutputExistsError as exc:
        raise CliError(f"{exc} (a sequence folder of OUT)") from None
    if cancelled:
        return 130
    if not results:
        return 1
    r = results[-1].values
    print(f"wrote {len(r['sequences'])} sequences to {args.out} in {r['seconds']:.1f} s")
    return 0
