"""``zoomstudio eval`` on synthetic SR-RAW: table, JSON, CSV, controls and a spandrel baseline."""

import csv
import json
import subprocess
import sys

import pytest
import torch

from zoomstudio.core.metrics import EvalProtocol, prepare
from zoomstudio.core.nets import NetConfig, ZoomNet, save_weights


def _weights(tmp_path, name, **kw):
    torch.manual_seed(0)
    return save_weights(tmp_path / name, ZoomNet(NetConfig(width=8, blocks=1, up_width=8, **kw)))


def test_eval_cli_table_json_csv(aligned_root, tmp_path, esrgan_file):
    ours = _weights(tmp_path, "ours.safetensors")
    png = _weights(tmp_path, "png.safetensors", in_channels=3)
    esrgan = esrgan_file(tmp_path / "RRDB_tiny_x4.pth")
    out = subprocess.run(
        [sys.executable, "-m", "zoomstudio", "eval", str(aligned_root), "--scale", "4",
         "--methods", "bicubic,ours,png,esrgan", "--model", str(ours), "--png-model", str(png),
         "--baseline", f"esrgan={esrgan}", "--json", str(tmp_path / "r.json"), "--csv", str(tmp_path / "r.csv"),
         "--device", "cpu", "-q"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["scale"] == 4 and report["pairs"] == 5
    assert report["protocol"] == {"align": "euclidean", "color": "gain", "border": 16, "space": "rgb",
                                  "lpips_net": "alex"}
    for name in ("bicubic", "ours", "png", "esrgan"):
        m = report["methods"][name]
        assert m["n"] == 5 and 5 < m["psnr"] < 60 and 0 < m["ssim"] <= 1
        assert m["lpips"] is not None and 0 <= m["lpips"] < 1.5
        assert 0 <= m["delta_e"] < 60  # colour error before colour matching
    assert report["colour"] == "camera" and "delta E 2000: before colour matching" in report["protocol_text"]
    assert "colour matching for PSNR/SSIM/LPIPS: gain" in report["protocol_text"]
    assert report["methods"]["bicubic"]["reported"] == {"ssim": 0.615, "psnr": 20.15, "lpips": 0.344}
    assert report["methods"]["esrgan"]["reported"] == {"ssim": 0.603, "psnr": 22.12, "lpips": 0.311}
    # an untrained network is far worse than bicubic: the numbers mean something
    assert report["methods"]["bicubic"]["psnr"] > report["methods"]["ours"]["psnr"] + 3
    assert len(report["per_pair"]) == 5
    rows = list(csv.DictReader(open(tmp_path / "r.csv")))
    assert len(rows) == 20 and {r["method"] for r in rows} == {"bicubic", "ours", "png", "esrgan"}
    assert all(float(r["delta_e"]) >= 0 for r in rows) and "dE00" in out.stdout
    assert "bicubic" in out.stdout and "protocol: target aligned to output: euclidean" in out.stdout


def test_eval_without_lpips_says_so(aligned_root, tmp_path):
    out = subprocess.run([sys.executable, "-m", "zoomstudio", "eval", str(aligned_root), "--methods", "bicubic",
                          "--lpips", "off", "--max-pairs", "1", "--space", "y", "--json", str(tmp_path / "r.json"),
                          "-q"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    m = json.loads((tmp_path / "r.json").read_text())["methods"]["bicubic"]
    assert m["lpips"] is None and m["lpips_unavailable"] == "disabled"
    assert "LPIPS unavailable: disabled" in out.stdout


def test_eval_cli_errors(tmp_path):
    out = subprocess.run([sys.executable, "-m", "zoomstudio", "eval", str(tmp_path), "--methods", "bicubic,esrgan"],
                         capture_output=True, text=True)
    assert out.returncode == 2 and "--baseline esrgan=PATH" in out.stderr


def test_protocol_gain_and_alignment_recover_a_shifted_dimmer_copy():
    import numpy as np
    import skimage.data

    img = skimage.data.astronaut()[100:260, 100:260].astype(np.float32) / 255
    target = np.roll(img, (2, -3), axis=(0, 1))
    output = img * 0.8
    out, tgt = prepare(output, target, EvalProtocol(align="euclidean", color="gain", border=8))
    assert np.abs(out - tgt).mean() < 0.01
    raw_out, raw_tgt = prepare(output, target, EvalProtocol(align="none", color="none", border=8))
    assert np.abs(raw_out - raw_tgt).mean() > 0.05
    with pytest.raises(ValueError, match="colour"):
        EvalProtocol(color="magic")
    # delta E is measured before colour matching: the dimmer copy's colour error shows
    from zoomstudio.core.metrics import mean_delta_e
    from zoomstudio.core.metrics.protocol import prepare_with_unmatched

    matched, tgt, unmatched = prepare_with_unmatched(output, target, EvalProtocol(border=8))
    assert unmatched.shape == matched.shape == tgt.shape
    assert mean_delta_e(unmatched, tgt) > 5 > mean_delta_e(matched, tgt)
