"""Nothing lost, nothing crashes: damaged RAWs, bad arguments, existing outputs, killed runs (issue 9)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))

import fuzzing  # noqa: E402


# ---- RAW reading ----

@pytest.mark.parametrize("value, expected", [
    (6, 6), ((6, 1), 6), ((), None), ("6", 6), (" 6\x00", 6), ("6.0", 6), ("six", None), (b"3", 3),
    (0, None), (9, None), (65535, None), (6.5, None), ("1/0", None), (float("nan"), None), (None, None),
])
def test_any_exif_orientation_is_parsed_or_ignored(value, expected):
    from zoomstudio.core.raw.exif import TAG_ORIENTATION, _from_tag_dicts

    assert _from_tag_dicts({TAG_ORIENTATION: value, 271: ("odd", 1), 37386: ()}, {}).orientation == expected


def test_rational_fields_take_any_value():
    from zoomstudio.core.raw.exif import _rational

    for bad in ((), (1, 0), "x", b"\xff", float("inf"), -3, [None], ("1e999",)):
        assert _rational(bad) is None
    assert _rational((1, 250)) == pytest.approx(0.004) and _rational("1/125") == pytest.approx(0.008)


def test_non_regular_files_are_refused_at_once(tmp_path):
    from zoomstudio.core.raw import RawReadError, read_raw, read_raw_metadata

    fifo = tmp_path / "x.DNG"
    os.mkfifo(fifo)  # opening it would block for ever: never opened
    (tmp_path / "folder.DNG").mkdir()
    (tmp_path / "empty.DNG").write_bytes(b"")
    for name, reason in (("x.DNG", "not a regular file"), ("folder.DNG", "is a folder"), ("empty.DNG", "empty"),
                         ("missing.DNG", "no such file")):
        for read in (read_raw, read_raw_metadata):
            with pytest.raises(RawReadError, match=reason) as info:
                read(tmp_path / name)
            assert str(info.value).startswith(str(tmp_path / name))


def test_a_name_that_is_not_utf8_decodes(tmp_path, dng_path):
    from zoomstudio.core.raw import read_raw

    name = Path(os.fsdecode(str(tmp_path).encode() + b"/caf\xe9.dng"))
    name.write_bytes(dng_path.read_bytes())
    assert read_raw(name).mosaic.shape == (1156, 1734)


def test_declared_size_beyond_any_camera_is_refused_before_decoding(tmp_path):
    """A small file whose header declares 30000x30000 is refused by the header check, not by an allocation."""
    from zoomstudio.core.raw import RawReadError, read_raw_metadata, write_dng

    path = write_dng(tmp_path / "a.dng", np.full((64, 64), 1000, np.uint16) + np.eye(64, dtype=np.uint16))
    data = bytearray(path.read_bytes())
    for at in fuzzing._ifd_entries(bytes(data)):
        tag = int.from_bytes(data[at:at + 2], "little")
        if tag in (256, 257):  # ImageWidth, ImageLength as LONG 30000
            data[at + 2:at + 12] = (4).to_bytes(2, "little") + (1).to_bytes(4, "little") + (30000).to_bytes(4, "little")
    huge = tmp_path / "huge.dng"
    huge.write_bytes(bytes(data) + bytes(2_000_000))
    with pytest.raises(RawReadError, match="cannot hold|beyond|unsupported|corrupt|truncated") as info:
        read_raw_metadata(huge)
    assert "\n" not in str(info.value)


def test_libraw_warnings_never_reach_the_user(capfd, malformed_paths):
    from zoomstudio.core.raw import RawReadError, read_raw

    for path in malformed_paths:
        try:
            read_raw(path)
        except RawReadError:
            pass
    out, err = capfd.readouterr()
    assert out == "" and err == ""


@pytest.mark.slow
def test_fuzzed_raws_give_clean_errors_no_hangs_bounded_memory(tmp_path, dng_path):
    """A few hundred seeded mutations (truncations, bit flips, broken tags and IFDs, huge declared sizes, odd
    files, damaged camera-JPEG EXIF): every file decodes or gets one clean line; none hangs or crashes."""
    seeds = fuzzing.small_dngs(tmp_path) + [dng_path]
    paths = fuzzing.build_corpus(tmp_path / "corpus", seeds, count=300, seed=9)
    report = fuzzing.run_corpus(paths, timeout_s=20)
    assert report.crashes == [] and report.hangs == [] and report.multi_line == []
    assert report.ok + report.clean == report.files > 300
    assert report.clean >= 30 and report.ok >= 30  # the corpus holds both kinds
    assert report.stderr_lines == 0  # no LibRaw chatter
    assert report.peak_rss_mb < 1500


# ---- the command line: one clean line for every bad input, nothing overwritten ----

def zs(*args, cwd=None, env=None, preexec_fn=None):
    import subprocess

    return subprocess.run([sys.executable, "-m", "zoomstudio", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env, preexec_fn=preexec_fn)


def _one_clean_line(out, *needles):
    err = out.stderr.strip()
    assert "Traceback" not in out.stderr and "Traceback" not in out.stdout, out.stderr
    assert err.count("\n") == 0 and err, out.stderr
    for n in needles:
        assert n in err, err
    return err


@pytest.fixture
def model_files(tmp_path):
    """Bad model files of every kind the issue names."""
    import json

    import torch
    from safetensors.torch import save_file

    from zoomstudio.core.nets import build_net
    from zoomstudio.core.nets.config import NetConfig

    files = {}
    (tmp_path / "header.safetensors").write_bytes(b"\xff" * 64)
    files["bad header"] = (tmp_path / "header.safetensors", "not a safetensors")
    cfg = NetConfig(arch="lite", width=8, blocks=1)
    state = {k: v.contiguous() for k, v in build_net(cfg).state_dict().items()}
    meta = {"zoomstudio": json.dumps({"net": cfg.to_dict(), "info": {}})}
    save_file(state, str(tmp_path / "good.safetensors"), metadata=meta)
    huge = dict(cfg.to_dict(), width=100000)
    save_file(state, str(tmp_path / "huge.safetensors"), metadata={"zoomstudio": json.dumps({"net": huge})})
    files["huge network"] = (tmp_path / "huge.safetensors", "width 100000 is beyond")
    save_file(state, str(tmp_path / "cfg.safetensors"),
              metadata={"zoomstudio": json.dumps({"net": dict(cfg.to_dict(), arch="resnet")})})
    files["wrong config"] = (tmp_path / "cfg.safetensors", "bad network config")
    wrong = dict(state)
    k = next(iter(wrong))
    wrong[k] = torch.zeros(3, 3)
    save_file(wrong, str(tmp_path / "shape.safetensors"), metadata=meta)
    files["wrong shapes"] = (tmp_path / "shape.safetensors", f"tensor {k} has shape [3, 3]")
    save_file(state, str(tmp_path / "json.safetensors"), metadata={"zoomstudio": '{"net": {"arch": "lite", '})
    files["broken metadata"] = (tmp_path / "json.safetensors", "damaged network config")
    blob = (tmp_path / "good.safetensors").read_bytes()
    (tmp_path / "cut.safetensors").write_bytes(blob[: len(blob) // 2])
    files["truncated"] = (tmp_path / "cut.safetensors", "")
    return files


@pytest.mark.parametrize("kind", ["bad header", "huge network", "wrong config", "wrong shapes", "broken metadata",
                                  "truncated"])
def test_bad_model_files_are_one_clean_line(model_files, dng_path, tmp_path, kind):
    path, needle = model_files[kind]
    out = zs("zoom", dng_path, "--model", path, "-o", tmp_path / "out", "-q")
    assert out.returncode == 2
    _one_clean_line(out, str(path), needle)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_huge_declared_network_is_refused_before_allocating(model_files):
    import resource

    from zoomstudio.core.nets import WeightsError, load_net

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(WeightsError, match="beyond"):
        load_net(model_files["huge network"][0])
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200_000  # KB: nothing big allocated


BAD_ARGUMENTS = [
    (("zoom", "{dng}", "--tile", "0"), "tile must be at least"),
    (("zoom", "{dng}", "--memory", "-5"), "memory budget must be positive"),
    (("zoom", "{dng}", "--device", "gpu"), "unknown device"),
    (("zoom", "{dng}", "--device", "mps"), "unknown device"),
    (("zoom", "{dng}", "--roi", "0,0,1,1"), "roi must be"),
    (("zoom", "{dng}", "-o", "{file}"), "not a folder"),
    (("zoom", "{dng}", "-o", "/sys/zoomstudio-out"), "cannot create the output folder"),
    (("train", "--set", "batch_size=1.5", "--set", "data.root={data}"), "batch_size must be an integer"),
    (("train", "--set", "log_every=0", "--set", "data.root={data}"), "log_every must be >= 1"),
    (("train", "--set", "loss.patch=0", "--set", "data.root={data}"), "loss.patch must be >= 1"),
    (("train", "--set", "data.flips=maybe", "--set", "data.root={data}"), "data.flips must be true or false"),
    (("train", "--set", "data.patch=0", "--set", "data.root={data}"), "data.patch must be a positive multiple"),
    (("train", "--set", "optim.lr=abc", "--set", "data.root={data}"), "optim.lr must be a number"),
    (("train", "--set", "optim.lr=-1", "--set", "data.root={data}"), "optim.lr must be a positive number"),
    (("train", "--set", "device=tpu", "--set", "data.root={data}"), "device must be auto"),
    (("train", "--set", "data.root={tmp}/missing"), "no such folder"),
    (("train", "--set", "data.root={empty}"), "no SR-RAW sequences"),
    (("train", "--set", "data.root={data}", "--set", "init={tmp}/none.safetensors"), "no such weights file"),
    (("train", "--resume", "{file}"), "not a run folder or one of its checkpoints"),
    (("train", "--set", "nosuch=1"), "unknown setting"),
    (("eval", "{tmp}/missing"), "not a folder"),
    (("eval", "{data}", "--json", "{file}"), "already exists"),
    (("eval", "{data}", "--json", "/sys/zs/report.json"), "cannot write there"),
    (("eval", "{data}", "--baseline", "x"), "--baseline must be NAME=PATH"),
    (("synth", "{tmp}/s", "--sequences", "0"), "sequences must be >= 1"),
    (("align", "{empty}"), "no alignable sequence"),
    (("info",), None),  # argparse: missing FILE, exit 2 with usage
]


@pytest.mark.parametrize("args, needle", BAD_ARGUMENTS, ids=[" ".join(a[:3]) for a, _ in BAD_ARGUMENTS])
def test_bad_arguments_are_one_clean_line_exit_2(args, needle, tmp_path, dng_path, aligned_root):
    (tmp_path / "empty").mkdir()
    (tmp_path / "a_file").write_text("mine")
    subs = {"{dng}": str(dng_path), "{tmp}": str(tmp_path), "{data}": str(aligned_root),
            "{empty}": str(tmp_path / "empty"), "{file}": str(tmp_path / "a_file")}
    argv = []
    for a in args:
        for k, v in subs.items():
            a = a.replace(k, v)
        argv.append(a)
    out = zs(*argv, "--set" if False else "-q" if argv[0] in ("zoom", "synth", "align", "train", "eval") else "--json",
             cwd=tmp_path) if argv[0] != "info" else zs(*argv, cwd=tmp_path)
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert "Traceback" not in out.stderr
    if needle:
        _one_clean_line(out, needle)
    assert (tmp_path / "a_file").read_text() == "mine"


def test_pickles_are_never_executed(tmp_path, dng_path, aligned_root):
    """A pickle whose __reduce__ would create a marker file, given as a model, a baseline and a checkpoint."""
    import pickle

    marker = tmp_path / "PWNED"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    for name in ("evil.pth", "evil.safetensors", "evil.pt"):
        (tmp_path / name).write_bytes(pickle.dumps(Evil()))
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "checkpoints" / "last.safetensors").write_bytes(pickle.dumps(Evil()))
    (run / "config.yaml").write_text(f"data:\n  root: {aligned_root}\n")
    outs = [zs("zoom", dng_path, "--model", tmp_path / "evil.safetensors", "-o", tmp_path / "o", "-q"),
            zs("zoom", dng_path, "--model", tmp_path / "evil.pth", "-o", tmp_path / "o", "-q"),
            zs("eval", aligned_root, "--methods", "bicubic,evil", "--baseline", f"evil={tmp_path / 'evil.pth'}",
               "--lpips", "off", "-q"),
            zs("train", "--resume", run, "-q"),
            zs("train", "--resume", run / "checkpoints" / "last.safetensors", "-q")]
    for out in outs:
        assert out.returncode in (1, 2) and "Traceback" not in out.stderr, out.stderr
        assert out.stderr.strip(), out
    assert not marker.exists()


def test_synth_never_deletes_a_users_sequence(tmp_path):
    out = tmp_path / "data"
    (out / "00001").mkdir(parents=True)
    (out / "00001" / "00001.ARW").write_bytes(b"the user's raw")
    res = zs("synth", out, "--sequences", 1, "--size", "128x96", "-q")
    assert res.returncode == 2
    _one_clean_line(res, str(out / "00001"), "already exists", "--overwrite")
    assert (out / "00001" / "00001.ARW").read_bytes() == b"the user's raw"
    res = zs("synth", out, "--sequences", 1, "--size", "128x96", "-q", "--overwrite")
    assert res.returncode == 0, res.stderr
    assert not (out / "00001" / "00001.ARW").exists() and (out / "00001" / "truth.json").exists()
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []


def test_zoom_outputs_are_unique_per_input_and_never_overwrite(tmp_path, dng_path):
    for folder in ("101CAM", "102CAM"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "DSC0001.DNG").write_bytes(dng_path.read_bytes())
    out = tmp_path / "out"
    roi = ("--roi", "800,500,64,48", "--format", "png8")
    res = zs("zoom", tmp_path / "101CAM" / "DSC0001.DNG", tmp_path / "102CAM" / "DSC0001.DNG", "-o", out, *roi)
    assert res.returncode == 0, res.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == ["101CAM_DSC0001_zoom4x.png", "102CAM_DSC0001_zoom4x.png"]
    for n in names:  # the summary says where each file went
        assert str(out / n) in res.stderr
    before = {n: (out / n).read_bytes() for n in names}
    res = zs("zoom", tmp_path / "101CAM" / "DSC0001.DNG", tmp_path / "102CAM" / "DSC0001.DNG", "-o", out, *roi)
    assert res.returncode == 2
    _one_clean_line(res, "already exists", "--overwrite")
    assert {n: (out / n).read_bytes() for n in names} == before
    res = zs("zoom", tmp_path / "101CAM" / "DSC0001.DNG", "-o", out, *roi, "--overwrite", "--roi", "900,500,64,48")
    assert res.returncode == 0, res.stderr
    assert sorted(p.name for p in out.iterdir()) == names + ["DSC0001_zoom4x.png"]  # alone, it keeps its name


def _file_size_limit(limit_bytes):
    def apply():
        import resource
        import signal

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG, as on a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))
    return apply


def test_a_full_disk_leaves_no_half_written_output(tmp_path, dng_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("earlier output")
    res = zs("zoom", dng_path, "-o", out, "--roi", "800,500,256,192", preexec_fn=_file_size_limit(20_000))
    assert res.returncode == 1
    assert "Traceback" not in res.stderr and "cannot write" in res.stderr and str(dng_path) in res.stderr
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]  # nothing half-written, nothing lost
    assert (out / "keep.txt").read_text() == "earlier output"


def test_a_new_run_never_reuses_a_run_folder(tmp_path, aligned_root):
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "checkpoints" / "last.safetensors").write_bytes(b"precious")
    res = zs("train", "--config", "tiny-cpu", "--set", f"data.root={aligned_root}", "--run-dir", run, "-q")
    assert res.returncode == 2
    _one_clean_line(res, "already exists", "--resume")
    assert (run / "checkpoints" / "last.safetensors").read_bytes() == b"precious"


@pytest.mark.slow
def test_killed_training_resumes_without_repeated_steps_or_stale_files(tmp_path, aligned_root):
    """SIGKILL mid-run, then the damage a kill inside a checkpoint write can leave (a partial temporary
    file; a damaged last checkpoint): the resume falls back to the newest good checkpoint, removes the
    partial file and logs every step once."""
    import json
    import signal
    import subprocess
    import time

    from zoomstudio.core.train import read_metrics

    run = tmp_path / "run"
    args = [sys.executable, "-m", "zoomstudio", "train", "--config", "tiny-cpu", "--set", f"data.root={aligned_root}",
            "--set", "steps=8", "--set", "log_every=1", "--set", "val_every=0", "--set", "checkpoint_every=2",
            "--set", "batch_size=1", "--set", "data.patch=64", "--set", "loss.vgg_weight=0", "--run-dir", run, "-q"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 240
    while time.time() < deadline and proc.poll() is None:
        if (run / "checkpoints" / "step_0000004.safetensors").exists():
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    ckpts = run / "checkpoints"
    assert (ckpts / "step_0000002.safetensors").exists()
    logged = [r["step"] for r in read_metrics(run) if "loss" in r]
    assert logged and max(logged) >= 4
    # what a kill inside a write leaves: the temporary file; and a damaged last checkpoint
    (ckpts / ".last.safetensors.partial.safetensors").write_bytes(b"\0" * 1000)
    last = (ckpts / "last.safetensors").read_bytes()
    (ckpts / "last.safetensors").write_bytes(last[: len(last) // 2])
    res = zs("train", "--resume", run, "--set", "steps=8")
    assert res.returncode == 0, res.stderr
    assert "last.safetensors" in res.stderr and "resuming from step_" in res.stderr
    steps = [r["step"] for r in read_metrics(run) if "loss" in r]
    assert steps == sorted(set(steps)) and steps[-1] == 8  # every step once, in order
    assert not [p for p in ckpts.iterdir() if ".partial" in p.name]
    assert json.loads((run / "metrics.jsonl").read_text().splitlines()[-1])  # whole lines only
    from zoomstudio.core.train.runs import list_runs

    assert [r["steps"] for r in list_runs(tmp_path)] == [8]
    # --resume takes a checkpoint file too
    res = zs("train", "--resume", ckpts / "step_0000006.safetensors", "--set", "steps=9", "-q")
    assert res.returncode == 0, res.stderr
    steps = [r["step"] for r in read_metrics(run) if "loss" in r]
    assert steps == sorted(set(steps)) and steps[-1] == 9


@pytest.mark.slow
def test_a_damaged_dataset_names_each_bad_file_and_uses_the_rest(tmp_path, aligned_root):
    """Mutated RAWs, JPGs, tform.txt and wb.txt in an SR-RAW root: the reader reports each by name, and
    align, train's data and eval go on with the rest, with no traceback."""
    import shutil

    from zoomstudio.core.data import dataset_pairs, scan_root
    from zoomstudio.core.events import Problem

    root = tmp_path / "data"
    shutil.copytree(aligned_root, root, symlinks=False)
    rng = np.random.default_rng(4)
    damaged = []
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.upper() in (".DNG", ".JPG", ".TXT"))
    for p in rng.choice(files, 14, replace=False):
        data, what = fuzzing.mutate(p.read_bytes(), rng)
        p.write_bytes(data)
        damaged.append(p)
    (root / "00002" / "00003.DNG").write_bytes(b"")  # empty
    index = scan_root(root)
    assert index.sequences  # the rest is still there
    problems = [str(p) for p in index.problems] if hasattr(index, "problems") else []
    from zoomstudio.core.data.srraw import iter_scan

    problems = [e for e in iter_scan(root) if isinstance(e, Problem)]
    assert any("00002/00003.DNG" in str(p) for p in problems)
    pairs = dataset_pairs(index, 4, "train", 0) + dataset_pairs(index, 4, "test", 0)
    assert pairs
    for cmd in (("align", root, "--overwrite", "-q"),
                ("eval", root, "--methods", "bicubic", "--lpips", "off", "-q"),
                ("train", "--config", "tiny-cpu", "--set", f"data.root={root}", "--set", "steps=2",
                 "--set", "val_every=0", "--set", "checkpoint_every=0", "--set", "runs_dir=" + str(tmp_path / "r"),
                 "--set", "loss.vgg_weight=0", "-q")):
        out = zs(*cmd)
        assert "Traceback" not in out.stderr and "Traceback" not in out.stdout, (cmd[0], out.stderr[-2000:])
        assert out.returncode in (0, 1), (cmd[0], out.returncode, out.stderr[-2000:])


def test_ctrl_c_cancels_a_long_command_cleanly(tmp_path):
    """SIGINT (Ctrl-C) during `synth`: exit 130, the finished sequences are kept, no partial one is left."""
    import signal
    import subprocess
    import time

    out = tmp_path / "s"
    proc = subprocess.Popen([sys.executable, "-m", "zoomstudio", "synth", str(out), "--sequences", "40",
                             "--size", "320x240", "-q"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and not (out / "00001").exists():
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and "Traceback" not in err, err
    assert "cancelled" in err
    done = sorted(p.name for p in out.iterdir())
    assert done and all(n.isdigit() for n in done) and len(done) < 40  # no .partial folder left


def test_ctrl_c_during_a_zoom_leaves_no_partial_file(tmp_path, arw_path):
    """SIGINT while `zoom` runs the network: exit 130, a 'cancelled' line, and nothing (not even a
    temporary file) in the output folder."""
    import signal
    import subprocess
    import time

    out = tmp_path / "z"
    proc = subprocess.Popen([sys.executable, "-m", "zoomstudio", "zoom", str(arw_path), "-o", str(out),
                             "--device", "cpu", "--tile", "16"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)  # the centre quarter of 42 MP in small tiles: minutes on a CPU
    deadline = time.time() + 120
    while time.time() < deadline and not out.exists():  # made once the model is loaded, before the zoom
        time.sleep(0.05)
    time.sleep(2.0)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and "Traceback" not in err, err[-2000:]
    assert "cancelled" in err and list(out.iterdir()) == []
