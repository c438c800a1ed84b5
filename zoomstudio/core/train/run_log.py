"""What a run records beside its checkpoints: ``metrics.jsonl`` and TensorBoard event files.

``metrics.jsonl`` (one JSON record per logged step or validation) feeds the
app's plots and the run list. The same numbers, the learning rate and the
validation previews also go to TensorBoard event files in ``tensorboard/``
(the convention BasicSR users open with ``tensorboard --logdir runs``), written
with tensorboardX. A resumed run drops what it will replay: ``metrics.jsonl``
is cut at the checkpoint's step, and the new event file starts with a purge
marker at that step, so TensorBoard shows no step twice either.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

#: the folder of a run that holds its TensorBoard event files
TENSORBOARD_DIR = "tensorboard"


class RunLog:
    """Appends a run's records; ``enabled=False`` (not the main process) writes nothing.

    ``resumed_from``: the checkpoint step a resume continues after (``None`` for a new run).
    ``tensorboard=False`` keeps to ``metrics.jsonl`` only.
    """

    def __init__(self, run: str | Path, *, enabled: bool = True, resumed_from: int | None = None,
                 tensorboard: bool = True) -> None:
        self.metrics_file = Path(run) / "metrics.jsonl"
        self.enabled = enabled
        self._tb = None
        if enabled and tensorboard:
            try:
                from tensorboardX import SummaryWriter
            except ImportError as exc:  # a declared dependency; without it the run still trains and logs
                log.warning("no TensorBoard event files (%s); metrics.jsonl only", exc)
            else:
                purge = resumed_from + 1 if resumed_from is not None else None
                self._tb = SummaryWriter(str(Path(run) / TENSORBOARD_DIR), purge_step=purge, flush_secs=10)

    def _append(self, record: dict) -> None:
        if self.enabled:
            with open(self.metrics_file, "a") as fh:
                fh.write(json.dumps(record) + "\n")

    def step(self, step: int, loss: float, terms: dict[str, float], lr: float, steps_per_s: float,
             wall_time: float) -> None:
        """A training step's loss, its terms, the learning rate and the speed."""
        self._append({"step": step, "loss": loss, **terms, "lr": lr, "steps_per_s": steps_per_s,
                      "time": wall_time})
        if self._tb is not None:
            self._tb.add_scalar("loss/total", loss, step)
            for name, value in terms.items():
                if name != "total":
                    self._tb.add_scalar(f"loss/{name}", value, step)
            self._tb.add_scalar("train/lr", lr, step)
            self._tb.add_scalar("train/steps_per_s", steps_per_s, step)

    def validation(self, step: int, metrics: dict, preview: dict[str, np.ndarray] | None = None) -> None:
        """Validation metrics (numbers go to TensorBoard as ``val/<name>``) and previews (uint8 HWC)."""
        self._append({"step": step, "val": metrics})
        if self._tb is not None:
            for name, value in metrics.items():
                if isinstance(value, (int, float)):
                    self._tb.add_scalar(f"val/{name}", value, step)
            for name, image in (preview or {}).items():
                self._tb.add_image(f"preview/{name}", image, step, dataformats="HWC")
            self._tb.flush()

    def error(self, step: int, message: str) -> None:
        self._append({"step": step, "error": message})
        if self._tb is not None:
            self._tb.add_text("error", message, step)

    def close(self) -> None:
        if self._tb is not None:
            self._tb.close()
            self._tb = None
