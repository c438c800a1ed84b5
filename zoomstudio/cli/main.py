"""Entry point of the ``zoomstudio`` command.

Only argparse and the standard library are imported here so that
``zoomstudio --help`` answers at once; each sub-command imports its heavy
dependencies (torch, cv2, rawpy) when it runs.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

from .. import __version__
from .errors import EXIT_INTERRUPTED, EXIT_SOME_FAILED, EXIT_USAGE, CliError

#: sub-command -> (module in zoomstudio.cli, one-line help)
COMMANDS = {
    "info": ("info", "print RAW metadata, one line per file"),
    "synth": ("synth", "render a synthetic SR-RAW dataset from real photos"),
    "align": ("align", "ECC-align SR-RAW sequences and write tform.txt / wb.txt"),
    "train": ("train", "train or resume the zoom network (CoBi losses); torchrun-ready"),
    "zoom": ("zoom", "learned digital zoom of RAW files to 16-bit TIFF / PNG"),
    "eval": ("evaluate", "PSNR / SSIM / LPIPS of bicubic, baselines and our model on SR-RAW pairs"),
    "experiment": ("experiment", "the paper's controlled experiments (controls: raw vs syn-raw vs png, Table 2)"),
    "weights": ("weights", "show or fetch the pretrained backbones (VGG-19, AlexNet, VGG-16)"),
    "gui": ("gui", "open the desktop app (also what `zoomstudio` alone does)"),
    "doctor": ("doctor", "check this installation (versions, devices, weights, child jobs)"),
}




def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zoomstudio",
        description="Learned digital zoom from camera RAW files (Zoom to Learn, Learn to Zoom).",
    )
    parser.add_argument("--version", action="version", version=f"zoomstudio {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    parser.add_argument("--debug", action="store_true", help="show the Python traceback of an unexpected error")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        importlib.import_module(f".{module}", __package__).add_arguments(p)
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        p.set_defaults(_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    # tifffile warns about every non-TIFF RAW we probe for EXIF; those are expected.
    logging.getLogger("tifffile").setLevel(max(level, logging.ERROR))
    if not args.command:  # options only: the app is opened by zoomstudio.entry, never from here
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    module = importlib.import_module(f".{args._module}", __package__)
    try:
        return int(module.run(args) or 0)
    except CliError as exc:
        print(f"zoomstudio {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"zoomstudio {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except OSError as exc:  # a read-only folder, a full disk, a vanished file: what and where, one line
        if args.debug:
            raise
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"zoomstudio {args.command}: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_SOME_FAILED
    except Exception as exc:  # a bug of ours: still one line, the traceback on request
        if args.debug or os.environ.get("ZOOMSTUDIO_DEBUG"):
            raise
        text = " ".join(str(exc).split())[:300]
        print(f"zoomstudio {args.command}: internal error: {type(exc).__name__}: {text} "
              "(rerun with --debug for the traceback)", file=sys.stderr)
        return EXIT_SOME_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
