"""Mask generators for masked video pre-training, vectorised over the batch.

A mask is a bool tensor ``(B, N)`` over the ``N = T' * H' * W'`` tokens in
(t, h, w) order, True = hidden. Every sample hides the same number of
tokens, so the encoder can gather the visible ones into a dense batch.
Each generator draws from an explicit ``torch.Generator``: the same seed
gives the same masks.
"""
from typing import Callable, Dict, Optional, Sequence

import torch
from torch import Tensor


def _hide_k(rows: int, cols: int, k: int, generator: torch.Generator,
            device: Optional[torch.device]) -> Tensor:
    """``(rows, cols)`` bool with exactly ``k`` random True per row (drawn
    on the CPU, so a seed gives the same mask on any device)."""
    order = torch.rand(rows, cols, generator=generator).argsort(1)
    return (order < k).to(device or 'cpu')


def tube_mask(batch: int, grid: Sequence[int], ratio: float,
              generator: torch.Generator,
              device: Optional[torch.device] = None) -> Tensor:
    """One random spatial mask shared by every temporal slice (the paper's
    default): ``int(ratio * H' * W')`` patches hidden in each slice."""
    t, h, w = grid
    spatial = _hide_k(batch, h * w, int(ratio * h * w), generator, device)
    return spatial.repeat(1, t)


def random_mask(batch: int, grid: Sequence[int], ratio: float,
                generator: torch.Generator,
                device: Optional[torch.device] = None) -> Tensor:
    """``int(ratio * N)`` tokens hidden anywhere in space-time."""
    n = grid[0] * grid[1] * grid[2]
    return _hide_k(batch, n, int(ratio * n), generator, device)


def frame_mask(batch: int, grid: Sequence[int], ratio: float,
               generator: torch.Generator,
               device: Optional[torch.device] = None) -> Tensor:
    """Whole temporal slices hidden: ``int(ratio * T')`` of them (87.5% is
    7 of 8 slices, the paper's ablation)."""
    t, h, w = grid
    frames = _hide_k(batch, t, int(ratio * t), generator, device)
    return frames.repeat_interleave(h * w, dim=1)


MASK_GENERATORS: Dict[str, Callable[..., Tensor]] = dict(
    tube=tube_mask, random=random_mask, frame=frame_mask)


def decoder_mask(mask: Tensor, ratio: float,
                 generator: torch.Generator) -> Tensor:
    """VideoMAE V2's decoder masking: reconstruct only a random subset of
    the hidden tokens.

    Args:
        mask: ``(B, N)`` encoder mask, True = hidden.
        ratio: Fraction of the hidden tokens to reconstruct.

    Returns:
        Tensor: ``(B, N)`` bool, True = hidden and reconstructed; a subset
        of ``mask`` with ``round(ratio * N_hidden)`` True per row.
    """
    hidden = int(mask[0].sum())
    keep = max(1, round(ratio * hidden))
    # random score for hidden tokens, +inf for visible ones: the `keep`
    # smallest scores pick hidden tokens only
    score = torch.rand(mask.shape, generator=generator).to(mask.device)
    score = score.masked_fill(~mask, float('inf'))
    order = score.argsort(1).argsort(1)
    return order < keep


def make_mask(kind: str, batch: int, grid: Sequence[int], ratio: float,
              generator: torch.Generator,
              device: Optional[torch.device] = None) -> Tensor:
    """Dispatch to a generator by name (``tube``, ``random``, ``frame``)."""
    if kind not in MASK_GENERATORS:
        raise KeyError(f'unknown mask type {kind!r}; choose one of '
                       f'{sorted(MASK_GENERATORS)}')
    if not 0 <= ratio < 1:
        raise ValueError(f'mask ratio must be in [0, 1), got {ratio}')
    return MASK_GENERATORS[kind](batch, grid, ratio, generator, device)
