"""Render every tab of the app offscreen to PNG (the README's screenshots).

Usage: QT_QPA_PLATFORM=offscreen python scripts/render_screenshots.py [DATA_ROOT] [--out docs/screenshots]
Without DATA_ROOT a small synthetic dataset is rendered and aligned first.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("root", nargs="?")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "docs" / "screenshots"))
    args = ap.parse_args()
    os.environ.setdefault("ZOOMSTUDIO_CONFIG_DIR", tempfile.mkdtemp())
    from PySide6.QtWidgets import QApplication

    from zoomstudio.gui.app import demo_events
    from zoomstudio.gui.main_window import MainWindow

    app = QApplication(sys.argv[:1])
    root = Path(args.root) if args.root else Path(tempfile.mkdtemp()) / "demo"
    if not args.root:
        for _ in demo_events(root):
            pass
    w = MainWindow()
    w.resize(1500, 950)
    w.show()
    w.open_dataset(root)

    def pump(cond, timeout=60):
        t = time.time()
        while not cond() and time.time() - t < timeout:
            app.processEvents()
            time.sleep(0.02)
        for _ in range(20):
            app.processEvents()

    pump(lambda: bool(w.inspector.previews))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    w.inspector.mode.setCurrentText("checkerboard")
    names = ["fov", "alignment", "training", "compare", "zoom"]
    if w.datasets.index is not None:
        w.evaluate_dataset()
        pump(lambda: w.compare.table.rowCount() > 0 and w.compare.evaluate.isEnabled(), timeout=300)
    for i, name in enumerate(names):
        if name == "zoom" and w.datasets.index is not None:  # zoom the widest shot of the first sequence
            seq = w.datasets.index.sequences[0]
            w.zooming.add_files([seq.shots[-1].raw_path])
            pump(lambda: bool(w.zooming.results) and not w.zooming.job.running, timeout=300)
        w.tabs.setCurrentIndex(i)
        pump(lambda: True, timeout=0)
        w.grab().save(str(out / f"{name}.png"))
        print(out / f"{name}.png")
    w.shutdown()


if __name__ == "__main__":
    main()
