"""The paper's Table 2 controls: training on the camera JPEG ("png") and on RAW synthesised from it ("syn-raw")."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest


def test_syn_raw_noise_is_what_was_asked_and_deterministic():
    from zoomstudio.core.data.synthetic_raw import draw_sigma, pair_rng, unprocess_to_packed

    rgb = np.full((64, 96, 3), 0.6, np.float32)
    clean = unprocess_to_packed(rgb, np.array([2.0, 1.0, 1.5]), 0.0, np.random.default_rng(0))
    # inverse gamma and inverse white balance, per channel
    np.testing.assert_allclose(clean[0], 0.6 ** 2.2 / 2.0, rtol=1e-5)
    np.testing.assert_allclose(clean[1], 0.6 ** 2.2, rtol=1e-5)
    np.testing.assert_allclose(clean[2], 0.6 ** 2.2 / 1.5, rtol=1e-5)
    noisy = unprocess_to_packed(rgb, np.array([2.0, 1.0, 1.5]), 0.03, np.random.default_rng(1))
    assert abs(float((noisy - clean).std()) - 0.03) < 0.002
    a = unprocess_to_packed(rgb, np.ones(3), 0.03, pair_rng(5, "00001:00005->00002"))
    b = unprocess_to_packed(rgb, np.ones(3), 0.03, pair_rng(5, "00001:00005->00002"))
    c = unprocess_to_packed(rgb, np.ones(3), 0.03, pair_rng(6, "00001:00005->00002"))
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    sigmas = [draw_sigma(pair_rng(s, "x"), 0.0784) for s in range(400)]
    assert 0 <= min(sigmas) and max(sigmas) <= 0.0784 and abs(np.mean(sigmas) - 0.0392) < 0.005
    with pytest.raises(ValueError, match="even"):
        unprocess_to_packed(np.zeros((5, 4, 3), np.float32), np.ones(3), 0.0, np.random.default_rng(0))


def test_png_patches_stay_aligned_with_their_targets_through_flips():
    """With a target that is the input JPEG repeated zoom x zoom, every patch (any position, any flip)
    must be exactly that repetition of its input patch."""
    from zoomstudio.core.data.pairs import TrainingPair
    from zoomstudio.core.data.patches import PatchSpec, sample_patch

    zoom, h, w = 4, 20, 24
    rng = np.random.default_rng(0)
    rgb = rng.random((3, 2 * h, 2 * w)).astype(np.float32)
    target = np.kron(rgb, np.ones((1, zoom, zoom), np.float32))
    pair = TrainingPair("t", zoom, np.zeros((4, h, w), np.float32), target, np.ones(3), np.ones(3), rgb=rgb)
    spec = PatchSpec(patch=64, packed_band=2, target_band=16)  # the bands match: 2 packed = 16 target px
    for seed in range(12):
        p, t = sample_patch(pair, spec, np.random.default_rng(seed))
        assert p.shape == (3, 2 * (8 + 4), 2 * (8 + 4)) and t.shape == (3, 96, 96)
        np.testing.assert_array_equal(np.kron(p, np.ones((1, zoom, zoom), np.float32)), t)


def test_every_input_kind_trains_resumes_and_evaluates(tiny_config, aligned_root, tmp_path):
    from zoomstudio.core.data import dataset_pairs, scan_root
    from zoomstudio.core.data.dataset import SrRawPatchDataset
    from zoomstudio.core.data.patches import PatchSpec
    from zoomstudio.core.evaluation import evaluate
    from zoomstudio.core.metrics import EvalProtocol, parse_methods
    from zoomstudio.core.events import Result
    from zoomstudio.core.train import train
    from zoomstudio.core.train.events import RunFinished

    pairs = dataset_pairs(scan_root(aligned_root), 4, "train", 0)
    spec = PatchSpec(64, 2, 16)
    syn_a = SrRawPatchDataset(pairs, spec, input_kind="syn-raw", seed=3, syn_max_sigma=0.05)[0]["input"]
    syn_b = SrRawPatchDataset(pairs, spec, input_kind="syn-raw", seed=3, syn_max_sigma=0.05)[0]["input"]
    assert syn_a.shape == (4, 12, 12) and bool((syn_a == syn_b).all())  # deterministic for a seed
    png = SrRawPatchDataset(pairs, spec, input_kind="png", seed=3)[0]["input"]
    assert png.shape == (3, 24, 24) and bool(((png * 255).round() == png * 255).all())  # 8-bit values

    models = {}
    for kind in ("raw", "syn-raw", "png"):
        cfg = dataclasses.replace(tiny_config, steps=3, val_every=3, checkpoint_every=0, name=f"k-{kind}",
                                  data=dataclasses.replace(tiny_config.data, input=kind, patch=64),
                                  net=dataclasses.replace(tiny_config.net, in_channels=3 if kind == "png" else 4),
                                  loss=dataclasses.replace(tiny_config.loss, vgg_weight=0.0))
        run = tmp_path / kind
        done = [e for e in train(dataclasses.replace(cfg, steps=2), run_dir=run) if isinstance(e, RunFinished)]
        assert done[-1].reason == "completed", done[-1].message
        done = [e for e in train(cfg, resume=run) if isinstance(e, RunFinished)]
        assert done[-1].reason == "completed" and done[-1].step == 3, done[-1].message
        models[kind] = run / "checkpoints" / "last.safetensors"
    with pytest.raises(ValueError, match="in_channels must be 3 for data.input png"):
        dataclasses.replace(tiny_config, data=dataclasses.replace(tiny_config.data, input="png"))
    methods = parse_methods("bicubic,ours,syn-raw,png", str(models["raw"]),
                            {"syn-raw": str(models["syn-raw"]), "png": str(models["png"])})
    result = [e for e in evaluate(aligned_root, 4, methods, EvalProtocol(align="none"), with_lpips=False,
                                  max_pairs=1) if isinstance(e, Result)][-1].values
    for name in ("bicubic", "ours", "syn-raw", "png"):
        assert np.isfinite(result["methods"][name]["psnr"])


def test_experiment_controls_writes_table_2_and_resumes_without_retraining(aligned_root, tmp_path):
    import json
    import subprocess
    import sys

    def zs(*args):
        return subprocess.run([sys.executable, "-m", "zoomstudio", *map(str, args)], capture_output=True, text=True)

    out = tmp_path / "controls"
    args = ("experiment", "controls", aligned_root, "--scale", "4", "--steps", 2, "--config", "tiny-cpu",
            "--set", "loss.vgg_weight=0", "--set", "data.patch=64", "--set", "val_every=0",
            "--lpips", "off", "--out", out, "--device", "cpu", "-q")
    res = zs(*args)
    assert res.returncode == 0, res.stderr[-3000:]
    table = json.loads((out / "table.json").read_text())
    assert set(table["methods"]) == {"bicubic", "ours", "syn-raw", "png"} and table["steps"] == 2
    for name, m in table["methods"].items():
        assert np.isfinite(m["psnr"]) and m["reported"]["psnr"] > 0  # ours beside the paper's
    md = (out / "table.md").read_text()
    for label in ("| Bicubic |", "| Ours-png |", "| Ours-syn-raw |", "| Ours |", "PSNR (reported)", "Measured PSNR order"):
        assert label in md
    stamps = {v: (out / v / "checkpoints" / "last.safetensors").stat().st_mtime_ns for v in ("raw", "syn-raw", "png")}
    res = zs(*args)  # again: nothing retrained, the same table
    assert res.returncode == 0, res.stderr[-3000:]
    assert {v: (out / v / "checkpoints" / "last.safetensors").stat().st_mtime_ns for v in stamps} == stamps
    assert json.loads((out / "table.json").read_text())["methods"]["ours"]["psnr"] == table["methods"]["ours"]["psnr"]
    res = zs(*args[:6], 3, *args[7:])  # a larger budget resumes each variant from its checkpoint
    assert res.returncode == 0, res.stderr[-3000:]
    from zoomstudio.core.train.runs import checkpoint_step

    assert all(checkpoint_step(out / v / "checkpoints" / "last.safetensors") == 3 for v in stamps)


def test_controls_cancel_is_a_normal_return_and_the_next_run_continues(tiny_config, aligned_root, tmp_path):
    from zoomstudio.core.events import CancelToken, Cancelled, Progress, Result
    from zoomstudio.core.experiments.controls import run_controls

    base = dataclasses.replace(tiny_config, val_every=0, checkpoint_every=0,
                               data=dataclasses.replace(tiny_config.data, patch=64),
                               loss=dataclasses.replace(tiny_config.loss, vgg_weight=0.0))
    token = CancelToken()
    events = []
    for ev in run_controls(aligned_root, base, tmp_path / "c", steps=3, with_lpips=False, max_pairs=1,
                           cancel=token):
        events.append(ev)
        if isinstance(ev, Progress) and "syn-raw" in ev.message:
            token.cancel()  # during the second variant
    assert isinstance(events[-1], Cancelled) and not (tmp_path / "c" / "table.json").exists()
    assert (tmp_path / "c" / "raw" / "checkpoints" / "last.safetensors").exists()
    events = list(run_controls(aligned_root, base, tmp_path / "c", steps=3, with_lpips=False, max_pairs=1))
    assert any("raw: finished earlier" in getattr(e, "message", "") for e in events)
    assert isinstance(events[-1], Result) and (tmp_path / "c" / "table.json").exists()
