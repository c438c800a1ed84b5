"""What native libraries print: LibRaw and TensorFlow write warnings straight to file descriptor 2."""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from typing import Iterator

#: one lock, so that concurrent callers (the app's workers) do not interleave the redirection
_STDERR_LOCK = threading.RLock()


@contextmanager
def quiet_stderr() -> Iterator[None]:
    """Send the process's stderr (file descriptor 2) to /dev/null for the block: native libraries (LibRaw,
    TensorFlow) write their warnings there, and the user gets our one-line error instead. Python output
    of other threads during the block is dropped too, so keep blocks short."""
    with _STDERR_LOCK:
        try:
            saved = os.dup(2)
        except OSError:  # no stderr at all (a detached GUI): nothing to hide
            yield
            return
        try:
            with open(os.devnull, "wb") as null:
                os.dup2(null.fileno(), 2)
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
