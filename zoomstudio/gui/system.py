"""What the machine offers the app, probed without slowing the window's start (no torch import)."""

from __future__ import annotations

import os


def gpu_count() -> int:
    """CUDA devices this process would see, without importing torch (2.5 s) on the GUI thread."""
    import shutil
    import subprocess
    import sys

    if "torch" in sys.modules:
        return sys.modules["torch"].cuda.device_count()
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return 0
    try:
        out = subprocess.run([smi, "--query-gpu=index", "--format=csv,noheader"], capture_output=True, text=True,
                             timeout=3)
    except (OSError, subprocess.TimeoutExpired):
        return 0
    found = len([line for line in out.stdout.splitlines() if line.strip()]) if out.returncode == 0 else 0
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:  # the ids torch will number cuda:0, cuda:1, ...
        found = min(found, len([v for v in visible.split(",") if v.strip() and not v.strip().startswith("-")]))
    return found
