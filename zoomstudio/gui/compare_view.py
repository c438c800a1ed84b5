"""Compare: 2-4 linked panes, a split-slider before/after mode, and a metrics table."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSlider,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from .panes import ImagePane


def split_view(left: np.ndarray, right: np.ndarray, position: float) -> np.ndarray:
    """Left image up to ``position`` (0-1 of the width), right image after it, with a thin divider."""
    if left.shape != right.shape:
        raise ValueError(f"split view needs equal shapes, got {left.shape} and {right.shape}")
    out = right.copy()
    x = int(round(position * left.shape[1]))
    out[:, :x] = left[:, :x]
    if 0 < x < left.shape[1]:
        out[:, max(0, x - 1) : x + 1] = 1.0 if out.dtype != np.uint8 else 255
    return out


class CompareView(QWidget):
    """``set_images({name: image})`` fills up to 4 linked panes; ``set_metrics(report)`` the table."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.panes = [ImagePane() for _ in range(4)]
        for p in self.panes[1:]:
            p.link(self.panes[0])
        grid = QGridLayout()
        for i, p in enumerate(self.panes):
            grid.addWidget(p, i // 2, i % 2)
        self.split = QCheckBox("Split before / after (first two)")
        self.slider = QSlider(Qt.Horizontal)
        self.slider.setRange(0, 100)
        self.slider.setValue(50)
        self.protocol = QLabel("")
        self.protocol.setWordWrap(True)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Method", "PSNR", "SSIM", "LPIPS"])
        self.table.setMaximumHeight(220)
        controls = QHBoxLayout()
        controls.addWidget(self.split)
        controls.addWidget(self.slider, 1)
        lay = QVBoxLayout(self)
        lay.addLayout(grid, 1)
        lay.addLayout(controls)
        lay.addWidget(self.protocol)
        lay.addWidget(self.table)
        self.images: dict[str, np.ndarray] = {}
        for p in self.panes:  # shown once there is something to compare
            p.setVisible(False)
        self.split.toggled.connect(self._render)
        self.slider.valueChanged.connect(self._render)

    def set_images(self, images: dict[str, np.ndarray]) -> None:
        if not 1 <= len(images) <= 4:
            raise ValueError(f"compare shows 1 to 4 images, got {len(images)}")
        self.images = dict(images)
        self._render(autorange=True)

    def _render(self, *_, autorange: bool = False) -> None:
        names = list(self.images)
        for i, pane in enumerate(self.panes):
            pane.setVisible(i < len(names))
        if self.split.isChecked() and len(names) >= 2 and self.images[names[0]].shape == self.images[names[1]].shape:
            pos = self.slider.value() / 100
            self.panes[0].set_image(split_view(self.images[names[0]], self.images[names[1]], pos),
                                    f"{names[0]} | {names[1]}", autorange=autorange)
            self.panes[1].setVisible(False)
            start = 2
        else:
            start = 0
        for i in range(start, len(names)):
            self.panes[i].set_image(self.images[names[i]], names[i], autorange=autorange)

    def set_metrics(self, report: dict) -> None:
        """Fill the table from an ``evaluate`` report (ours and the paper's reported numbers)."""
        self.protocol.setText(f"Protocol: {report.get('protocol_text', '')}  ({report.get('pairs', 0)} pairs, "
                              f"{report.get('scale', '?')}X)")
        rows = []
        for name, m in report["methods"].items():
            rows.append((name, m.get("psnr"), m.get("ssim"), m.get("lpips"), m.get("lpips_unavailable")))
            rep = m.get("reported")
            if rep:
                rows.append((f"{name} (reported)", rep["psnr"], rep["ssim"], rep["lpips"], None))
        self.table.setRowCount(len(rows))
        for r, (name, psnr, ssim, lpips, why) in enumerate(rows):
            cells = [name, _fmt(psnr, ".2f"), _fmt(ssim, ".4f"), _fmt(lpips, ".4f") if why is None else "n/a"]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if why and c == 3:
                    item.setToolTip(f"LPIPS unavailable: {why}")
                if "reported" in name:
                    item.setForeground(Qt.gray)
                self.table.setItem(r, c, item)


def _fmt(v, f: str) -> str:
    return "n/a" if v is None else format(v, f)
