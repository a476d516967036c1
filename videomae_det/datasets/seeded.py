"""Augmentation draws that are a function of (seed, epoch, sample), not of
which loader worker ran before.

With loader workers, each worker's random state advances with every sample
it prepares, and it dies with the process: a run killed mid-training and
resumed starts fresh workers, so its crops and flips differ from an
uninterrupted run's. :class:`SeededSampler` (mmengine's ``DefaultSampler``,
same order) hands out indices that carry a seed derived from the sampler
seed, the epoch and the index; datasets with :class:`SeededSamplesMixin`
prepare each sample under that seed (numpy, ``random`` and torch), then
restore the process's own random state. The data a run sees is then the
same whatever the number of workers, and a resumed run replays it exactly.
"""
import random
from contextlib import contextmanager
from typing import Iterator

import numpy as np
import torch
from mmaction.registry import DATASETS
from mmengine.dataset import ConcatDataset, DefaultSampler
from mmengine.registry import DATA_SAMPLERS


class SeededIndex(int):
    """A dataset index with the seed its sample is prepared under."""

    def __new__(cls, index: int, seed: int) -> 'SeededIndex':
        obj = super().__new__(cls, index)
        obj.seed = seed
        return obj

    def __reduce__(self):  # to loader workers and back
        return SeededIndex, (int(self), self.seed)


def sample_seed(*parts: int) -> int:
    """A 32-bit seed from integers (sampler seed, epoch, index, ...)."""
    return int(np.random.SeedSequence([int(p) & 0xFFFFFFFF for p in parts]
                                      ).generate_state(1)[0])


@contextmanager
def seeded_random(seed: int):
    """Seed numpy's, Python's and torch's global generators; restore them
    after."""
    states = np.random.get_state(), random.getstate(), torch.get_rng_state()  # noqa: NPY002
    np.random.seed(seed)  # noqa: NPY002  (pipelines draw from the globals)
    random.seed(seed)
    torch.manual_seed(seed)
    try:
        yield
    finally:
        np.random.set_state(states[0])  # noqa: NPY002
        random.setstate(states[1])
        torch.set_rng_state(states[2])


@DATA_SAMPLERS.register_module()
class SeededSampler(DefaultSampler):
    """``DefaultSampler`` whose indices carry per-sample seeds from (seed,
    epoch, index)."""

    def __iter__(self) -> Iterator[SeededIndex]:
        for index in super().__iter__():
            yield SeededIndex(index, sample_seed(self.seed, self.epoch,
                                                 index))


class SeededSamplesMixin:
    """Prepare a :class:`SeededIndex`'s sample under its seed; a sample
    drawn to replace a failed one gets a seed derived from it."""

    def prepare_data(self, idx: int):
        seed = getattr(idx, 'seed', None)
        if seed is None:
            return super().prepare_data(idx)
        self._replacement_seed = sample_seed(seed, 1)
        with seeded_random(seed):
            return super().prepare_data(idx)

    def _rand_another(self) -> int:
        seed = getattr(self, '_replacement_seed', None)
        if seed is None:
            return super()._rand_another()
        index = int(np.random.default_rng(seed).integers(len(self)))
        return SeededIndex(index, seed)


@DATASETS.register_module()
class SeededConcatDataset(ConcatDataset):
    """mmengine's ``ConcatDataset`` that hands a :class:`SeededIndex`'s seed
    on to the dataset it picks (AVA-Kinetics: AVA and its Kinetics part),
    so a resumed run replays the same augmentation draws."""

    def __getitem__(self, idx: int):
        if not self._fully_initialized:
            self.full_init()
        dataset_idx, sample_idx = self._get_ori_dataset_idx(int(idx))
        seed = getattr(idx, 'seed', None)
        if seed is not None:
            sample_idx = SeededIndex(sample_idx, seed)
        return self.datasets[dataset_idx][sample_idx]
