"""ContiguousSampler: every sample scored once, in stretches per rank and
per loader worker; the runner fits it to its loader."""
from itertools import chain, zip_longest
from unittest import mock

import pytest
import torch

import videomae_det  # noqa: F401  (registers the sampler)
from videomae_det.datasets import ContiguousSampler


def collect(parts, size):
    """mmengine's ``collect_results``: ranks interleaved, padding cut."""
    return [i for i in chain.from_iterable(zip_longest(*parts))
            if i is not None][:size]


def stretches(indices):
    """Number of runs of consecutive indices (repeats: the padding)."""
    return 1 + sum(b not in (a, a + 1) for a, b in zip(indices, indices[1:]))


@pytest.mark.parametrize('round_up', [True, False])
def test_each_sample_once_in_a_stretch_per_rank_and_worker(round_up):
    for size in (1, 2, 5, 7, 16, 23):
        for ranks in (1, 2, 3, 4):
            for workers in (0, 1, 2, 3):
                for batch in (1, 2, 3):
                    parts = []
                    for rank in range(ranks):
                        with mock.patch('mmengine.dataset.sampler.'
                                        'get_dist_info',
                                        return_value=(rank, ranks)):
                            sampler = ContiguousSampler(
                                range(size), workers, batch,
                                round_up=round_up)
                        part = list(sampler)
                        assert len(part) == len(sampler)
                        parts.append(part)
                        batches = [part[j:j + batch]
                                   for j in range(0, len(part), batch)]
                        for w in range(max(workers, 1)):
                            got = sum(batches[w::max(workers, 1)], [])
                            assert stretches(got) <= 1, (
                                size, ranks, workers, batch, rank, w, got)
                        assert stretches(sorted(part)) <= 1
                    if round_up:
                        assert len({len(p) for p in parts}) == 1
                    got = collect(parts, size)
                    assert sorted(got) == list(range(size)), (
                        size, ranks, workers, batch, parts)


def test_the_runner_fits_it_to_a_loader_of_two_workers():
    """Built as a config's val loader by CheckedRunner: worker w of two
    gets the w-th half of the data, in order."""
    from videomae_det.engine.runner import CheckedRunner

    class WorkerOf(torch.utils.data.Dataset):
        def __len__(self):
            return 9

        def __getitem__(self, i):
            return i, torch.utils.data.get_worker_info().id

    loader = CheckedRunner.build_dataloader(dict(
        dataset=WorkerOf(), batch_size=2, num_workers=2,
        sampler=dict(type='ContiguousSampler'),
        collate_fn=dict(type='pseudo_collate')))
    sampler = loader.batch_sampler.sampler
    assert (sampler.batch_size, sampler.num_workers) == (2, 2)
    seen = {0: [], 1: []}
    for batch in loader:
        for index, worker in zip(*batch):  # pseudo_collate transposes
            seen[worker].append(index)
    assert sorted(seen.values()) == [[0, 1, 2, 3], [4, 5, 6, 7, 8]]
