"""The paper's controlled experiment (Table 2): the same network on real RAW, on RAW synthesised from the
camera JPEG ("syn-raw") and on the JPEG itself ("png"), one recipe, budget, seed and split.

:func:`run_controls` trains the three variants under ``OUT/<variant>`` (a finished variant is not
retrained; an interrupted one resumes), evaluates them with bicubic on the test split under one
protocol, and writes ``OUT/table.json`` and ``OUT/table.md`` in the layout of the paper's Table 2 with
the paper's reported numbers beside ours. A job: a generator of value events with a cancel token.
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Iterator

from ..events import CancelToken, Cancelled, Problem, Progress, Result

#: variant -> (data.input, the evaluation's method name, the paper's row label)
VARIANTS = {"raw": ("raw", "ours", "Ours"), "syn-raw": ("syn-raw", "syn-raw", "Ours-syn-raw"),
            "png": ("png", "png", "Ours-png")}
#: the table's rows, in the paper's order
ROWS = (("bicubic", "Bicubic"), ("png", "Ours-png"), ("syn-raw", "Ours-syn-raw"), ("ours", "Ours"))


def variant_config(base, variant: str, data: str, scale: int, steps: int):
    """``base`` (a TrainConfig) for one variant: its input kind and matching input channels, the data
    root, zoom and step budget; everything else (recipe, seed, split) shared."""
    kind = VARIANTS[variant][0]
    return dataclasses.replace(
        base, name=f"controls-{variant}", steps=steps,
        data=dataclasses.replace(base.data, root=str(data), zoom=scale, input=kind),
        net=dataclasses.replace(base.net, zoom=scale, in_channels=3 if kind == "png" else 4))


def _finished_step(run: Path) -> int | None:
    from ..train.runs import checkpoint_step

    return checkpoint_step(run / "checkpoints" / "last.safetensors")


def format_table(report: dict) -> str:
    """The Markdown table of ``table.json``: ours and the paper's reported numbers, Table 2's layout."""
    scale = report["scale"]
    lines = [f"{scale}X, {report['pairs']} test pairs of {report['data']}; protocol: {report['protocol_text']}",
             f"budget: {report['steps']} steps per variant, recipe {report['recipe']}, seed {report['seed']}",
             "",
             f"| method | SSIM | PSNR | LPIPS | SSIM (reported) | PSNR (reported) | LPIPS (reported) |",
             "|---|---|---|---|---|---|---|"]
    for key, label in ROWS:
        m = report["methods"].get(key)
        if m is None:
            continue

        def f(v, fmt):
            return format(v, fmt) if v is not None else "n/a"

        r = m.get("reported") or {}
        lines.append(f"| {label} | {f(m.get('ssim'), '.4f')} | {f(m.get('psnr'), '.2f')} | {f(m.get('lpips'), '.4f')} "
                     f"| {f(r.get('ssim'), '.3f')} | {f(r.get('psnr'), '.2f')} | {f(r.get('lpips'), '.3f')} |")
    order = sorted((k for k, _ in ROWS if k != "bicubic" and report["methods"].get(k, {}).get("psnr") is not None),
                   key=lambda k: -report["methods"][k]["psnr"])
    labels = dict(ROWS)
    lines += ["", "Measured PSNR order: " + " > ".join(labels[k] for k in order)
              + " (the paper reports Ours > Ours-syn-raw > Ours-png)."]
    return "\n".join(lines) + "\n"


def run_controls(data: str | Path, base, out: str | Path, *, scale: int = 4, steps: int = 3000,
                 device: str = "cpu", with_lpips: bool = True, max_pairs: int | None = None,
                 cancel: CancelToken | None = None) -> Iterator[Progress | Problem | Result | Cancelled]:
    """Train raw, syn-raw and png with ``base``'s recipe on ``data``, evaluate, write the table.

    ``base`` is a TrainConfig (its device, seed, split and recipe are kept). Yields ``Progress``
    (variant, step), ``Problem`` (a variant that failed: the table then lacks it), ``Cancelled`` (a
    normal return; finished variants are kept and not retrained), and a final ``Result`` whose values
    hold the report and the paths of ``table.md`` / ``table.json``.
    """
    from ..fileio import atomic_write_text
    from ..evaluation import evaluate
    from ..metrics import EvalProtocol, parse_methods
    from ..train import train
    from ..train.events import RunFinished, StepDone

    t0 = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    base = dataclasses.replace(base, device=device)
    models: dict[str, str] = {}
    total = 3 * steps + 1
    for i, variant in enumerate(VARIANTS):
        cfg = variant_config(base, variant, str(data), scale, steps)
        run = out / variant
        done = _finished_step(run)
        if done is not None and done >= steps:
            yield Progress((i + 1) * steps, total, f"{variant}: finished earlier ({done} steps), not retrained")
            models[variant] = str(run / "checkpoints" / "last.safetensors")
            continue
        resume = run if done is not None else None
        if resume is None and run.exists():  # a start killed before its first checkpoint: kept aside
            aside = out / f".{variant}.incomplete-{time.strftime('%Y%m%d-%H%M%S')}"
            run.rename(aside)
            yield Problem(str(run), f"an earlier start left no checkpoint; moved to {aside.name}, starting again")
        outcome = None
        for ev in train(cfg, resume=resume, run_dir=None if resume else run, cancel=cancel):
            if isinstance(ev, StepDone):
                yield Progress(i * steps + ev.step, total, f"{variant}: step {ev.step}/{steps}, loss {ev.loss:.4f}")
            elif isinstance(ev, Problem):
                yield ev
            elif isinstance(ev, RunFinished):
                outcome = ev
        if outcome is None or outcome.reason == "cancelled" or (cancel is not None and cancel.cancelled):
            yield Cancelled(f"controls cancelled during {variant} (finished variants are kept)")
            return
        if outcome.reason != "completed":
            yield Problem(str(run), f"{variant} failed: {outcome.message}")
            continue
        models[variant] = str(run / "checkpoints" / "last.safetensors")

    yield Progress(3 * steps, total, "evaluating on the test split")
    names = ["bicubic"] + [VARIANTS[v][1] for v in VARIANTS if v in models]
    extra = {VARIANTS[v][1]: p for v, p in models.items() if v != "raw"}
    methods = parse_methods(",".join(names), models.get("raw"), extra)
    protocol = EvalProtocol()
    report = None
    for ev in evaluate(data, scale, methods, protocol, split="test", split_seed=base.data.split_seed,
                       device=device, with_lpips=with_lpips, max_pairs=max_pairs, cancel=cancel):
        if isinstance(ev, Result):
            report = ev.values
        elif isinstance(ev, Cancelled):
            yield ev
            return
        elif isinstance(ev, Problem):
            yield ev
    if report is None:
        yield Problem(str(data), "nothing evaluated on the test split")
        return
    table = {
        "scale": scale, "data": str(data), "steps": steps, "seed": base.seed, "recipe": base.name,
        "pairs": report["pairs"], "protocol": report["protocol"], "protocol_text": report["protocol_text"],
        "methods": {k: {m: v.get(m) for m in ("psnr", "ssim", "lpips", "delta_e", "reported")}
                    for k, v in report["methods"].items()},
        "models": models, "seconds": time.perf_counter() - t0,
    }
    md = atomic_write_text(out / "table.md", format_table(table))
    js = atomic_write_text(out / "table.json", json.dumps(table, indent=1))
    yield Progress(total, total, "done")
    yield Result(str(out), {"report": table, "table_md": str(md), "table_json": str(js)})
