"""Training: typed configs, the event-generating loop, checkpoints."""

from .checkpoint import TrainState, load_checkpoint, save_checkpoint
from .config import DataConfig, OptimConfig, TrainConfig, config_to_dict, load_config, save_config
from .events import CheckpointSaved, PreviewReady, RunFinished, RunStarted, StepDone, ValidationDone
from .loop import list_runs, pick_device, read_metrics, train

__all__ = [
    "CheckpointSaved", "DataConfig", "OptimConfig", "PreviewReady", "RunFinished", "RunStarted", "StepDone",
    "TrainConfig", "TrainState", "ValidationDone", "config_to_dict", "list_runs", "load_checkpoint",
    "load_config", "pick_device", "read_metrics", "save_checkpoint", "save_config", "train",
]
