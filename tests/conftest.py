"""Shared fixtures: real RAW samples, a small synthetic SR-RAW dataset, headless Qt."""

from __future__ import annotations

import os
import shutil

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from samples import ARW_NAME, DNG_NAME, malformed_samples, sample  # noqa: E402


@pytest.fixture(scope="session")
def arw_path():
    return sample(ARW_NAME)


@pytest.fixture(scope="session")
def dng_path():
    return sample(DNG_NAME)


@pytest.fixture(scope="session")
def malformed_paths():
    return malformed_samples()


@pytest.fixture(scope="session")
def synth_root(tmp_path_factory):
    """Three synthetic sequences (320x240), rendered once per test session. Treat as read-only."""
    from zoomstudio.core.data.synth import SynthConfig, synthesize

    root = tmp_path_factory.mktemp("synth")
    events = list(synthesize(root, SynthConfig(sequences=3, seed=7, size=(320, 240))))
    assert type(events[-1]).__name__ == "Result"
    return root


@pytest.fixture
def synth_copy(synth_root, tmp_path):
    """A writable copy of the synthetic dataset."""
    dst = tmp_path / "data"
    shutil.copytree(synth_root, dst)
    return dst
