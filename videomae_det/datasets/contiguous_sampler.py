"""Test-time order in which each rank and each loader worker reads one
contiguous stretch of the dataset.

A streaming video reader (:class:`AVAVideoDecode`) decodes every frame of a
video once per reader, so it pays off only if a reader sees a video's
keyframes in order. mmengine's ``DefaultSampler`` deals samples to ranks in
turn, and a ``DataLoader`` deals batches to its workers in turn: with R
ranks of W workers each reader gets every (R * W)-th keyframe and decodes
the whole video for them, R * W times the work of one reader.

:class:`ContiguousSampler` gives rank r the r-th stretch of the dataset and
orders that stretch so the loader's round robin hands worker w its w-th
sub-stretch. The metrics this project ships (``AVAFrameMAP``, ``TubeMAP``)
put predictions back in (video, time) order before scoring, so the numbers
do not depend on the number of ranks or workers.
"""
import math
from typing import Iterator, List, Optional

from mmengine.dataset import DefaultSampler
from mmengine.registry import DATA_SAMPLERS


def worker_order(n: int, batch_size: int, num_workers: int) -> List[int]:
    """Positions ``0..n-1`` reordered so that batch ``j`` (of ``batch_size``
    consecutive positions, handed to worker ``j % num_workers``) continues
    its worker's stretch of ``range(n)``. The last (maybe partial) batch
    stays last and ends with position ``n - 1``."""
    batches = math.ceil(n / batch_size)
    if num_workers <= 1 or batches <= 1:
        return list(range(n))
    last = (batches - 1) % num_workers  # the worker of the final batch
    start, pos = {}, 0
    for k in range(1, num_workers + 1):  # the final batch's worker last
        w = (last + k) % num_workers
        start[w] = pos
        pos += len(range(w, batches, num_workers)) * batch_size
    order = []
    for j in range(batches):
        first = start[j % num_workers] + j // num_workers * batch_size
        order.extend(range(first, min(first + batch_size, n)))
    return order


@DATA_SAMPLERS.register_module()
class ContiguousSampler(DefaultSampler):
    """``DefaultSampler(shuffle=False)`` with contiguous stretches per rank
    and per loader worker (see the module docstring).

    mmengine's ``collect_results`` interleaves the ranks' results and cuts
    the padding off the end: ranks whose stretch is one sample short repeat
    their own last sample (the reader has it at hand), at the end of their
    list, where the cut falls.

    Args:
        dataset: The dataset.
        num_workers, batch_size: The loader's; set from the loader by this
            project's runners (:meth:`fit_loader`), to be given here with
            mmengine's own ``Runner``. Wrong values cost speed, not results.
        round_up: As ``DefaultSampler``: pad so that every rank has as many
            samples.
        seed: Unused (no shuffling); taken for the runner's default
            arguments.
    """

    def __init__(self, dataset, num_workers: int = 0, batch_size: int = 1,
                 round_up: bool = True, seed: Optional[int] = None) -> None:
        super().__init__(dataset, shuffle=False, seed=seed, round_up=round_up)
        self.fit_loader(batch_size, num_workers)

    def fit_loader(self, batch_size: int, num_workers: int) -> None:
        """Order for a loader of ``num_workers`` workers (0: the main
        process) taking ``batch_size`` samples at a time."""
        self.batch_size, self.num_workers = batch_size, num_workers

    def __iter__(self) -> Iterator[int]:
        size, ranks = len(self.dataset), self.world_size
        # rank r: as many samples as DefaultSampler gives it, in a stretch
        counts = [math.ceil((size - r) / ranks) for r in range(ranks)]
        first = sum(counts[:self.rank])
        indices = list(range(first, first + counts[self.rank]))
        if self.round_up and len(indices) < self.num_samples:
            indices.append(indices[-1] if indices else size - 1)
        order = worker_order(len(indices), self.batch_size, self.num_workers)
        return iter([indices[i] for i in order])
