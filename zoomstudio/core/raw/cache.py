"""The last few decoded RAWs, so that choosing a region and zooming a file decode it once.

The app previews a dropped RAW (to pick the region) and then zooms it; both
read the file through one :class:`DecodedRaws`, which keeps the most recent
decodes (mosaic, metadata and embedded preview) while the file on disk is
unchanged. Safe to share between worker threads: one decode at a time, and a
second request for a file being decoded waits for that decode instead of
starting another.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path

from .decode import RawImage, read_raw


def _file_state(path: Path) -> tuple[str, int, int]:
    """What identifies a file's current content cheaply: its resolved path, mtime and size."""
    st = os.stat(path)
    return str(path.resolve()), st.st_mtime_ns, st.st_size


class DecodedRaws:
    """``read(path)`` decodes a RAW (with its embedded preview) or returns the kept decode.

    ``capacity``: how many decodes to keep (a 24 MP mosaic is 48 MB). Raises
    what :func:`read_raw` raises; failures are not kept (a fixed file reads anew).
    ``decodes`` counts the real decodes (for the app's status and the tests).
    """

    def __init__(self, capacity: int = 2) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self.capacity = capacity
        self.decodes = 0
        self._kept: OrderedDict[tuple[str, int, int], RawImage] = OrderedDict()
        self._lock = threading.Lock()

    def read(self, path: str | Path) -> RawImage:
        path = Path(path)
        try:
            key = _file_state(path)
        except OSError:
            return read_raw(path, with_preview=True)  # read_raw names the file and the reason
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                return self._kept[key]
            raw = read_raw(path, with_preview=True)
            self.decodes += 1
            self._kept[key] = raw
            while len(self._kept) > self.capacity:
                self._kept.popitem(last=False)
            return raw

    __call__ = read

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
