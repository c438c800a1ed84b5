"""Compare: 2-4 linked panes, a split-slider before/after mode, a pair picker and a metrics table.

After an evaluation every pair can be picked; the panes show bicubic, one
external baseline (chosen when there are several), ours and the ground truth,
each titled with its PSNR / SSIM / LPIPS on that pair. External baselines (any
single-image SR ``.pth`` / ``.safetensors`` spandrel reads) are added here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import qtawesome as qta
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSlider,
    QSpinBox,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
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


#: method names the paper reports (design.md section 1): a baseline file named after one gets its row
KNOWN_BASELINES = ("srresnet", "esrgan", "srgan", "lapsrn", "johnson")


def baseline_name(path: str | Path, taken: set[str] = frozenset()) -> str:
    """A method name for a baseline file: a known method its name contains, else its stem; unique."""
    stem = Path(path).stem.lower()
    name = next((k for k in KNOWN_BASELINES if k in stem), stem)  # srresnet before srgan's substring
    candidate, n = name, 2
    while candidate in taken or candidate in ("bicubic", "ours", "ground truth"):
        candidate, n = f"{name}-{n}", n + 1
    return candidate


def pick_panes(names: list[str], baseline: str | None) -> list[str]:
    """At most 4 of ``names`` (methods then "ground truth"): bicubic, one baseline, ours, ground truth."""
    if len(names) <= 4:
        return names
    fixed = [n for n in ("bicubic", "ours", "ground truth") if n in names]
    others = [n for n in names if n not in fixed]
    chosen = baseline if baseline in others else others[0]
    order = [n for n in names if n in fixed or n == chosen]
    return order[:4]


class CompareView(QWidget):
    """``set_images({name: image})`` fills up to 4 linked panes; ``set_report(report)`` shows an evaluation.

    ``evaluate_requested`` asks the window to evaluate the open dataset with
    :meth:`baselines` beside bicubic and ours.
    """

    evaluate_requested = Signal()
    open_dataset_requested = Signal()
    open_raw_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.report: dict | None = None
        self._scores: dict[str, dict] = {}  # pair name -> its per-method scores, from the report
        self.pair = QComboBox()
        self.pair.setMinimumContentsLength(28)
        self.pair.setToolTip("Evaluated pair shown in the panes")
        self.baseline = QComboBox()
        self.baseline.setToolTip("Which external baseline fills the second pane")
        self.baseline_list = QListWidget()
        self.baseline_list.setMaximumHeight(64)
        self.baseline_list.setToolTip("External baselines evaluated beside bicubic and ours (spandrel model files)")
        self.add_baseline = QPushButton("Add baseline…")
        self.remove_baseline = QPushButton("Remove")
        self.evaluate = QPushButton("Evaluate dataset")
        self.open_table = QPushButton("Open table…")
        self.open_table.setToolTip("Show a saved evaluation: `zoomstudio experiment controls` table.json (the "
                                   "paper's Table 2 controls) or an `eval --json` report")
        self.open_table.clicked.connect(self._browse_table)
        self.cancel_evaluation = QPushButton("Cancel")
        self.cancel_evaluation.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.max_pairs = QSpinBox()
        self.max_pairs.setRange(0, 1_000_000)
        self.max_pairs.setValue(8)
        self.max_pairs.setSpecialValueText("all pairs")
        self.max_pairs.setSuffix(" pairs")
        self.max_pairs.setToolTip("How many pairs of the open dataset to evaluate (0: all; side-by-side views are "
                                  "kept for the first 50)")
        self.add_baseline.clicked.connect(self._browse_baseline)
        self.remove_baseline.clicked.connect(self._remove_selected)
        self.evaluate.clicked.connect(self.evaluate_requested)
        self.pair.currentIndexChanged.connect(self.show_pair)
        self.baseline.currentIndexChanged.connect(lambda _: self.show_pair(self.pair.currentIndex()))
        # one tidy bar: evaluate, baselines, saved tables
        bar = QHBoxLayout()
        for w in (self.evaluate, self.max_pairs, self.cancel_evaluation):
            bar.addWidget(w)
        bar.addSpacing(16)
        for w in (self.add_baseline, self.remove_baseline):
            bar.addWidget(w)
        bar.addSpacing(16)
        bar.addWidget(self.open_table)
        bar.addWidget(self.progress, 1)
        bar.addStretch(1)
        self.evaluate.setIcon(qta.icon("mdi.play-circle-outline"))
        self.add_baseline.setIcon(qta.icon("mdi.plus"))
        self.open_table.setIcon(qta.icon("mdi.folder-open"))
        self.remove_baseline.setText("Remove baseline")
        picker = QHBoxLayout()
        self.pair_label, self.baseline_label = QLabel("Pair"), QLabel("Baseline")
        picker.addWidget(self.pair_label)
        picker.addWidget(self.pair, 1)
        picker.addWidget(self.baseline_label)
        picker.addWidget(self.baseline)
        self.panes = [ImagePane() for _ in range(4)]
        for p in self.panes[1:]:
            p.link(self.panes[0])
        for p in self.panes:
            p.hovered.connect(self._hovered)
        grid_host = QWidget()
        grid = QGridLayout(grid_host)
        grid.setContentsMargins(0, 0, 0, 0)
        for i, p in enumerate(self.panes):
            grid.addWidget(p, i // 2, i % 2)
        self.empty = _empty_state(self)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(grid_host)
        # the view's tools, under the images as in a photo viewer
        self.split = QCheckBox("Split before / after")
        self.split.setToolTip("The first two images in one pane, divided where the slider says")
        self.split.clicked.connect(lambda: setattr(self, "_split_chosen", True))
        self.slider = QSlider(Qt.Horizontal)
        self.slider.setRange(0, 100)
        self.slider.setValue(50)
        self.fit_button = QToolButton()
        self.fit_button.setText("Fit")
        self.fit_button.setToolTip("Whole images, as large as the panes allow")
        self.fit_button.clicked.connect(self.fit)
        self.one_to_one = QToolButton()
        self.one_to_one.setText("1:1")
        self.one_to_one.setToolTip("100 %: one image pixel per screen pixel, in every pane")
        self.one_to_one.clicked.connect(self.actual_pixels)
        self.loupe = QToolButton()
        self.loupe.setText("Loupe")
        self.loupe.setIcon(qta.icon("mdi.magnify"))
        self.loupe.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        self.loupe.setCheckable(True)
        self.loupe.setToolTip("Magnify the pixels under the pointer, the same pixels in every pane")
        self.loupe.toggled.connect(self._loupe_toggled)
        self.view_tools = QWidget()
        tools = QHBoxLayout(self.view_tools)
        tools.setContentsMargins(0, 0, 0, 0)
        tools.addWidget(self.split)
        tools.addWidget(self.slider, 1)
        for b in (self.fit_button, self.one_to_one, self.loupe):
            tools.addWidget(b)
        self.protocol = QLabel("")
        self.protocol.setWordWrap(True)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Method", "PSNR", "SSIM", "LPIPS"])
        self.table.setMaximumHeight(220)  # a Table 2 report: four methods and their reported rows
        self.baselines_box = QWidget()
        listed = QVBoxLayout(self.baselines_box)
        listed.setContentsMargins(0, 0, 0, 0)
        listed.addWidget(_wrapped("External baselines (spandrel model files), evaluated beside bicubic and ours:"))
        listed.addWidget(self.baseline_list, 1)
        tables = QHBoxLayout()
        tables.addWidget(self.table, 2)
        tables.addWidget(self.baselines_box, 1)
        lay = QVBoxLayout(self)
        lay.addLayout(bar)
        lay.addLayout(picker)
        lay.addWidget(self.stack, 1)
        lay.addWidget(self.view_tools)
        lay.addWidget(self.protocol)
        lay.addLayout(tables)
        self.images: dict[str, np.ndarray] = {}
        self.titles: dict[str, str] = {}
        self._split_chosen = False  # the user's own choice wins over the default (on for two images)
        self._set_pairs_visible(False)
        self._update_visibility()
        self.split.toggled.connect(self._render)
        self.slider.valueChanged.connect(self._render)

    def _update_visibility(self) -> None:
        """Empty state until there is something to compare; table and baselines only when they hold rows."""
        has_images = bool(self.images)
        self.stack.setCurrentIndex(1 if has_images else 0)
        self.view_tools.setVisible(has_images)
        self.table.setVisible(self.table.rowCount() > 0)
        self.baselines_box.setVisible(self.baseline_list.count() > 0)
        self.protocol.setVisible(bool(self.protocol.text()))

    def visible_panes(self) -> list[ImagePane]:
        return [p for p in self.panes if not p.isHidden()]

    def fit(self) -> None:
        """Whole images in every pane (the panes are linked: one is enough)."""
        panes = self.visible_panes()
        if panes:
            panes[0].fit()

    def actual_pixels(self) -> None:
        """1:1 in every pane (the panes are linked)."""
        panes = self.visible_panes()
        if panes:
            panes[0].actual_pixels()

    def _hovered(self, x: int, y: int) -> None:
        """The pointer is over image pixel (x, y) of one pane: every pane reads out (and magnifies) it."""
        for pane in self.visible_panes():
            pane.show_pixel(x, y)
            if self.loupe.isChecked():
                pane.show_loupe(x, y)

    def _loupe_toggled(self, on: bool) -> None:
        if not on:
            for pane in self.panes:
                pane.hide_loupe()

    def set_evaluating(self, running: bool) -> None:
        """Buttons and progress bar while an evaluation runs (one at a time)."""
        self.evaluate.setEnabled(not running)
        self.cancel_evaluation.setEnabled(running)
        self.progress.setVisible(running)
        if running:
            self.progress.setRange(0, 0)  # busy until the first pair reports

    def set_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(done)

    # ------------------------------------------------------------ baselines
    def baselines(self) -> dict[str, str]:
        """``{method name: model file}`` of the external baselines to evaluate."""
        out = {}
        for i in range(self.baseline_list.count()):
            item = self.baseline_list.item(i)
            out[item.data(Qt.UserRole)] = item.toolTip()
        return out

    def add_baseline_file(self, path: str | Path) -> str:
        name = baseline_name(path, set(self.baselines()))
        item = QListWidgetItem(f"{name}  ({Path(path).name})")
        item.setData(Qt.UserRole, name)
        item.setToolTip(str(path))
        self.baseline_list.addItem(item)
        self._update_visibility()
        return name

    def _browse_baseline(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Add baseline models", "",
                                                "Model files (*.pth *.pt *.ckpt *.safetensors);;All files (*)")
        for p in paths:
            self.add_baseline_file(p)

    def _remove_selected(self) -> None:
        for item in self.baseline_list.selectedItems():
            self.baseline_list.takeItem(self.baseline_list.row(item))
        self._update_visibility()

    # ------------------------------------------------------------ images
    def _browse_table(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        path, _ = QFileDialog.getOpenFileName(self, "Open an evaluation table", "", "JSON (*.json)")
        if path:
            self.open_report_file(path)

    def open_report_file(self, path: str | Path) -> bool:
        """Show a saved report (``table.json`` of the controls experiment, or ``eval --json``); a file that
        is not one is said on the protocol line, in one sentence."""
        import json

        try:
            report = json.loads(Path(path).read_text(encoding="utf-8"))
            if not isinstance(report, dict) or not isinstance(report.get("methods"), dict):
                raise ValueError("not an evaluation report (no methods)")
            self.set_report(report)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            self.protocol.setText(f"{path}: cannot show it ({' '.join(str(exc).split())})")
            self._update_visibility()
            return False
        if report.get("steps"):
            self.protocol.setText(self.protocol.text() + f"; {report['steps']} training steps per variant, "
                                  f"recipe {report.get('recipe', '?')}")
        return True

    def set_images(self, images: dict[str, np.ndarray], titles: dict[str, str] | None = None) -> None:
        if not 1 <= len(images) <= 4:
            raise ValueError(f"compare shows 1 to 4 images, got {len(images)}")
        self.images = dict(images)
        self.titles = dict(titles or {})
        if not self._split_chosen:  # two images (bicubic and ours): before / after in one pane by default
            self.split.blockSignals(True)
            self.split.setChecked(len(self.images) == 2)
            self.split.blockSignals(False)
        self._update_visibility()
        self._render(autorange=True)

    def set_report(self, report: dict) -> None:
        """Show an ``evaluate`` report: the metrics table and the pair picker (first pair shown)."""
        self.report = report
        self.set_metrics(report)
        previews = report.get("previews") or []
        self._scores = {r["pair"]: r for r in report.get("per_pair", [])}
        methods = list(report.get("methods", {}))
        others = [m for m in methods if m not in ("bicubic", "ours")]
        self.pair.blockSignals(True)
        self.baseline.blockSignals(True)
        self.pair.clear()
        for p in previews:
            row = self._scores.get(p["pair"], {})
            summary = ", ".join(f"{m} {row[m]['psnr']:.2f} dB" for m in ("ours", "bicubic")
                                if m in row and row[m].get("psnr") is not None)
            self.pair.addItem(f"{p['pair']}  ({summary})" if summary else p["pair"])
        self.baseline.clear()
        self.baseline.addItems(others)
        self.pair.blockSignals(False)
        self.baseline.blockSignals(False)
        self._set_pairs_visible(bool(previews), bool(previews) and len(others) > 1)
        if previews:
            self.show_pair(0)

    def show_pair(self, index: int) -> None:
        previews = (self.report or {}).get("previews") or []
        if not 0 <= index < len(previews):
            return
        entry = previews[index]
        row = self._scores.get(entry["pair"], {})
        names = pick_panes(list(entry["images"]), self.baseline.currentText() or None)
        titles = {}
        for n in names:
            s = row.get(n)
            if not s or s.get("psnr") is None:
                titles[n] = n
            else:
                lp = f", LPIPS {s['lpips']:.3f}" if s.get("lpips") is not None else ""
                titles[n] = f"{n}   {s['psnr']:.2f} dB, SSIM {s['ssim']:.3f}{lp}"
        titles["ground truth"] = f"ground truth   {entry['pair']}"
        self.set_images({n: entry["images"][n] for n in names}, titles)

    def _set_pairs_visible(self, pairs: bool, baselines: bool = False) -> None:
        for w in (self.pair, self.pair_label):
            w.setVisible(pairs)
        for w in (self.baseline, self.baseline_label):
            w.setVisible(baselines)

    def _render(self, *_, autorange: bool = False) -> None:
        names = list(self.images)
        for i, pane in enumerate(self.panes):
            pane.setVisible(i < len(names))
        if self.split.isChecked() and len(names) >= 2 and self.images[names[0]].shape == self.images[names[1]].shape:
            pos = self.slider.value() / 100
            self.panes[0].set_image(split_view(self.images[names[0]], self.images[names[1]], pos),
                                    f"{self.titles.get(names[0], names[0])} | {self.titles.get(names[1], names[1])}",
                                    autorange=autorange)
            self.panes[1].setVisible(False)
            start = 2
        else:
            start = 0
        for i in range(start, len(names)):
            self.panes[i].set_image(self.images[names[i]], self.titles.get(names[i], names[i]), autorange=autorange)

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
        self.table.resizeColumnsToContents()
        self._update_visibility()


def _empty_state(view: CompareView) -> QWidget:
    """What Compare says before there is anything to compare: the two ways to get there."""
    page = QWidget()
    icon = QLabel()
    icon.setPixmap(qta.icon("mdi.compare", color="#8a8f98").pixmap(72, 72))
    icon.setAlignment(Qt.AlignCenter)
    title = QLabel("Nothing to compare yet")
    title.setAlignment(Qt.AlignCenter)
    title.setStyleSheet("font-size: 18pt; font-weight: bold;")
    text = QLabel("<p><b>Evaluate a dataset</b>: open an SR-RAW folder, then <i>Evaluate dataset</i>: bicubic, "
                  "any baselines you add and our model, side by side with PSNR / SSIM / LPIPS for every pair."
                  "</p><p><b>Or zoom a RAW file</b>: drop it on the window (or open it); bicubic and our zoom "
                  "appear here, split before / after.</p>")
    text.setWordWrap(True)
    text.setAlignment(Qt.AlignCenter)
    text.setFixedWidth(600)
    text.setMinimumHeight(text.heightForWidth(600))
    open_dataset = QPushButton(qta.icon("mdi.folder-open"), "Open dataset…")
    open_raw = QPushButton(qta.icon("mdi.file-image"), "Open RAW files…")
    open_dataset.clicked.connect(view.open_dataset_requested)
    open_raw.clicked.connect(view.open_raw_requested)
    buttons = QHBoxLayout()
    buttons.addStretch(1)
    buttons.addWidget(open_dataset)
    buttons.addWidget(open_raw)
    buttons.addStretch(1)
    lay = QVBoxLayout(page)
    lay.addStretch(1)
    lay.addWidget(icon)
    lay.addWidget(title)
    lay.addWidget(text, 0, Qt.AlignHCenter)
    lay.addLayout(buttons)
    lay.addStretch(2)
    view.empty_buttons = (open_dataset, open_raw)
    return page


def _wrapped(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    return label


def _fmt(v, f: str) -> str:
    return "n/a" if v is None else format(v, f)
