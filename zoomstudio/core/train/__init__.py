"""Training: typed configs, the event-generating loop, checkpoints.

Attributes load lazily: configs and events import without torch; the loop and checkpoints need it.
"""

from ..lazy import lazy_attributes

_EXPORTS = {n: ".config" for n in ("DataConfig", "OptimConfig", "TrainConfig", "config_to_dict", "load_config",
                                   "save_config")}
_EXPORTS.update({n: ".events" for n in ("CheckpointSaved", "PreviewReady", "RunFinished", "RunStarted", "StepDone",
                                        "ValidationDone")})
_EXPORTS.update({n: ".checkpoint" for n in ("TrainState", "load_checkpoint", "save_checkpoint")})
_EXPORTS.update({n: ".runs" for n in ("list_runs", "read_metrics")})
_EXPORTS.update({"pick_device": "..device", "train": ".loop"})
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_attributes(__name__, _EXPORTS)
