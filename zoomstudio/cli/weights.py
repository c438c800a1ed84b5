"""``zoomstudio weights status|fetch|import-zlz``: pretrained backbones, and the authors' released model."""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=("status", "fetch", "import-zlz"),
                   help="status: show the backbones' sources; fetch: obtain them now; import-zlz: convert the "
                        "authors' released TF1 checkpoint into a ZoomStudio model")
    p.add_argument("names", nargs="*", default=None, metavar="NAME_OR_DIR",
                   help="backbones (default: vgg19 alexnet vgg16); for import-zlz: the checkpoint folder")
    p.add_argument("--no-download", action="store_true", help="fetch: skip torchvision's download")
    p.add_argument("-o", "--output", help="import-zlz: the model file to write (default zlz-4x.safetensors)")
    p.add_argument("--overwrite", action="store_true", help="import-zlz: replace an existing output")
    p.epilog = ("examples: zoomstudio weights status\n          zoomstudio weights fetch vgg19\n"
                "          zoomstudio weights import-zlz zoom-learn-zoom/model -o zlz-4x.safetensors")


def _import_zlz(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..core.fileio import OutputExistsError, refuse_existing
    from ..core.nets import save_weights
    from ..core.nets.zlz_import import ZlzImportError, import_zlz
    from .errors import CliError

    if not args.names or len(args.names) != 1:
        raise CliError("import-zlz takes one checkpoint folder (the authors' model/ with model.ckpt.*)")
    out = Path(args.output or "zlz-4x.safetensors")
    try:
        refuse_existing([out], args.overwrite)
        net, info = import_zlz(args.names[0])
    except (OutputExistsError, ZlzImportError) as exc:
        raise CliError(str(exc)) from None
    save_weights(out, net, info=info)
    print(f"wrote {out}: the authors' 4X network ({sum(p.numel() for p in net.parameters()) / 1e6:.2f} M "
          f"parameters) from {info['source']}; use it with zoom / eval --model {out}")
    return 0


def run(args: argparse.Namespace) -> int:
    from ..core.backbones import BACKBONES, BackboneUnavailable, backbone_status, resolve_backbone
    from .errors import CliError

    if args.action == "import-zlz":
        return _import_zlz(args)
    names = args.names or ["vgg19", "alexnet", "vgg16"]
    bad = [n for n in names if n not in BACKBONES]
    if bad:
        raise CliError(f"unknown backbone(s) {', '.join(bad)}; known: {', '.join(BACKBONES)}")
    failed = 0
    for name in names:
        if args.action == "status":
            print(f"{name}: {backbone_status(name)}")
            continue
        try:
            w = resolve_backbone(name, allow_download=not args.no_download)
            print(f"{name}: {w.origin} (input: {w.preprocess})")
        except BackboneUnavailable as exc:
            failed += 1
            print(f"{name}: unavailable: {exc}")
    return 1 if failed else 0
