"""SR-RAW data: the on-disk layout, pair selection and building, patches, synthesis.

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
from .synth import SynthConfig, synthesize

__all__ = [
    "DatasetIndex",
    "PairSpec",
    "PatchSpec",
    "Sequence",
    "Shot",
    "SynthConfig",
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
    "synthesize",
]
