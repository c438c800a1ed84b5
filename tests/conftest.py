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


@pytest.fixture(scope="session")
def aligned_root(tmp_path_factory):
    """Five aligned synthetic sequences (320x240) for training / zoom / evaluation tests. Read-only."""
    from zoomstudio.core.data import scan_root
    from zoomstudio.core.data.synth import SynthConfig, synthesize
    from zoomstudio.core.alignment.sequence_align import align_sequence

    root = tmp_path_factory.mktemp("aligned")
    list(synthesize(root, SynthConfig(sequences=5, seed=21, size=(320, 240))))
    for seq in scan_root(root).sequences:
        list(align_sequence(seq))
    return root


@pytest.fixture
def tiny_config(aligned_root, tmp_path):
    """The bundled tiny CPU config pointed at the aligned synthetic data, runs under tmp_path."""
    from zoomstudio.core.resources import config_path
    from zoomstudio.core.train import load_config

    return load_config(config_path("tiny-cpu"), [f"data.root={aligned_root}", f"runs_dir={tmp_path / 'runs'}",
                                                 "steps=4", "val_every=2", "checkpoint_every=2",
                                                 "loss.vgg_weight=0.2"])


@pytest.fixture
def esrgan_file():
    """Writes a randomly initialised tiny ESRGAN (RRDB) state dict, as users' .pth files are."""

    def write(path, seed=0):
        import torch
        from spandrel.architectures.ESRGAN import ESRGAN

        torch.manual_seed(seed)
        torch.save(ESRGAN(num_filters=8, num_blocks=1, scale=4).state_dict(), path)
        return path

    return write
