"""What the app's zoom service keeps between jobs: the last decoded RAWs and the loaded model.

The app runs an instance in a long-lived child process
(:class:`~zoomstudio.core.process_job.ChildService`), so torch never loads into
the window's process (its import alone holds the GIL for up to 0.3 s) and a
region preview followed by its zoom decode the file once. Every method is a job:
a generator of value events taking a ``cancel`` token.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from ..events import CancelToken, Result
from ..raw.cache import DecodedRaws


class ZoomSession:
    def __init__(self, capacity: int = 2) -> None:
        from .batch import ZoomModels

        self.raws = DecodedRaws(capacity)
        self.models = ZoomModels()

    def preview(self, path: str | Path, max_side: int = 1600, *, cancel: CancelToken | None = None) -> Iterator:
        """:func:`~..raw.preview.raw_preview_job` through the kept decodes."""
        from ..raw.preview import raw_preview_job

        yield from raw_preview_job(path, max_side, read=self.raws.read, cancel=cancel)

    def zoom(self, files: list[Path], model: str | Path | None, scale: int, options, *,
             cancel: CancelToken | None = None) -> Iterator:
        """:func:`~.batch.zoom_queue` with the kept model and decodes."""
        from .batch import zoom_queue

        yield from zoom_queue(files, model, scale, options, models=self.models, read=self.raws.read, cancel=cancel)

    def stats(self, *, cancel: CancelToken | None = None) -> Iterator[Result]:
        """How much work the session did: real decodes and model loads (the app's tests check both)."""
        yield Result("stats", {"decodes": self.raws.decodes, "model_loads": self.models.loads})
