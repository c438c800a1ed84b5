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
        if name == "zoom":  # a real camera RAW when the shared samples are there, else the widest demo shot
            raw = Path(__file__).resolve().parents[2] / "shared" / "data" / "raw-samples" / "sony_ilce7rm3_DSC2164.ARW"
            if not raw.exists() and w.datasets.index is not None:
                raw = w.datasets.index.sequences[0].shots[-1].raw_path
            w.zoom.add_files([raw])  # queued (its preview loads), not yet zoomed: the region comes first
            pump(lambda: w.zoom.preview_path == str(raw), timeout=120)
            h, wd = w.zoom.preview.image.shape[:2]
            w.zoom.custom_region.setChecked(True)
            w.zoom.roi.setPos((wd * 0.47, h * 0.40), finish=False)  # a small region of the frame's middle
            w.zoom.roi.setSize((wd * 0.08, h * 0.08), finish=False)
            w.zooming.run_queue()
            pump(lambda: bool(w.zooming.results) and not w.zooming.job.running, timeout=600)
            # Compare after the zoom: bicubic | ours split, the loupe on a detail
            w.tabs.setCurrentWidget(w.compare)
            pane = w.compare.panes[0]
            img_h, img_w = pane.image.shape[:2]
            w.compare.loupe.setChecked(True)
            pane.hovered.emit(img_w // 2 + 40, img_h // 2)
            pump(lambda: True, timeout=0)
            w.grab().save(str(out / "compare-zoom.png"))
            print(out / "compare-zoom.png")
        w.tabs.setCurrentIndex(i)
        pump(lambda: True, timeout=0)
        w.grab().save(str(out / f"{name}.png"))
        print(out / f"{name}.png")
    w.shutdown()


if __name__ == "__main__":
    main()
