"""The one exception family for RAW files that cannot be used."""

from __future__ import annotations

from pathlib import Path


class RawReadError(Exception):
    """A RAW file could not be decoded. ``str()`` is one line: ``path: reason``."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = Path(path)
        self.reason = " ".join(str(reason).split())  # keep it on one line
        super().__init__(f"{self.path}: {self.reason}")


class UnsupportedRawError(RawReadError):
    """The file decodes but is not a Bayer mosaic we can pack (X-Trans, LinearRaw, garbage)."""
