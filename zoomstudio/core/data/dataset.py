"""A torch ``Dataset`` of SR-RAW training patches (random or central sampling)."""

from __future__ import annotations

import logging
from collections import OrderedDict

import numpy as np
import torch
from torch.utils.data import Dataset

from ..raw.errors import RawReadError
from .pairs import INPUT_KINDS, PairSpec, TrainingPair, build_pair, with_input
from .patches import PatchSpec, sample_patch

log = logging.getLogger(__name__)


class SrRawPatchDataset(Dataset):
    """Patches of built pairs; built pairs are cached (LRU of ``cache_pairs``).

    Item ``i`` uses pair ``i % len(pairs)``. Random sampling is deterministic
    for ``(seed, epoch, i)``; call :meth:`set_epoch` each epoch. Items are dicts:
    ``input`` float32 (4, c+2pb, c+2pb) (``input_kind`` png: the camera JPEG, (3, 2(c+2pb), 2(c+2pb))),
    ``target`` float32 (3, P+2tb, P+2tb), ``input_wb`` float32 (3,), ``name`` str. ``input_kind`` is one
    of :data:`~zoomstudio.core.data.pairs.INPUT_KINDS`; ``syn_max_sigma`` bounds the syn-raw noise.
    """

    def __init__(self, pairs: list[PairSpec], patch: PatchSpec = PatchSpec(), *, central: bool = False,
                 flips: bool = True, samples_per_pair: int = 1, cache_pairs: int = 8, seed: int = 0,
                 use_wb: bool = True, input_kind: str = "raw", syn_max_sigma: float | None = None) -> None:
        if not pairs:
            raise ValueError("SrRawPatchDataset needs at least one pair")
        zooms = {p.zoom for p in pairs}
        if len(zooms) != 1:
            raise ValueError(f"all pairs must share one zoom, got {sorted(zooms)}")
        self.pairs = list(pairs)
        self.zoom = zooms.pop()
        self.patch = patch
        self.central = central
        self.flips = flips
        self.samples_per_pair = max(1, samples_per_pair)
        self.cache_pairs = max(1, cache_pairs)
        self.seed = seed
        self.use_wb = use_wb
        if input_kind not in INPUT_KINDS:
            raise ValueError(f"input must be one of {', '.join(INPUT_KINDS)}, got {input_kind!r}")
        self.input_kind = input_kind
        self.syn_max_sigma = syn_max_sigma
        self.epoch = 0
        self._cache: OrderedDict[int, TrainingPair] = OrderedDict()
        self.bad: dict[int, str] = {}  # pair index -> why it is skipped

    def __len__(self) -> int:
        return len(self.pairs) * self.samples_per_pair

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def pair(self, k: int) -> TrainingPair:
        if k in self._cache:
            self._cache.move_to_end(k)
            return self._cache[k]
        spec = self.pairs[k]
        # a png input carries its white balance, so its targets keep theirs
        built = build_pair(spec, use_wb=self.use_wb and self.input_kind != "png")
        built = with_input(built, spec, self.input_kind, seed=self.seed, max_sigma=self.syn_max_sigma)
        self._cache[k] = built
        while len(self._cache) > self.cache_pairs:
            self._cache.popitem(last=False)
        return built

    def __getitem__(self, i: int) -> dict:
        if not 0 <= i < len(self):
            raise IndexError(i)
        rng = np.random.default_rng([self.seed, self.epoch, i])
        k = i % len(self.pairs)
        # A pair that cannot be built or is too small for a patch is skipped (once, with a
        # warning) in favour of the next usable one, so one bad sequence never stops training.
        for attempt in range(len(self.pairs)):
            j = (k + attempt) % len(self.pairs)
            if j in self.bad:
                continue
            try:
                pair = self.pair(j)
                p, t = sample_patch(pair, self.patch, rng, central=self.central, flips=self.flips)
                break
            except (ValueError, OSError, RawReadError) as exc:
                self.bad[j] = str(exc)
                log.warning("skipping pair %s: %s", self.pairs[j].name, exc)
        else:
            raise ValueError("no usable pair: " + "; ".join(self.bad.values()))
        return {
            "input": torch.from_numpy(p),
            "target": torch.from_numpy(t),
            "input_wb": torch.from_numpy(pair.input_wb.astype(np.float32)),
            "name": pair.name,
        }
