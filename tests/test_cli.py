"""The ``zoomstudio`` command line, run as a user runs it (a subprocess)."""

import json
import subprocess
import sys

import pytest


def zs(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "zoomstudio", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd)


def test_help_lists_commands():
    out = zs("--help")
    assert out.returncode == 0
    for cmd in ("info", "synth", "align"):
        assert cmd in out.stdout


def test_info_one_line_per_file_and_nonzero_exit_on_errors(arw_path, dng_path, malformed_paths, tmp_path):
    missing = tmp_path / "missing.ARW"
    out = zs("info", arw_path, malformed_paths[0], dng_path, missing)
    assert out.returncode == 1
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 4
    assert lines[0].startswith(f"{arw_path}: SONY ILCE-7RM3, 5184x3464 RGGB, ISO 3200, 1/640 s, 129 mm")
    assert "WB R 2.469 B 1.527" in lines[0] and "black" not in lines[0]  # levels need a decode: --levels
    assert lines[1].startswith(f"{malformed_paths[0]}: error: ")
    assert lines[2].startswith(f"{dng_path}: Canon EOS Kiss X4, 1734x1156 RGGB, ISO ?")
    assert lines[3] == f"{missing}: error: no such file"
    assert "Traceback" not in out.stderr
    out = zs("info", "--levels", arw_path, dng_path)
    lines = out.stdout.strip().splitlines()
    assert lines[0].startswith(f"{arw_path}: SONY ILCE-7RM3, 5184x3464 RGGB, black 512, white 16383, ISO 3200")
    assert lines[1].startswith(f"{dng_path}: Canon EOS Kiss X4, 1734x1156 RGGB, black 2056, white 15000")


def test_info_json(arw_path):
    out = zs("info", "--json", arw_path)
    assert out.returncode == 0
    d = json.loads(out.stdout)
    assert d["focal_length"] == 129.0 and d["cfa"] == "RGGB" and d["iso"] == 3200 and d["zoomable"]
    assert "black" not in d
    d = json.loads(zs("info", "--json", "--levels", arw_path).stdout)
    assert d["black"] == [512.0] * 4 and d["white"] == 16383


def test_synth_then_align_writes_sr_raw_files(tmp_path):
    out = zs("synth", tmp_path / "d", "--sequences", 2, "--seed", 5, "--size", "256x192", "-q")
    assert out.returncode == 0, out.stderr
    assert "wrote 2 sequences" in out.stdout
    out = zs("align", tmp_path / "d", "--jobs", 2, "-q")
    assert out.returncode == 0, out.stderr
    for seq in ("00001", "00002"):
        assert (tmp_path / "d" / seq / "tform.txt").read_text().rstrip().splitlines()[-2] == "corner:"
        assert (tmp_path / "d" / seq / "wb.txt").read_text().startswith("WB\n")
        assert f"{seq}: " in out.stdout and "all valid" in out.stdout
    before = (tmp_path / "d" / "00001" / "tform.txt").read_text()
    out = zs("align", tmp_path / "d" / "00001", "--motion", "homography", "--no-wb", "-q")
    assert out.returncode == 2 and "already exists" in out.stderr and "--overwrite" in out.stderr
    assert (tmp_path / "d" / "00001" / "tform.txt").read_text() == before  # untouched
    out = zs("align", tmp_path / "d" / "00001", "--motion", "homography", "--no-wb", "-q", "--overwrite")
    assert out.returncode == 0, out.stderr


def test_bad_arguments_give_one_line_errors(tmp_path):
    out = zs("synth", tmp_path / "x", "--size", "abc")
    assert out.returncode == 2 and "size must look like" in out.stderr
    out = zs("synth", tmp_path / "x", "--size", "63x64")
    assert out.returncode == 2 and out.stderr.strip().count("\n") == 0 and "even" in out.stderr
    out = zs("align", tmp_path)
    assert out.returncode == 2 and "no alignable sequence" in out.stderr and "Traceback" not in out.stderr


@pytest.mark.parametrize("cmd", ["info", "synth", "align", "train", "zoom", "eval", "weights", "gui"])
def test_every_command_documented_in_readme(cmd):
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert f"zoomstudio {cmd}" in readme


def test_doctor_checks_the_install_and_child_jobs():
    out = subprocess.run([sys.executable, "-m", "zoomstudio", "doctor"], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert all(line.split()[0] in ("ok", "warn") for line in lines)
    child = next(line for line in lines if "child-process jobs" in line)
    assert child.startswith("ok") and "loaded torch" in child
    assert any(line.startswith("ok    bundled model") for line in lines)
    assert any(line.startswith("ok    zoom precision: auto = ") for line in lines)  # what auto means here


def test_doctor_fails_on_a_known_bad_qt_binding(monkeypatch):
    from zoomstudio.cli import doctor

    real = doctor._version
    monkeypatch.setattr(doctor, "_version", lambda d: "6.12.0" if d == "PySide6-Essentials" else real(d))
    results = {name: (status, detail) for status, name, detail in doctor.checks(child=False)}
    status, detail = results["PySide6-Essentials"]
    if sys.version_info < (3, 12):
        assert status == "FAIL" and "Signal.emit" in detail
    else:
        assert status == "ok"
