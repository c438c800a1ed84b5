"""Sequence browser: dataset roots -> sequences -> shots, with thumbnails loaded in the background."""

from __future__ import annotations

from pathlib import Path

import qtawesome as qta
from PySide6.QtCore import QObject, QRunnable, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from ..core.data.srraw import DatasetIndex, Sequence, Shot
from .images import to_qimage

ROLE_KIND = Qt.UserRole
ROLE_KEY = Qt.UserRole + 1
THUMB = 96


class _ThumbSignals(QObject):
    ready = Signal(str, object)  # jpg path, uint8 (h, w, 3)


class _ThumbJob(QRunnable):
    """Decode a JPEG at 1/8 size (nearly free) off the GUI thread; only the pixels travel back."""

    def __init__(self, path: str, signals: _ThumbSignals) -> None:
        super().__init__()
        self.path, self.signals = path, signals

    def run(self) -> None:
        import cv2

        img = cv2.imread(self.path, cv2.IMREAD_REDUCED_COLOR_8 | cv2.IMREAD_IGNORE_ORIENTATION)
        if img is not None:
            h, w = img.shape[:2]
            s = THUMB / max(h, w)
            img = cv2.resize(img, (max(1, int(w * s)), max(1, int(h * s))), interpolation=cv2.INTER_AREA)
            self.signals.ready.emit(self.path, img[..., ::-1].copy())


class SequenceBrowser(QWidget):
    """Tree of sequences and shots; emits the selection."""

    sequence_selected = Signal(object)  # Sequence
    shot_selected = Signal(object, object)  # Sequence, Shot

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter sequences…")
        self.filter.setClearButtonEnabled(True)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Sequence / shot", "Focal", "ISO", "Exposure"])
        self.tree.setIconSize(QSize(48, 32))
        self.tree.setColumnWidth(0, 170)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.filter)
        lay.addWidget(self.tree)
        self.index: DatasetIndex | None = None
        self._sequences: dict[str, Sequence] = {}
        self._thumb_items: dict[str, QTreeWidgetItem] = {}
        self._signals = _ThumbSignals()
        self._signals.ready.connect(self._thumb_ready)
        self._pool = QThreadPool()
        self._pool.setMaxThreadCount(2)
        self.filter.textChanged.connect(self._apply_filter)
        self.tree.currentItemChanged.connect(self._changed)

    def set_index(self, index: DatasetIndex) -> None:
        self.index = index
        self.tree.clear()
        self._sequences.clear()
        self._thumb_items.clear()
        root = QTreeWidgetItem([str(index.root)])
        root.setIcon(0, qta.icon("mdi.folder-multiple-image"))
        root.setData(0, ROLE_KIND, "root")
        self.tree.addTopLevelItem(root)
        for seq in index.sequences:
            self._sequences[seq.name] = seq
            item = QTreeWidgetItem([seq.name, f"{len(seq.shots)} shots", "", ""])
            item.setData(0, ROLE_KIND, "sequence")
            item.setData(0, ROLE_KEY, seq.name)
            self._show_status(item, seq)
            root.addChild(item)
            for shot in seq.shots:
                child = QTreeWidgetItem([shot.key, f"{shot.focal_length:g} mm",
                                         f"{shot.exif.iso:g}" if shot.exif.iso else "?",
                                         _exposure(shot.exif.exposure_time)])
                child.setData(0, ROLE_KIND, "shot")
                child.setData(0, ROLE_KEY, shot.key)
                item.addChild(child)
                if shot.jpg_path is not None:
                    self._thumb_items[str(shot.jpg_path)] = child
                    self._pool.start(_ThumbJob(str(shot.jpg_path), self._signals))
        bad = {p.item for p in index.problems if not any(p.item.startswith(str(s.path)) for s in index.sequences)}
        for p in index.problems:
            if p.item in bad:
                item = QTreeWidgetItem([Path(p.item).name, "unreadable", "", ""])
                item.setIcon(0, qta.icon("mdi.alert-circle", color="#e5484d"))
                item.setToolTip(0, str(p))
                item.setData(0, ROLE_KIND, "problem")
                root.addChild(item)
        root.setExpanded(True)

    @staticmethod
    def _status_text(seq: Sequence) -> str:
        from ..core.geometry.files import AlignmentFileError, read_tform, read_wb

        parts = []
        for label, path, reader in (("tform.txt", seq.tform_path, read_tform), ("wb.txt", seq.wb_path, read_wb)):
            if not path.exists():
                parts.append(f"{label}: missing")
                continue
            try:
                reader(path)
                parts.append(f"{label}: present")
            except AlignmentFileError as exc:
                parts.append(f"{label}: invalid ({exc})")
        parts += [str(p) for p in seq.problems]
        return "\n".join(parts)

    def _show_status(self, item: QTreeWidgetItem, seq: Sequence) -> None:
        """Tooltip and icon from one read of the sequence's tform.txt / wb.txt."""
        text = self._status_text(seq)
        if len(seq.shots) < 2:  # unreadable: nothing to align or train on; the tooltip says why
            icon = qta.icon("mdi.alert-circle", color="#e5484d")
        elif "invalid" in text:
            icon = qta.icon("mdi.alert", color="#e5484d")
        elif "missing" in text:
            icon = qta.icon("mdi.progress-question", color="#f5a524")
        else:
            icon = qta.icon("mdi.check-circle", color="#46a758")
        item.setIcon(0, icon)
        item.setToolTip(0, text)

    def refresh_status(self, name: str) -> None:
        for i in range(self.tree.topLevelItem(0).childCount() if self.tree.topLevelItemCount() else 0):
            item = self.tree.topLevelItem(0).child(i)
            if item.data(0, ROLE_KEY) == name and name in self._sequences:
                self._show_status(item, self._sequences[name])

    def _thumb_ready(self, path: str, img) -> None:
        item = self._thumb_items.get(path)
        if item is None:
            return
        item.setIcon(0, QIcon(QPixmap.fromImage(to_qimage(img))))

    def _apply_filter(self, text: str) -> None:
        if not self.tree.topLevelItemCount():
            return
        root = self.tree.topLevelItem(0)
        for i in range(root.childCount()):
            item = root.child(i)
            item.setHidden(bool(text) and text.lower() not in item.text(0).lower())

    def _changed(self, current: QTreeWidgetItem | None, _previous) -> None:
        if current is None:
            return
        kind = current.data(0, ROLE_KIND)
        if kind == "sequence":
            self.sequence_selected.emit(self._sequences[current.data(0, ROLE_KEY)])
        elif kind == "shot":
            seq = self._sequences[current.parent().data(0, ROLE_KEY)]
            self.shot_selected.emit(seq, seq.shot(current.data(0, ROLE_KEY)))

    def thumbnails_pending(self) -> int:
        return self._pool.activeThreadCount()

    def select_sequence(self, name: str) -> None:
        root = self.tree.topLevelItem(0)
        for i in range(root.childCount()):
            if root.child(i).data(0, ROLE_KEY) == name:
                self.tree.setCurrentItem(root.child(i))
                return


def _exposure(t: float | None) -> str:
    if not t:
        return "?"
    return f"1/{1 / t:.0f} s" if t < 1 else f"{t:g} s"


__all__ = ["SequenceBrowser", "Shot"]
