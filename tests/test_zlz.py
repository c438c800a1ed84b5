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
    pytest.importorskip("tensorflow", reason="the importer's test needs TensorFlow (pip install zoomstudio[tf])")
    out.mkdir(parents=True, exist_ok=True)
    np.savez(out / "inputs.npz", **inputs)
    res = subprocess.run([sys.executable, str(REFERENCE), str(out), str(out / "inputs.npz"), *map(str, args)],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-3000:]
    return dict(np.load(out / "outputs.npz"))


@pytest.mark.slow
def test_imported_model_equals_tensorflow_tiled_and_untiled(tmp_path):
    from zoomstudio.core.infer.tiled import TilePlan, zoom_tensor
    from zoomstudio.core.nets import load_net, save_weights
    from zoomstudio.core.nets.zlz_import import import_zlz

    rng = np.random.default_rng(1)
    inputs = {"odd": rng.random((1, 29, 37, 4), np.float32), "even": rng.random((1, 32, 40, 4), np.float32)}
    expected = _tf_checkpoint(tmp_path / "model", inputs)
    net, info = import_zlz(tmp_path / "model")
    assert "released" in info["imported"] and info["unused_variables"] == []
    path = save_weights(tmp_path / "zlz.safetensors", net, info=info)
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
    from zoomstudio.core.nets.zlz_import import ZlzImportError, import_zlz

    x = {"a": np.zeros((1, 8, 8, 4), np.float32)}
    _tf_checkpoint(tmp_path / "short", x, "--blocks", 15)
    with pytest.raises(ZlzImportError, match="resblock_16/conv_1/Conv/weights is missing"):
        import_zlz(tmp_path / "short")
    _tf_checkpoint(tmp_path / "narrow", x, "--blocks", 16, "--width", 32)
    with pytest.raises(ZlzImportError, match=r"input_stage/conv/Conv/weights has shape \[9, 9, 4, 32\]"):
        import_zlz(tmp_path / "narrow")
    _tf_checkpoint(tmp_path / "other", x, "--scope", "discriminator")
    with pytest.raises(ZlzImportError, match="not the authors' zoom network"):
        import_zlz(tmp_path / "other")
    (tmp_path / "empty").mkdir()
    res = subprocess.run([sys.executable, "-m", "zoomstudio", "weights", "import-zlz", str(tmp_path / "empty"),
                          "-o", str(tmp_path / "x.safetensors")], capture_output=True, text=True)
    assert res.returncode == 2 and "no TensorFlow checkpoint" in res.stderr and "Traceback" not in res.stderr
