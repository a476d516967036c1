"""Keyframe-centric token dropout (EVAD, Chen et al., ICCV 2023).

AVA scores the people of one keyframe, the middle of the clip. At a few
blocks the encoder keeps the keyframe's tokens and, of the others, those
the block's attention looks at most; the rest leave the encoder there
(after that block's attention, before its MLP, as EVAD). Later blocks work
on about a third of the tokens. For the RoI head every dropped token is put
back at its place with the state it had when it was dropped (EVAD instead
refills with a learned mask token inside its context-refinement decoder;
ours needs no new parameters, so every checkpoint still loads).
"""
import math
from typing import Sequence, Tuple

import torch
from torch import Tensor


class TokenDropout:
    """Which tokens survive a block: rank, keep, re-assemble.

    Args:
        blocks: 0-based indices of the blocks that drop tokens. EVAD's
            ViT-B drops at ``(3, 6, 9)`` (its per-block ``KEEP_RATES``
            positions, i.e. the 4th, 7th and 10th blocks), its ViT-L at
            ``(6, 12, 18)``.
        keep_rate: Share of the tokens entering such a block that leave it,
            keyframe tokens included (``ceil(keep_rate * N)``; EVAD 0.7).
        enhanced_weight: Weight of the keyframe's queries in the ranking
            (EVAD 1; 4 with keep rate 0.6).
    """

    def __init__(self, blocks: Sequence[int], keep_rate: float = 0.7,
                 enhanced_weight: float = 1.) -> None:
        if not 0 < keep_rate <= 1:
            raise ValueError(f'token_dropout.keep_rate must be in (0, 1], '
                             f'got {keep_rate}')
        self.blocks = frozenset(int(b) for b in blocks)
        self.keep_rate = float(keep_rate)
        self.enhanced_weight = float(enhanced_weight)

    def active(self, block: int) -> bool:
        return block in self.blocks and self.keep_rate < 1

    @staticmethod
    def keyframe(grid: Tuple[int, int, int]) -> Tuple[int, int]:
        """Token index range ``[start, end)`` of the middle temporal slice
        (tokens are ordered t, h, w)."""
        T, H, W = grid
        return T // 2 * H * W, (T // 2 + 1) * H * W

    def query_weight(self, is_key: Tensor) -> Tensor:
        """``(B, N)``: ``enhanced_weight`` for the keyframe's queries, 1 for
        the others."""
        return torch.where(is_key, self.enhanced_weight, 1.)

    def count(self, num_tokens: int, num_key: int) -> int:
        """Tokens that leave a dropping block: ``ceil(keep_rate * N)``,
        never fewer than the keyframe's ``num_key``."""
        return max(math.ceil(self.keep_rate * num_tokens), num_key)

    @staticmethod
    def keep(received: Tensor, is_key: Tensor, count: int) -> Tensor:
        """``(B, count)`` positions (ascending) of the tokens that stay:
        the keyframe's, then the most attended (``received (B, N)``, see
        ``Attention``)."""
        score = received.masked_fill(is_key, math.inf)
        return score.topk(count, dim=1).indices.sort(dim=1).values


def gather_tokens(x: Tensor, index: Tensor) -> Tensor:
    """``x (B, N, D)``, ``index (B, K)`` -> ``(B, K, D)``."""
    return x.gather(1, index[..., None].expand(-1, -1, x.shape[-1]))


def place_tokens(full: Tensor, x: Tensor, index: Tensor) -> Tensor:
    """``full (B, N, D)`` with ``x (B, K, D)`` written at ``index (B, K)``
    (out of place, so gradients flow to both)."""
    return full.scatter(1, index[..., None].expand(-1, -1, x.shape[-1]), x)
