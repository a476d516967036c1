"""Fit a checkpoint's VideoMAE weights to a model of another input size.

Two tensors depend on the input rather than the architecture:

- a learned position table ``pos_embed`` ``(1, T'*H'*W', D)``: resampled
  from the checkpoint's token grid to the model's (bicubic in space, linear
  in time: :func:`resample_pos_embed`);
- the tubelet embedding ``patch_embed.proj.weight`` ``(D, C, t, p, p)``:
  resampled along time to the model's tubelet and scaled by ``t_src /
  t_dst``, so a clip that is constant in time embeds exactly as before.

A fixed sinusoid table saved in a checkpoint (mmaction2 does) carries no
information and is dropped; a learned one cannot be, and loading it into a
model with the fixed table is an error. So is another patch size or width.
Every adaptation is logged.
"""
import math
from typing import Dict, Optional, Tuple

import torch
import torch.nn.functional as F
from mmengine.logging import print_log
from torch import Tensor

from videomae_det_core.errors import InputError


class AdaptationError(InputError, ValueError):
    """A checkpoint tensor cannot be fitted to the model."""


def token_grid(num_tokens: int, like: Tuple[int, int, int]
               ) -> Tuple[int, int, int]:
    """The ``(T', H', W')`` grid of a table of ``num_tokens`` tokens.

    The grid is square in space, as every released VideoMAE model; among
    the factorisations, the one sharing ``like``'s frame count (else its
    side) wins, so a table for 8 frames at 224 and one for 16 at 160 are
    told apart from a model for 16 frames at 224.
    """
    options = []
    for t in range(1, num_tokens + 1):
        side = math.isqrt(num_tokens // t)
        if num_tokens % t == 0 and side * side * t == num_tokens:
            options.append((t, side, side))
    if not options:
        raise AdaptationError(f'a position table of {num_tokens} tokens is '
                              'not T x S x S for any square side S')
    same_t = [g for g in options if g[0] == like[0]]
    same_s = [g for g in options if g[1] == like[1]]
    return (same_t or same_s or options)[0]


def resample_pos_embed(table: Tensor, src: Tuple[int, int, int],
                       dst: Tuple[int, int, int]) -> Tensor:
    """``(1, prod(src), D)`` -> ``(1, prod(dst), D)``: bicubic in space,
    frame by frame, as mmaction2's ViT resizes its table for AVA's
    non-square inputs, then linear in time. The one rule for run time
    (:meth:`VideoMAE.position_embedding`) and checkpoints alike."""
    T, H, W = src
    D = table.shape[-1]
    grid = table.reshape(T, H, W, D).permute(0, 3, 1, 2).float()
    if (H, W) != tuple(dst[1:]):
        grid = F.interpolate(grid, size=tuple(dst[1:]), mode='bicubic',
                             align_corners=False)
    if T != dst[0]:  # (T, D, H', W') -> (1, D*H'*W', T) -> linear in T
        flat = grid.permute(1, 2, 3, 0).reshape(1, -1, T)
        flat = F.interpolate(flat, size=dst[0], mode='linear',
                             align_corners=False)
        grid = flat.reshape(D, *dst[1:], dst[0]).permute(3, 0, 1, 2)
    return grid.permute(0, 2, 3, 1).reshape(1, -1, D).to(
        table.dtype).contiguous()


def resample_tubelet(weight: Tensor, tubelet: int) -> Tensor:
    """``(D, C, t, p, p)`` -> ``(D, C, tubelet, p, p)``, the sum over time
    kept (linear resampling, then scaled by ``t / tubelet``)."""
    D, C, t, p, q = weight.shape
    w = weight.permute(0, 1, 3, 4, 2).reshape(-1, 1, t).float()
    w = F.interpolate(w, size=tubelet, mode='linear', align_corners=False)
    w = w * (t / tubelet)
    return w.reshape(D, C, p, q, tubelet).permute(0, 1, 4, 2, 3).to(
        weight.dtype).contiguous()


def adapt_state_dict(model, state_dict: Dict[str, Tensor], prefix: str = '',
                     fixed_table: Optional[Tensor] = None) -> None:
    """Fit ``state_dict[prefix + ...]`` to ``model`` (a ``VideoMAE``) in
    place, logging what changed.

    Args:
        fixed_table: The sinusoid table for the checkpoint's token count,
            given by the caller (``sinusoid_table``) to tell a saved fixed
            table from a learned one.

    Raises:
        AdaptationError: The tensor cannot be fitted (another patch size or
            width, or a learned table for a model with the fixed one).
    """
    key = prefix + 'patch_embed.proj.weight'
    weight = state_dict.get(key)
    own = model.patch_embed.proj.weight
    if weight is not None and weight.shape != own.shape:
        if weight.shape[:2] != own.shape[:2] or (weight.shape[3:] !=
                                                 own.shape[3:]):
            raise AdaptationError(
                f'{key}: checkpoint {tuple(weight.shape)} cannot be fitted to '
                f'the model {tuple(own.shape)}: only the tubelet (dim 2) can '
                'be adapted; width, channels and patch size must match')
        state_dict[key] = resample_tubelet(weight, own.shape[2])
        print_log(f'adapted {key}: tubelet {weight.shape[2]} -> '
                  f'{own.shape[2]} (resampled in time, sum kept)',
                  logger='current')
    key = prefix + 'pos_embed'
    table = state_dict.get(key)
    if table is None:
        return
    if model.pos_embed is None:
        if fixed_table is not None and table.shape == fixed_table.shape and \
                torch.allclose(table.float(), fixed_table, atol=1e-5):
            del state_dict[key]
            print_log(f'dropped {key}: the fixed sinusoid table, which the '
                      'model computes itself', logger='current')
            return
        raise AdaptationError(
            f'{key}: the checkpoint has a learned position table but the '
            'model uses the fixed sinusoid; build it with '
            'learnable_pos_embed=True')
    if table.shape == model.pos_embed.shape:
        return
    if table.shape[-1] != model.pos_embed.shape[-1]:
        raise AdaptationError(f'{key}: width {table.shape[-1]} vs the '
                              f"model's {model.pos_embed.shape[-1]}")
    src = token_grid(table.shape[1], model.grid_size)
    state_dict[key] = resample_pos_embed(table, src, model.grid_size)
    print_log(f"adapted {key}: token grid (T', H', W') {src} -> "
              f'{model.grid_size} (bicubic in space, linear in time)',
              logger='current')
