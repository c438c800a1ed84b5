"""The Preferences dialog: device, precision, tiling, memory budget, LPIPS network and folders."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLineEdit, QSpinBox

from .settings import Settings
from .system import gpu_count


class PreferencesDialog(QDialog):
    def __init__(self, settings: Settings, parent=None, gpus: int | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.settings = settings
        self.device = QComboBox()
        self.device.setEditable(True)  # any torch device name; checked when a job starts
        gpus = gpu_count() if gpus is None else gpus
        self.device.addItems(["auto", "cpu"] + [f"cuda:{i}" for i in range(gpus)])
        self.device.setCurrentText(settings.device)
        self.precision = QComboBox()
        self.precision.addItem("auto (bfloat16 where the device runs it natively)", "auto")
        self.precision.addItem("float32", "fp32")
        self.precision.setToolTip("auto is visually lossless (>= 99 % of 8-bit values within one level of "
                                  "float32) and up to 2x faster on CPUs with AVX512-BF16 or AMX")
        self.precision.setCurrentIndex(max(0, self.precision.findData(settings.precision)))
        self.tile = QSpinBox()
        self.tile.setRange(0, 4096)
        self.tile.setSpecialValueText("from memory budget")
        self.tile.setValue(settings.tile)
        self.memory = QSpinBox()
        self.memory.setRange(64, 65536)
        self.memory.setValue(settings.memory_mb)
        self.lpips = QComboBox()
        self.lpips.addItems(["alex", "vgg"])
        self.lpips.setCurrentText(settings.lpips_net)
        self.runs_dir = QLineEdit(settings.runs_dir)
        self.output_dir = QLineEdit(settings.output_dir)
        form = QFormLayout(self)
        form.addRow("Device", self.device)
        form.addRow("Zoom precision", self.precision)
        form.addRow("Tile size", self.tile)
        form.addRow("Memory budget (MB)", self.memory)
        form.addRow("LPIPS network", self.lpips)
        form.addRow("Runs folder", self.runs_dir)
        form.addRow("Output folder", self.output_dir)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def apply(self) -> None:
        s = self.settings
        s.device = self.device.currentText()
        s.precision = self.precision.currentData()
        s.tile = self.tile.value()
        s.memory_mb = self.memory.value()
        s.lpips_net = self.lpips.currentText()
        s.runs_dir = self.runs_dir.text()
        s.output_dir = self.output_dir.text()
