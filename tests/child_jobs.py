"""Small job generators for tests/test_process_job.py, importable in a spawned child process."""

import os
import time

from zoomstudio.core.events import Progress


def count(n, *, cancel, delay=0.0):
    for i in range(n):
        if cancel.cancelled:
            yield "cancelled"
            return
        yield Progress(i + 1, n, str(os.getpid()))
        time.sleep(delay)


def boom(*, cancel):
    yield Progress(0, 1)
    raise ValueError("frame.ARW: not a RAW file")


def die(*, cancel):
    yield Progress(0, 1)
    os._exit(3)


class Counter:
    """A service session for tests/test_process_job.py: state kept between jobs."""

    def __init__(self):
        self.calls = 0

    def bump(self, *, cancel):
        self.calls += 1
        yield (os.getpid(), self.calls)

    def count(self, n, *, cancel, delay=0.0):
        yield from count(n, cancel=cancel, delay=delay)

    def boom(self, *, cancel):
        yield from boom(cancel=cancel)

    def die(self, *, cancel):
        yield from die(cancel=cancel)
