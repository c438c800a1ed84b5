"""``zoomstudio gui [PATH]``: its arguments and help. The ``zoomstudio`` command (zoomstudio.entry) opens the
app itself, so that the command line never imports the GUI."""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", nargs="?", help="an SR-RAW root to open, or a RAW file to zoom")
    p.epilog = "examples: zoomstudio gui\n          zoomstudio gui SR-RAW/test"


def run(args: argparse.Namespace) -> int:
    from .errors import CliError

    raise CliError("the desktop app opens through the zoomstudio command (zoomstudio gui [PATH]), "
                   "not through zoomstudio.cli")
