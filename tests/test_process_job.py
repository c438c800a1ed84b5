"""Jobs in a child process: events stream back, cancel is forwarded, failures are reported."""

import os

import numpy as np
import pytest

from zoomstudio.core.events import CancelToken, Progress
from zoomstudio.core.process_job import ChildJobError, run_in_child


def test_events_stream_back_from_another_process():
    events = list(run_in_child("child_jobs:count", 3))
    assert [e.done for e in events] == [1, 2, 3]
    assert {e.message for e in events} != {str(os.getpid())}


def test_cancel_reaches_the_child_which_returns_normally():
    token = CancelToken()
    seen = []
    for ev in run_in_child("child_jobs:count", 10_000, cancel=token, delay=0.01):
        seen.append(ev)
        if len(seen) == 2:
            token.cancel()
    assert seen[-1] == "cancelled" and len(seen) < 100


def test_exception_in_the_child_carries_its_message_and_traceback():
    with pytest.raises(ChildJobError, match=r"^ValueError: frame.ARW: not a RAW file$") as info:
        list(run_in_child("child_jobs:boom"))
    assert "child_jobs.py" in info.value.details and "def boom" not in str(info.value)


def test_a_dying_child_is_reported_with_its_exit_code():
    events = []
    with pytest.raises(ChildJobError, match="exited with code 3"):
        for ev in run_in_child("child_jobs:die"):
            events.append(ev)
    assert events == [Progress(0, 1)]


def test_bad_target_is_a_clear_error():
    with pytest.raises(ChildJobError, match="package.module:function"):
        list(run_in_child("no_colon_here"))


def test_numpy_values_cross_the_process_boundary(tiny_config):
    import dataclasses

    from zoomstudio.core.train import PreviewReady, RunFinished, StepDone

    cfg = dataclasses.replace(tiny_config, steps=2, val_every=2)
    events = list(run_in_child("zoomstudio.core.train.loop:train", cfg))
    assert [e.step for e in events if isinstance(e, StepDone)] == [1, 2]
    assert isinstance(events[-1], RunFinished) and events[-1].reason == "completed"
    preview = next(e for e in events if isinstance(e, PreviewReady))
    assert all(isinstance(v, np.ndarray) and v.dtype == np.uint8 for v in preview.images.values())


def test_a_service_keeps_its_state_runs_jobs_at_once_and_survives_its_process_dying():
    import threading

    from zoomstudio.core.process_job import ChildService

    service = ChildService("child_jobs:Counter", name="test-service")
    try:
        (first,) = list(service.run("bump"))
        (second,) = list(service.run("bump"))
        assert first[0] == second[0] != os.getpid() and (first[1], second[1]) == (1, 2)  # one process, one state
        # two jobs at once: a long one is cancelled while a short one completes beside it
        token, seen, short = CancelToken(), [], []
        long_job = threading.Thread(target=lambda: seen.extend(service.run("count", 10_000, cancel=token,
                                                                           delay=0.01)))
        long_job.start()
        short.extend(service.run("count", 3))
        token.cancel()
        long_job.join(30)
        assert [e.done for e in short] == [1, 2, 3] and seen[-1] == "cancelled" and len(seen) < 5000
        with pytest.raises(ChildJobError, match=r"^ValueError: frame.ARW: not a RAW file$"):
            list(service.run("boom"))
        with pytest.raises(ChildJobError, match="no job '_start'"):
            list(service.run("_start"))
        with pytest.raises(ChildJobError, match="test-service process exited with code 3"):
            list(service.run("die"))
        (fresh,) = list(service.run("bump"))  # a new process, a new state
        assert fresh[0] != first[0] and fresh[1] == 1
    finally:
        service.close()
    assert not service.running
