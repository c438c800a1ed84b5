"""Launching the desktop app (``zoomstudio`` with no arguments, or ``zoomstudio gui [PATH]``)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

log = logging.getLogger(__name__)


def demo_root() -> Path:
    from .settings import data_dir

    return data_dir() / "demo-dataset"


def demo_events(root: Path, token=None):
    """Render and align the first-launch demo dataset (a few seconds), as job events."""
    from ..core.data import scan_root
    from ..core.data.synth import SynthConfig, synthesize
    from ..core.events import Progress, Result
    from ..core.alignment.sequence_align import align_sequence

    # the app's own folder: a demo cut short by a closed window is rebuilt over
    for ev in synthesize(root, SynthConfig(sequences=4, seed=2019, size=(640, 480)), cancel=token, overwrite=True):
        if not isinstance(ev, Result):  # the one Result of this job comes after the alignment
            yield ev
    seqs = scan_root(root).sequences
    for i, seq in enumerate(seqs):
        yield Progress(i, len(seqs), f"aligning demo sequence {seq.name}")
        for ev in align_sequence(seq, overwrite=True, cancel=token):
            if not isinstance(ev, (Progress, Result)):
                yield ev
    yield Result(str(root), {"demo": True})


def main(argv: list[str] | None = None) -> int:
    from PySide6.QtWidgets import QApplication

    from .main_window import MainWindow

    argv = list(sys.argv if argv is None else argv)
    app = QApplication.instance() or QApplication(argv[:1])
    app.setApplicationName("ZoomStudio")
    app.setOrganizationName("ZoomStudio")
    window = MainWindow()
    window.show()
    path = argv[1] if len(argv) > 1 else None
    if path:
        p = Path(path)
        if p.is_dir():
            window.open_dataset(p)
        else:
            window.add_raw_files([p])
    elif window.settings.recent_datasets and Path(window.settings.recent_datasets[0]).is_dir():
        window.open_dataset(window.settings.recent_datasets[0])
    else:
        start_demo(window)
    code = app.exec()
    return int(code)


def start_demo(window) -> None:
    """First launch: build the demo dataset with progress, then open it."""
    from ..core.events import Progress, Result
    from .worker import JobRunner

    root = demo_root()
    if (root / "synth.json").exists():
        window.open_dataset(root)
        return
    job = JobRunner(window)
    window.demo_job = job

    def on_event(ev):
        if isinstance(ev, Progress):
            window.job_label.setText(f"Building the demo dataset: {ev.message}")
        elif isinstance(ev, Result):
            window.open_dataset(root)

    job.event.connect(on_event)
    job.failed.connect(window.show_error)
    job.start(lambda token: demo_events(root, token))
