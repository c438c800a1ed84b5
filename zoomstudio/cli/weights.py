"""``zoomstudio weights status|fetch``: where the pretrained backbones come from."""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=("status", "fetch"), help="status: show sources; fetch: obtain them now")
    p.add_argument("names", nargs="*", default=["vgg19", "alexnet", "vgg16"],
                   help="backbones (default: vgg19 alexnet vgg16)")
    p.add_argument("--no-download", action="store_true", help="fetch: skip torchvision's download")
    p.epilog = "examples: zoomstudio weights status\n          zoomstudio weights fetch vgg19"


def run(args: argparse.Namespace) -> int:
    from ..core.backbones import BACKBONES, BackboneUnavailable, backbone_status, resolve_backbone
    from .main import CliError

    bad = [n for n in args.names if n not in BACKBONES]
    if bad:
        raise CliError(f"unknown backbone(s) {', '.join(bad)}; known: {', '.join(BACKBONES)}")
    failed = 0
    for name in args.names:
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
