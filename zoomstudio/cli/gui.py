"""``zoomstudio gui [PATH]``: open the desktop app (on a dataset folder or RAW file)."""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", nargs="?", help="an SR-RAW root to open, or a RAW file to zoom")
    p.epilog = "examples: zoomstudio gui\n          zoomstudio gui SR-RAW/test"


def launch(path: str | None) -> int:
    from ..gui.app import main

    return main(["zoomstudio"] + ([path] if path else []))


def run(args: argparse.Namespace) -> int:
    return launch(args.path)
