"""Real training steps on a tiny config: run, resume exactly, cancel, NaN, DDP."""

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from zoomstudio.core.events import CancelToken
from zoomstudio.core.train import (
    CheckpointSaved,
    PreviewReady,
    RunFinished,
    StepDone,
    ValidationDone,
    list_runs,
    load_config,
    read_metrics,
    train,
)


def _events(cfg, **kw):
    return list(train(cfg, **kw))


def test_tiny_training_writes_a_complete_run(tiny_config):
    events = _events(tiny_config)
    finished = events[-1]
    assert isinstance(finished, RunFinished) and finished.reason == "completed" and finished.step == 4
    steps = [e for e in events if isinstance(e, StepDone)]
    assert [s.step for s in steps] == [1, 2, 3, 4] and all(s.loss > 0 for s in steps)
    assert set(steps[0].terms) == {"cobi_rgb", "cobi_vgg"}
    vals = [e for e in events if isinstance(e, ValidationDone)]
    assert [v.step for v in vals] == [2, 4] and all("psnr" in v.metrics and "ssim" in v.metrics for v in vals)
    previews = [e for e in events if isinstance(e, PreviewReady)]
    assert previews and previews[0].images["output"].dtype.name == "uint8"
    run = finished.run_dir
    kinds = {e.kind for e in events if isinstance(e, CheckpointSaved)}
    assert {"last", "periodic", "best"} <= kinds

    ck = Path(run) / "checkpoints"
    assert (ck / "last.safetensors").exists() and (ck / "best.safetensors").exists()
    assert (ck / "step_0000002.safetensors").exists() and not list(ck.glob(".*partial"))
    saved = load_config(Path(run) / "config.yaml")
    assert saved == tiny_config
    recs = read_metrics(run)
    assert [r["step"] for r in recs if "loss" in r] == [1, 2, 3, 4]
    assert list_runs(tiny_config.runs_dir)[0]["steps"] == 4
    # the checkpoint is also a weights file
    from zoomstudio.core.nets import load_net

    net, info = load_net(ck / "last.safetensors")
    assert info["step"] == 4 and net.config.width == tiny_config.net.width


def test_resume_continues_exactly(tiny_config, tmp_path):
    straight = dataclasses.replace(tiny_config, runs_dir=str(tmp_path / "a"), val_every=0)
    done = _events(straight)[-1]
    half = dataclasses.replace(straight, runs_dir=str(tmp_path / "b"), steps=2)
    first = _events(half)[-1]
    assert first.step == 2
    resumed = _events(dataclasses.replace(half, steps=4), resume=first.run_dir)[-1]
    assert resumed.reason == "completed" and resumed.step == 4
    from safetensors.torch import load_file

    a = load_file(f"{done.run_dir}/checkpoints/last.safetensors")
    b = load_file(f"{resumed.run_dir}/checkpoints/last.safetensors")
    for k in a:
        if k.startswith(("model.", "optim.")):
            torch.testing.assert_close(a[k], b[k], rtol=0, atol=0, msg=k)


def test_cancel_saves_a_checkpoint_and_returns(tiny_config):
    token = CancelToken()
    events = []
    for e in train(dataclasses.replace(tiny_config, steps=50, val_every=0), cancel=token):
        events.append(e)
        if isinstance(e, StepDone) and e.step == 1:
            token.cancel()
    last = events[-1]
    assert isinstance(last, RunFinished) and last.reason == "cancelled" and last.step == 1
    saved = [e for e in events if isinstance(e, CheckpointSaved)]
    assert saved and saved[-1].kind == "last" and saved[-1].step == 1


def test_nan_loss_stops_and_keeps_last_good_checkpoint(tiny_config):
    # An absurd learning rate overflows the weights to inf within a step or two: a real NaN/inf loss.
    cfg = dataclasses.replace(tiny_config, steps=30, val_every=0, checkpoint_every=1,
                              optim=dataclasses.replace(tiny_config.optim, lr=1e30),
                              loss=dataclasses.replace(tiny_config.loss, l1_weight=1.0))
    events = _events(cfg)
    last = events[-1]
    assert last.reason == "failed" and "loss became" in last.message, last
    good = [e for e in events if isinstance(e, CheckpointSaved) and e.kind == "periodic"]
    assert good and good[-1].path in last.message
    from zoomstudio.core.train import load_checkpoint
    from zoomstudio.core.nets import build_net

    net = build_net(cfg.net)
    state = load_checkpoint(good[-1].path, net)
    assert state.step == last.step and all(torch.isfinite(p).all() for p in net.parameters())


def test_bad_data_root_fails_with_a_message(tiny_config, tmp_path):
    last = _events(dataclasses.replace(tiny_config, data=dataclasses.replace(tiny_config.data,
                                                                            root=str(tmp_path))))[-1]
    assert last.reason == "failed" and "no usable SR-RAW sequences" in last.message


def test_config_overrides_and_errors(tmp_path):
    from zoomstudio.core.resources import config_path

    cfg = load_config(config_path("paper-4x"), ["optim.lr=2e-4", "net.width=32"])
    assert cfg.optim.lr == 2e-4 and cfg.net.width == 32 and cfg.loss.patch == 10
    assert load_config(config_path("paper-8x")).loss.patch == 15
    with pytest.raises(ValueError, match="unknown setting"):
        load_config(None, ["optim.nope=1"])
    with pytest.raises(ValueError, match="differ"):
        load_config(None, ["net.zoom=8"])
    bad = tmp_path / "bad.yaml"
    bad.write_text("net: {widht: 3}\n")
    with pytest.raises(ValueError, match="widht"):
        load_config(bad)


@pytest.mark.slow
def test_ddp_two_cpu_processes_with_gloo(tiny_config, tmp_path):
    run_dir = tmp_path / "ddp"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--master_port=29533",
           "-m", "zoomstudio", "train", "--config", "tiny-cpu", "--set", f"data.root={tiny_config.data.root}",
           "--set", "steps=3", "--set", "batch_size=2", "--set", "val_every=0", "--set", "checkpoint_every=0",
           "--run-dir", str(run_dir), "-q"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert (run_dir / "checkpoints" / "last.safetensors").exists()
    recs = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in recs] == [1, 2, 3]  # one writer
    assert out.stdout.count("completed at step 3") == 1


def test_init_starts_from_given_weights_and_refuses_another_network(tiny_config, tmp_path):
    """``init`` fine-tunes: step 0's network equals the given weights; another architecture is refused."""
    from pathlib import Path

    from zoomstudio.core.nets import build_net, load_net, save_weights

    start = build_net(tiny_config.net)
    torch.manual_seed(123)
    for p in start.parameters():
        p.data.normal_(0, 0.05)
    weights = save_weights(tmp_path / "start.safetensors", start)
    cfg = dataclasses.replace(tiny_config, init=str(weights), steps=1, optim=dataclasses.replace(
        tiny_config.optim, lr=1e-12))  # one negligible step: the weights must stay those given
    finished = _events(cfg)[-1]
    assert finished.reason == "completed"
    net, _ = load_net(Path(finished.run_dir) / "checkpoints" / "last.safetensors")
    for a, b in zip(net.state_dict().values(), start.state_dict().values()):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=0)
    other = save_weights(tmp_path / "other.safetensors",
                         build_net(dataclasses.replace(tiny_config.net, width=tiny_config.net.width + 8)))
    bad = _events(dataclasses.replace(tiny_config, init=str(other), runs_dir=str(tmp_path / "r2")))[-1]
    assert bad.reason == "failed" and "another network" in bad.message
    missing = _events(dataclasses.replace(tiny_config, init=str(tmp_path / "nope.safetensors"),
                                          runs_dir=str(tmp_path / "r3")))[-1]
    assert missing.reason == "failed" and "init:" in missing.message


def test_benchmark_recipes_load_and_build_their_network():
    """The recipes benchmarks/README.md quotes stay valid configs whose network builds."""
    from zoomstudio.core.nets import build_net

    recipes = sorted((Path(__file__).resolve().parents[1] / "benchmarks" / "configs").glob("*.yaml"))
    assert recipes
    for recipe in recipes:
        cfg = load_config(recipe)
        net = build_net(cfg.net)
        out = net(torch.rand(1, 4, 8, 8))
        assert out.shape == (1, 3, 8 * cfg.net.upscale, 8 * cfg.net.upscale), recipe.name


def _tensorboard_events(run_dir) -> list[list]:
    """Every event of each TensorBoard file of a run, file by file (TFRecord framing, tensorboardX's protos)."""
    import struct

    from tensorboardX.proto.event_pb2 import Event

    files = []
    for path in sorted((Path(run_dir) / "tensorboard").glob("events.out.tfevents.*")):
        data, events, at = path.read_bytes(), [], 0
        while at < len(data):
            (n,) = struct.unpack("<Q", data[at : at + 8])
            events.append(Event.FromString(data[at + 12 : at + 12 + n]))
            at += 12 + n + 4  # length, its crc, the record, its crc
        files.append(events)
    return files


def test_runs_write_tensorboard_events_and_a_resume_purges_what_it_replays(tiny_config, tmp_path):
    cfg = dataclasses.replace(tiny_config, log_every=1)
    first = _events(cfg)[-1]
    (events,) = _tensorboard_events(first.run_dir)
    scalars = {}
    for e in events:
        for v in e.summary.value:
            scalars.setdefault(v.tag, []).append(e.step)
    assert scalars["loss/total"] == [1, 2, 3, 4] and scalars["loss/cobi_rgb"] == [1, 2, 3, 4]
    assert scalars["train/lr"] == [1, 2, 3, 4] and scalars["val/psnr"] == [2, 4] and scalars["val/ssim"] == [2, 4]
    assert scalars["preview/output"] == [2, 4] and scalars["preview/target"] == [2, 4]
    total = {e.step: v.simple_value for e in events for v in e.summary.value if v.tag == "loss/total"}
    logged = {r["step"]: r["loss"] for r in read_metrics(first.run_dir) if "loss" in r}
    assert total == pytest.approx(logged)  # the same numbers as metrics.jsonl
    # resume from the periodic checkpoint at step 2 (as after a crash): steps 3-4 are replayed
    run = Path(first.run_dir)
    (run / "checkpoints" / "last.safetensors").unlink()
    (run / "checkpoints" / "step_0000002.safetensors").rename(run / "checkpoints" / "last.safetensors")
    _events(dataclasses.replace(cfg, steps=5), resume=run)
    _, resumed = _tensorboard_events(run)
    purge = [e for e in resumed if e.HasField("session_log")]
    assert purge and purge[0].step == 3 and purge[0].session_log.status == purge[0].session_log.START
    assert sorted({e.step for e in resumed for v in e.summary.value if v.tag == "loss/total"}) == [3, 4, 5]
    assert [r["step"] for r in read_metrics(run) if "loss" in r] == [1, 2, 3, 4, 5]  # none twice
    off = _events(dataclasses.replace(cfg, tensorboard=False, runs_dir=str(tmp_path / "off")))[-1]
    assert not (Path(off.run_dir) / "tensorboard").exists()


@pytest.mark.parametrize("arch", ["zoomnet", "lite"])
def test_a_channels_last_training_step_is_the_nchw_step(arch):
    """Training in NHWC memory (the default) is the same arithmetic: loss, and the weights after an Adam
    step, equal the NCHW step's up to float rounding."""
    from zoomstudio.core.losses import ZoomLoss
    from zoomstudio.core.losses.config import LossConfig
    from zoomstudio.core.nets import NetConfig, build_net
    from zoomstudio.core.train.step import optimisation_step

    torch.manual_seed(0)
    batch = {"input": torch.rand(2, 4, 12, 12), "target": torch.rand(2, 3, 96, 96)}
    results = []
    for channels_last in (False, True):
        torch.manual_seed(1)
        net = build_net(NetConfig(arch=arch, width=8, blocks=2, up_width=8))
        if channels_last:
            net = net.to(memory_format=torch.channels_last)
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        sched = torch.optim.lr_scheduler.StepLR(opt, 10)
        loss, _ = optimisation_step(net, net.parameters(), ZoomLoss(LossConfig(vgg_weight=0.0, l1_weight=1.0)), opt, sched, batch,
                                    torch.device("cpu"), channels_last=channels_last)
        results.append((loss, {k: v.detach().contiguous() for k, v in net.state_dict().items()}))
    (loss_a, weights_a), (loss_b, weights_b) = results
    assert loss_a == pytest.approx(loss_b, rel=1e-5)
    for k in weights_a:
        torch.testing.assert_close(weights_b[k], weights_a[k], rtol=1e-4, atol=1e-6)
