"""Reading run folders (no torch import: the GUI lists past runs at start-up)."""

from __future__ import annotations

import json
from pathlib import Path


def read_metrics(run_dir: str | Path) -> list[dict]:
    """The records of a run's ``metrics.jsonl`` (skipping a torn last line)."""
    out = []
    path = Path(run_dir) / "metrics.jsonl"
    if not path.exists():
        return out
    for line in path.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out


def list_runs(runs_dir: str | Path) -> list[dict]:
    """Past runs: folder, name, steps done, best validation PSNR."""
    out = []
    root = Path(runs_dir)
    if not root.is_dir():
        return out
    for run in sorted(p for p in root.iterdir() if (p / "config.yaml").exists()):
        recs = read_metrics(run)
        steps = max((r.get("step", 0) for r in recs), default=0)
        vals = [r["val"]["psnr"] for r in recs if "val" in r and "psnr" in r["val"]]
        out.append({"run": str(run), "name": run.name, "steps": steps,
                    "best_psnr": max(vals) if vals else None,
                    "has_checkpoint": (run / "checkpoints" / "last.safetensors").exists()})
    return out
