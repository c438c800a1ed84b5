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


def truncate_metrics(run_dir: str | Path, step: int) -> int:
    """Drop the records after ``step`` from ``metrics.jsonl`` (a resumed run replays those steps, and
    plots would draw them twice); rewritten atomically. Returns how many records were dropped."""
    from ..fileio import atomic_write_text

    path = Path(run_dir) / "metrics.jsonl"
    if not path.exists():
        return 0
    kept, dropped = [], 0
    for line in path.read_text().splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:  # a line torn by the kill
            dropped += 1
            continue
        if isinstance(record, dict) and isinstance(record.get("step"), (int, float)) and record["step"] > step:
            dropped += 1
        else:
            kept.append(line)
    if dropped:
        atomic_write_text(path, "".join(f"{line}\n" for line in kept))
    return dropped


def checkpoint_step(path: str | Path) -> int | None:
    """The step a training checkpoint holds, from its header (no torch, no tensor read); ``None`` when
    the file is missing or damaged."""
    from ..fileio import DamagedFileError, safetensors_header

    try:
        header, _ = safetensors_header(path)
        return int(json.loads((header.get("__metadata__") or {})["train"])["step"])
    except (OSError, DamagedFileError, ValueError, KeyError, TypeError):
        return None


def list_runs(runs_dir: str | Path) -> list[dict]:
    """Past runs: folder, name, steps done (the step a resume continues from when there is a
    checkpoint), best validation PSNR."""
    out = []
    root = Path(runs_dir)
    if not root.is_dir():
        return out
    for run in sorted(p for p in root.iterdir() if (p / "config.yaml").exists()):
        recs = read_metrics(run)
        steps = checkpoint_step(run / "checkpoints" / "last.safetensors")
        if steps is None:
            steps = max((r.get("step", 0) for r in recs), default=0)
        vals = [r["val"]["psnr"] for r in recs if "val" in r and "psnr" in r["val"]]
        out.append({"run": str(run), "name": run.name, "steps": steps,
                    "best_psnr": max(vals) if vals else None,
                    "has_checkpoint": (run / "checkpoints" / "last.safetensors").exists()})
    return out
