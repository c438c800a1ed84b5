"""SR-RAW data: the on-disk layout, pair selection and building, patches (the synthesis job is
:mod:`.synth`, imported on its own: it is a job, not a building block).

``zoomstudio.core.data.dataset`` (the torch ``Dataset``) is imported on its
own so the rest stays usable without importing torch.
"""

from .pairs import (
    PairSpec,
    TrainingPair,
    build_pair,
    candidate_pairs,
    dataset_pairs,
    flip_pair,
    select_pair,
    split_sequences,
)
from .patches import PatchSpec, sample_patch
from .srraw import DatasetIndex, Sequence, Shot, iter_scan, scan_root, scan_sequence

__all__ = [
    "DatasetIndex",
    "PairSpec",
    "PatchSpec",
    "Sequence",
    "Shot",
    "TrainingPair",
    "build_pair",
    "candidate_pairs",
    "dataset_pairs",
    "flip_pair",
    "iter_scan",
    "sample_patch",
    "scan_root",
    "scan_sequence",
    "select_pair",
    "split_sequences",
]
