"""The CUDA paths: bf16 training, CoBi and tiled zoom agree with the CPU. Skipped without a GPU."""

import dataclasses
from pathlib import Path

import pytest
import torch

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def test_bf16_training_on_cuda_runs_resumes_and_saves_float32_weights(tiny_config, tmp_path):
    from zoomstudio.core.nets import load_net
    from zoomstudio.core.train import RunFinished, StepDone, ValidationDone, train

    cfg = dataclasses.replace(tiny_config, device="cuda", amp=True, steps=6, val_every=3, checkpoint_every=3,
                              runs_dir=str(tmp_path / "runs"))
    events = list(train(cfg))
    done = events[-1]
    assert isinstance(done, RunFinished) and done.reason == "completed" and done.step == 6, done
    steps = [e for e in events if isinstance(e, StepDone)]
    assert len(steps) == 6 and all(torch.isfinite(torch.tensor(s.loss)) and s.loss > 0 for s in steps)
    assert set(steps[0].terms) == {"cobi_rgb", "cobi_vgg"}
    vals = [e for e in events if isinstance(e, ValidationDone)]
    assert [v.step for v in vals] == [3, 6]
    assert all(0 < v.metrics["psnr"] < 100 and 0 < v.metrics["ssim"] <= 1 for v in vals)
    net, info = load_net(Path(done.run_dir) / "checkpoints" / "last.safetensors")
    assert info["step"] == 6
    assert all(p.dtype == torch.float32 and p.device.type == "cpu" for p in net.parameters())

    # Resume a half run on the GPU: it continues from step 3 and completes at 6.
    half = dataclasses.replace(cfg, steps=3, val_every=0, runs_dir=str(tmp_path / "half"))
    first = list(train(half))[-1]
    resumed_events = list(train(dataclasses.replace(half, steps=6), resume=first.run_dir))
    resumed = resumed_events[-1]
    assert resumed.reason == "completed" and resumed.step == 6
    assert [e.step for e in resumed_events if isinstance(e, StepDone)] == [4, 5, 6]


@pytest.mark.parametrize("distance,spatial", [("cosine", "additive"), ("l2", "blend")])
def test_cobi_on_cuda_matches_cpu(distance, spatial):
    from zoomstudio.core.losses import cobi_loss

    g = torch.Generator().manual_seed(3)
    pred = torch.rand(2, 16, 24, 20, generator=g)
    target = torch.rand(2, 16, 22, 21, generator=g)
    values, grads = [], []
    for dev in ("cpu", "cuda"):
        p = pred.detach().clone().to(dev).requires_grad_(True)
        loss = cobi_loss(p, target.to(dev), distance=distance, spatial=spatial, chunk_rows=64)
        loss.backward()
        values.append(loss.detach().cpu())
        grads.append(p.grad.cpu())
    torch.testing.assert_close(values[1], values[0], rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(grads[1], grads[0], rtol=1e-3, atol=1e-6)


def test_tiled_zoom_on_cuda_matches_cpu(arw_path):
    from zoomstudio.core.events import Result
    from zoomstudio.core.infer import ZoomOptions, zoom_raw
    from zoomstudio.core.nets import load_net
    from zoomstudio.core.resources import default_model_path

    images = {}
    for dev in ("cpu", "cuda"):
        net, _ = load_net(default_model_path(4))
        opts = ZoomOptions(roi=(3000, 2000, 160, 120), tile=32, device=dev, use_wb=False)
        result = [e for e in zoom_raw(arw_path, net, opts) if isinstance(e, Result)][0]
        images[dev] = result.values["image"]
    assert images["cuda"].shape == images["cpu"].shape == (480, 640, 3)
    assert float(abs(images["cuda"] - images["cpu"]).max()) < 2e-3


def test_child_process_jobs_train_and_evaluate_on_cuda(tiny_config, aligned_root, tmp_path):
    """The app's path: jobs in a spawned child process, on the GPU (CUDA must initialise in the child)."""
    from zoomstudio.core.events import Result
    from zoomstudio.core.metrics.methods import Method
    from zoomstudio.core.metrics.protocol import EvalProtocol
    from zoomstudio.core.process_job import run_in_child
    from zoomstudio.core.train import RunFinished, RunStarted

    cfg = dataclasses.replace(tiny_config, device="cuda", steps=2, val_every=2, runs_dir=str(tmp_path / "runs"))
    events = list(run_in_child("zoomstudio.core.train.loop:train", cfg))
    started = next(e for e in events if isinstance(e, RunStarted))
    assert "cuda" in str(started.device) and isinstance(events[-1], RunFinished) and events[-1].reason == "completed"
    model = Path(events[-1].run_dir) / "checkpoints" / "last.safetensors"
    methods = [Method("bicubic", "bicubic"), Method("ours", "raw", str(model))]
    report = [e for e in run_in_child("zoomstudio.core.evaluation.pipeline:evaluate", str(aligned_root), 4, methods,
                                      EvalProtocol(), device="cuda", max_pairs=2) if isinstance(e, Result)][-1]
    assert report.values["pairs"] == 2 and report.values["methods"]["ours"]["psnr"] > 0
