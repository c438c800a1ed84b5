"""The authors' released network inside ZoomStudio: an exact port, checked against TensorFlow itself."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

REFERENCE = Path(__file__).parent / "tf_zlz_reference.py"


def _tf_checkpoint(out: Path, inputs: dict[str, np.ndarray], *args) -> dict[str, np.ndarray]:
    """Build the TF reference in a child process; returns TensorFlow's NHWC outputs."""
    import importlib.util

    if importlib.util.find_spec("tensorflow") is None:  # found, never imported here: TF stays out of this process
        pytest.skip("the importer's test needs TensorFlow (pip install zoomstudio[tf])")
    out.mkdir(parents=True, exist_ok=True)
    np.savez(out / "inputs.npz", **inputs)
    res = subprocess.run([sys.executable, str(REFERENCE), str(out), str(out / "inputs.npz"), *map(str, args)],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-3000:]
    return dict(np.load(out / "outputs.npz"))


def _import(model_dir: Path, out: Path) -> subprocess.CompletedProcess:
    """``zoomstudio weights import-zlz`` as a user runs it: TensorFlow loads in that process, not in this one
    (TensorFlow and Qt in one process have crashed the test session)."""
    return subprocess.run([sys.executable, "-m", "zoomstudio", "weights", "import-zlz", str(model_dir), "-o", str(out)],
                          capture_output=True, text=True)


@pytest.mark.slow
def test_imported_model_equals_tensorflow_tiled_and_untiled(tmp_path):
    import json

    from zoomstudio.core.infer.tiled import TilePlan, zoom_tensor
    from zoomstudio.core.nets import load_net
    from zoomstudio.core.nets.registry import read_weights_meta

    rng = np.random.default_rng(1)
    inputs = {"odd": rng.random((1, 29, 37, 4), np.float32), "even": rng.random((1, 32, 40, 4), np.float32)}
    expected = _tf_checkpoint(tmp_path / "model", inputs)
    path = tmp_path / "zlz.safetensors"
    res = _import(tmp_path / "model", path)
    assert res.returncode == 0 and "the authors' 4X network" in res.stdout, res.stderr[-2000:]
    info = read_weights_meta(path)["info"]
    assert "released" in info["imported"] and info["unused_variables"] == [], json.dumps(info)
    loaded, _ = load_net(path)  # a model file like any other
    for name, x in inputs.items():
        xt = torch.from_numpy(x).permute(0, 3, 1, 2)
        want = expected[name].transpose(0, 3, 1, 2)
        with torch.no_grad():
            untiled = loaded(xt).numpy()
        assert untiled.shape == want.shape == (1, 3, 8 * x.shape[1], 8 * x.shape[2])
        assert np.abs(untiled - want).max() < 1e-4, np.abs(untiled - want).max()
        # small tiles (several per axis); the encoder sees the whole image (batch statistics)
        plan = TilePlan(8, 2, 2 * loaded.decode_radius + 6, loaded.decode_radius)
        tiled = [e for e in zoom_tensor(loaded, xt, plan) if torch.is_tensor(e)]
        assert np.abs(tiled[0].numpy() - want).max() < 1e-4, np.abs(tiled[0].numpy() - want).max()


@pytest.mark.slow
def test_a_checkpoint_that_is_not_theirs_is_one_clean_line(tmp_path):
    x = {"a": np.zeros((1, 8, 8, 4), np.float32)}
    cases = [("short", ("--blocks", 15), "resblock_16/conv_1/Conv/weights is missing"),
             ("narrow", ("--blocks", 16, "--width", 32), "input_stage/conv/Conv/weights has shape [9, 9, 4, 32]"),
             ("other", ("--scope", "discriminator"), "not the authors' zoom network")]
    for name, args, needle in cases:
        _tf_checkpoint(tmp_path / name, x, *args)
        res = _import(tmp_path / name, tmp_path / f"{name}.safetensors")
        assert res.returncode == 2 and needle in res.stderr and "Traceback" not in res.stderr, res.stderr[-2000:]
        assert res.stderr.strip().count("\n") == 0 and not (tmp_path / f"{name}.safetensors").exists()
    (tmp_path / "empty").mkdir()
    res = _import(tmp_path / "empty", tmp_path / "x.safetensors")
    assert res.returncode == 2 and "no TensorFlow checkpoint" in res.stderr and "Traceback" not in res.stderr
