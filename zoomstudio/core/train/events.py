"""Value events of a training run (plain numbers, strings and small numpy arrays only)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class RunStarted:
    run_dir: str
    device: str
    resumed_from: int  # step (0 for a new run)
    total_steps: int
    parameters: int


@dataclass(frozen=True)
class StepDone:
    step: int
    total: int
    loss: float
    terms: dict[str, float]
    lr: float
    steps_per_s: float
    eta_s: float


@dataclass(frozen=True)
class ValidationDone:
    step: int
    metrics: dict[str, float]


@dataclass(frozen=True)
class PreviewReady:
    """Small uint8 RGB images (H, W, 3): ``input`` (bicubic of the packed input), ``output``, ``target``."""

    step: int
    images: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckpointSaved:
    step: int
    path: str
    kind: str  # "last", "periodic", "best"


@dataclass(frozen=True)
class RunFinished:
    run_dir: str
    step: int
    reason: str  # "completed", "cancelled", "failed"
    message: str = ""
