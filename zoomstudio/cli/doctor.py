"""``zoomstudio doctor``: check this installation and print what a bug report needs.

Each check prints one line, ``ok`` / ``warn`` / ``FAIL``; the exit code is 1 when a
check fails. Nothing is downloaded.
"""

from __future__ import annotations

import argparse
import importlib
import platform
import sys
import time
from importlib import metadata

#: versions known to break ZoomStudio: distribution -> {version: reason}
KNOWN_BAD = {
    "PySide6-Essentials": {"6.12.0": "drops a reference to True per Signal.emit; the app aborts after ~2000 events"
                                     " on Python < 3.12"},
}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-child", action="store_true", help="skip the child-process job check (it loads torch)")
    p.epilog = "example: zoomstudio doctor"


#: distribution -> the module that carries its ``__version__`` (frozen builds have no metadata)
MODULES = {"opencv-python-headless": "cv2", "PySide6-Essentials": "PySide6", "scikit-image": "skimage"}


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        pass
    try:
        module = importlib.import_module(MODULES.get(dist, dist))
    except ImportError:
        return None
    return str(getattr(module, "__version__", "unknown version"))


def checks(child: bool = True):
    """Yield ``(status, name, detail)`` for every check."""
    from .. import __version__

    yield "ok", "zoomstudio", f"{__version__}, Python {platform.python_version()}, {platform.platform()}"
    for dist in ("torch", "torchvision", "rawpy", "opencv-python-headless", "PySide6-Essentials", "pyqtgraph",
                 "numpy", "scikit-image", "lpips", "spandrel"):
        v = _version(dist)
        bad = KNOWN_BAD.get(dist, {}).get(v or "")
        if bad and sys.version_info < (3, 12):
            yield "FAIL", dist, f"{v}: {bad}"
        else:
            yield ("ok" if v else "warn"), dist, v or "not installed"
    import rawpy

    yield "ok", "LibRaw", ".".join(map(str, rawpy.libraw_version))
    import torch

    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            p = torch.cuda.get_device_properties(i)
            yield "ok", f"cuda:{i}", f"{p.name}, {p.total_memory / 2**30:.0f} GiB"
    else:
        yield "ok", "device", f"CPU only ({torch.get_num_threads()} threads)"
    from ..core.device import pick_device
    from ..core.nets.inference import inference_dtype

    device = pick_device("auto")
    dtype = str(inference_dtype("auto", device)).removeprefix("torch.")
    yield "ok", "zoom precision", (f"auto = {dtype} on {device}" + (
        "" if dtype == "bfloat16" else " (no native bfloat16 here: --precision auto stays exact)"))
    from ..core.backbones import BACKBONES, backbone_status

    for name in BACKBONES:
        status = backbone_status(name)
        yield ("warn" if status.startswith("not cached") else "ok"), f"backbone {name}", status
    from ..core.nets import load_net
    from ..core.resources import default_model_path

    try:
        net, info = load_net(default_model_path(4))
        params = sum(p.numel() for p in net.parameters())
        yield "ok", "bundled model", f"{default_model_path(4).name}: {params / 1e6:.2f} M parameters"
    except Exception as exc:
        yield "FAIL", "bundled model", str(exc)
    if child:
        from ..core.process_job import ChildJobError, run_in_child

        t0 = time.perf_counter()
        try:
            report = list(run_in_child("zoomstudio.core.process_job:probe"))[-1]
            yield "ok", "child-process jobs", (f"pid {report['pid']} loaded torch {report['torch']} in "
                                               f"{time.perf_counter() - t0:.1f} s")
        except (ChildJobError, OSError, IndexError) as exc:
            yield "FAIL", "child-process jobs", f"training and evaluation from the app cannot run: {exc}"


def run(args: argparse.Namespace) -> int:
    failed = 0
    for status, name, detail in checks(child=not args.no_child):
        failed += status == "FAIL"
        print(f"{status:4s}  {name}: {detail}", flush=True)
    return 1 if failed else 0
