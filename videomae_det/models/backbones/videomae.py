"""The VideoMAE plain ViT: tubelet embedding, joint space-time attention.

One encoder serves masked pre-training (only visible tokens enter the blocks),
classification (mean pooling + ``fc_norm``) and detection (a ``(B, C, T', H',
W')`` feature map for an RoI head). Parameter names follow the official
VideoMAE release (``patch_embed.proj``, ``blocks.i.attn.q_bias``, ...), so
its checkpoints map onto this module with few renames.
"""
import math
from functools import lru_cache
from typing import Dict, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
import torch.utils.checkpoint as cp
from mmaction.registry import MODELS
from mmcv.cnn.bricks import DropPath
from mmdet.registry import MODELS as MMDET_MODELS
from mmengine.model import BaseModule
from torch import Tensor, nn

from videomae_det_core.archs import ARCH_SETTINGS

from ...checkpoint.adapt import adapt_state_dict, resample_pos_embed
from ...checkpoint.load import load_backbone_weights
from .token_dropout import TokenDropout, gather_tokens, place_tokens

OUT_TYPES = ('tokens', 'pooled', 'featmap')


@lru_cache(maxsize=16)
def sinusoid_table(num_tokens: int, dims: int) -> Tensor:
    """The official fixed 1-D sin-cos table over the flattened token index.

    Computed in float64 like the reference numpy code, then cast; cached, so
    callers must not modify it in place.

    Returns:
        Tensor: ``(1, num_tokens, dims)`` float32.
    """
    pos = torch.arange(num_tokens, dtype=torch.float64)[:, None]
    exponent = 2 * (torch.arange(dims) // 2).double() / dims
    angle = pos / torch.pow(10000.0, exponent)[None]
    table = torch.empty_like(angle)
    table[:, 0::2] = torch.sin(angle[:, 0::2])
    table[:, 1::2] = torch.cos(angle[:, 1::2])
    return table.float()[None]


@lru_cache(maxsize=16)
def fixed_pos_table(nominal: Tuple[int, int, int], grid: Tuple[int, int, int],
                    dims: int) -> Tensor:
    """The fixed table of the ``nominal`` token grid, resampled to ``grid``
    (:func:`resample_pos_embed`); cached, so a training run at another input
    size resamples once, not every step. Callers must not modify it.

    Returns:
        Tensor: ``(1, prod(grid), dims)`` float32.
    """
    table = sinusoid_table(math.prod(nominal), dims)
    return table if grid == nominal else resample_pos_embed(table, nominal,
                                                            grid)


class PatchEmbed3D(nn.Module):
    """Non-overlapping tubelet (cube) embedding with a strided Conv3d."""

    def __init__(self, in_channels: int, embed_dims: int,
                 tubelet_size: int, patch_size: int) -> None:
        super().__init__()
        self.cube = (tubelet_size, patch_size, patch_size)
        self.proj = nn.Conv3d(in_channels, embed_dims, self.cube, self.cube)

    def grid(self, shape: Sequence[int]) -> Tuple[int, int, int]:
        """Token grid ``(T', H', W')`` of an input ``(B, C, T, H, W)``.

        T must be a multiple of the tubelet (a clear error otherwise); as
        the strided convolution does, pixels past the last whole patch on
        the right and bottom are left out (a 256x455 AVA frame gives a
        16x28 grid), as in mmaction2's ViT.
        """
        t, h, w = shape[-3:]
        if t % self.cube[0] or h < self.cube[1] or w < self.cube[2]:
            raise ValueError(
                f'input (T, H, W) = {(t, h, w)} does not fit the tubelet x '
                f'patch size {self.cube}: T must be a multiple of '
                f'{self.cube[0]}, H and W at least {self.cube[1]}')
        return t // self.cube[0], h // self.cube[1], w // self.cube[2]

    def forward(self, x: Tensor) -> Tensor:
        """x: ``(B, C, T, H, W)`` -> tokens ``(B, T'*H'*W', D)`` in (t, h, w)
        order, contiguous: a transposed layout would propagate through every
        residual add and LayerNorm and slow the whole encoder down. The
        input takes the weights' dtype: under FSDP's mixed precision they
        are bf16 while the video stays fp32 (the pre-training target is
        computed from it)."""
        x = self.proj(x.to(self.proj.weight.dtype))
        return x.flatten(2).transpose(1, 2).contiguous()


class Attention(nn.Module):
    """Multi-head self-attention with q and v biases but no k bias, as in the
    official model; the kernel is PyTorch's fused SDPA."""

    def __init__(self, dims: int, num_heads: int, qkv_bias: bool = True,
                 attn_drop: float = 0., proj_drop: float = 0.) -> None:
        super().__init__()
        if dims % num_heads:
            raise ValueError(f'embed_dims {dims} is not divisible by '
                             f'num_heads {num_heads}')
        self.num_heads = num_heads
        self.qkv = nn.Linear(dims, dims * 3, bias=False)
        if qkv_bias:
            self.q_bias = nn.Parameter(torch.zeros(dims))
            self.v_bias = nn.Parameter(torch.zeros(dims))
        else:
            self.q_bias = self.v_bias = None
        self.attn_drop = attn_drop
        self.proj = nn.Linear(dims, dims)
        self.proj_drop = nn.Dropout(proj_drop)

    def qkv_proj(self, x: Tensor) -> Tensor:
        """``(B, N, D)`` -> queries, keys and values ``(B, N, 3 * D)``."""
        bias = None
        if self.q_bias is not None:
            bias = torch.cat((self.q_bias, torch.zeros_like(self.q_bias),
                              self.v_bias))
        return F.linear(x, self.qkv.weight, bias)

    def forward(self, x: Tensor, query_weight: Optional[Tensor] = None
                ) -> Union[Tensor, Tuple[Tensor, Tensor]]:
        """x: ``(B, N, D)`` -> ``(B, N, D)``.

        With ``query_weight`` ``(B, N)`` also the attention each token
        receives ``(B, N)`` float32: the softmax weights averaged over heads
        and queries, each query weighted (token dropout's ranking). The
        weights are recomputed head by head beside the fused kernel, which
        keeps none: at 2k tokens this costs less than one explicit
        attention, in float32 and in bf16.
        """
        B, N, D = x.shape
        q, k, v = self.qkv_proj(x).reshape(B, N, 3, self.num_heads,
                                           -1).permute(2, 0, 3, 1, 4).unbind(
            0)  # each (B, heads, N, D / heads)
        out = F.scaled_dot_product_attention(
            q, k, v, dropout_p=self.attn_drop if self.training else 0.)
        out = self.proj_drop(self.proj(out.transpose(1, 2).reshape(B, N, D)))
        if query_weight is None:
            return out
        with torch.no_grad():
            received = x.new_zeros(B, 1, N, dtype=torch.float32)
            scale = q.shape[-1]**-0.5
            for h in range(self.num_heads):
                weights = (q[:, h] * scale @ k[:, h].transpose(-2, -1)
                           ).softmax(-1)  # (B, N queries, N keys)
                received += query_weight[:, None].to(weights.dtype) @ \
                    weights
        return out, received[:, 0] / (self.num_heads * N)


class Mlp(nn.Module):
    """Two linear layers with GELU: ``(B, N, D)`` -> ``(B, N, D)``."""

    def __init__(self, dims: int, hidden: int, drop: float = 0.) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dims, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dims)
        self.drop = nn.Dropout(drop)

    def forward(self, x: Tensor) -> Tensor:
        return self.drop(self.fc2(self.drop(self.act(self.fc1(x)))))


class Block(nn.Module):
    """Pre-norm transformer block with optional layer scale (``gamma_1``,
    ``gamma_2``, the official names) and drop path."""

    def __init__(self, dims: int, num_heads: int, mlp_ratio: float = 4.,
                 qkv_bias: bool = True, drop: float = 0.,
                 attn_drop: float = 0., drop_path: float = 0.,
                 layer_scale: Optional[float] = None) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dims, eps=1e-6)
        self.attn = Attention(dims, num_heads, qkv_bias, attn_drop, drop)
        self.norm2 = nn.LayerNorm(dims, eps=1e-6)
        self.mlp = Mlp(dims, int(dims * mlp_ratio), drop)
        self.drop_path = DropPath(drop_path) if drop_path else nn.Identity()
        if layer_scale:
            self.gamma_1 = nn.Parameter(torch.full((dims, ), layer_scale))
            self.gamma_2 = nn.Parameter(torch.full((dims, ), layer_scale))
        else:
            self.gamma_1 = self.gamma_2 = None

    def forward(self, x: Tensor, drop: Optional[TokenDropout] = None,
                is_key: Optional[Tensor] = None, count: int = 0):
        """x: ``(B, N, D)`` -> ``(B, N, D)``.

        With ``drop`` (``is_key`` ``(B, N)``: the keyframe's tokens) only
        the ``count`` tokens it keeps go on to the MLP; returns them ``(B,
        count, D)``, their positions ``(B, count)`` and every token's state
        after the attention ``(B, N, D)`` (the last state of the dropped
        ones).
        """
        if drop is None:
            y = self.attn(self.norm1(x))
        else:
            y, received = self.attn(self.norm1(x), drop.query_weight(is_key))
        x = x + self.drop_path(y if self.gamma_1 is None else self.gamma_1 * y)
        if drop is not None:
            index, state = drop.keep(received, is_key, count), x
            x = gather_tokens(x, index)
        y = self.mlp(self.norm2(x))
        x = x + self.drop_path(y if self.gamma_2 is None else
                               self.gamma_2 * y)
        return x if drop is None else (x, index, state)


def run_block(blk: nn.Module, x: Tensor, *args, checkpoint: bool = False):
    """``blk(x, *args)``; with ``checkpoint`` (and a gradient to keep) its
    activations are recomputed in the backward pass instead of stored."""
    if checkpoint and x.requires_grad:
        return cp.checkpoint(blk, x, *args, use_reentrant=False)
    return blk(x, *args)


@MODELS.register_module()
class VideoMAE(BaseModule):
    """VideoMAE ViT backbone (Tong et al., NeurIPS 2022).

    Args:
        arch: ``'small' | 'base' | 'large' | 'huge' | 'giant'`` or a dict
            with ``embed_dims``, ``num_layers``, ``num_heads`` (and
            optionally ``mlp_ratio``, which then wins).
        img_size: Nominal input side; sizes the learnable position table.
        num_frames: Nominal frame count; sizes the learnable position table.
        patch_size, tubelet_size: The cube is ``tubelet x patch x patch``.
        mlp_ratio: MLP hidden width over ``embed_dims``.
        qkv_bias: Learn q and v biases (k has none, as the official model).
        drop_rate, attn_drop_rate, drop_path_rate: Regularisation; drop path
            grows linearly with depth up to ``drop_path_rate``.
        layer_scale: Initial layer-scale value, None for no layer scale.
        learnable_pos_embed: Learn the position table (initialised with the
            sinusoid) instead of using the fixed one; either is resampled
            for another token grid (:meth:`position_embedding`).
        out_type: ``'tokens'`` ``(B, N, D)``, ``'pooled'`` (mean over tokens
            through ``fc_norm``) ``(B, D)``, or ``'featmap'``
            ``(B, D, T', H', W')`` for RoI heads.
        final_norm: Apply ``norm`` to tokens/featmap outputs (as the
            official pre-training encoder and mmaction2's AVA feature map).
        with_cp: Checkpoint each block's activations while training.
        token_dropout: ``dict(blocks, keep_rate, enhanced_weight)``:
            keyframe-centric token dropout (EVAD) at those blocks, the
            output re-assembled to every token
            (:mod:`.token_dropout`); not applied with a ``mask``
            (pre-training). None: off.
        init_cfg: As mmengine's; ``dict(type='Pretrained', checkpoint=...)``
            takes any VideoMAE checkpoint format
            (:mod:`videomae_det.checkpoint.formats`), converted on the fly,
            and any state dict loaded into this module is fitted to its
            tubelet and token grid (:mod:`videomae_det.checkpoint.adapt`).
    """

    def __init__(self,
                 arch: Union[str, Dict[str, float]] = 'base',
                 img_size: int = 224,
                 num_frames: int = 16,
                 patch_size: int = 16,
                 tubelet_size: int = 2,
                 in_channels: int = 3,
                 mlp_ratio: float = 4.,
                 qkv_bias: bool = True,
                 drop_rate: float = 0.,
                 attn_drop_rate: float = 0.,
                 drop_path_rate: float = 0.,
                 layer_scale: Optional[float] = None,
                 learnable_pos_embed: bool = False,
                 out_type: str = 'tokens',
                 final_norm: bool = True,
                 with_cp: bool = False,
                 token_dropout: Optional[dict] = None,
                 init_cfg: Optional[Union[dict, list]] = (
                     dict(type='TruncNormal', layer='Linear', std=.02,
                          bias=0.),
                     dict(type='Constant', layer='LayerNorm', val=1.,
                          bias=0.))) -> None:
        super().__init__(init_cfg=list(init_cfg) if isinstance(
            init_cfg, tuple) else init_cfg)
        if isinstance(arch, str):
            if arch not in ARCH_SETTINGS:
                raise KeyError(f'unknown arch {arch!r}; choose one of '
                               f'{sorted(ARCH_SETTINGS)} or pass a dict')
            arch = ARCH_SETTINGS[arch]
        missing = {'embed_dims', 'num_layers', 'num_heads'} - set(arch)
        if missing:
            raise KeyError(f'arch dict lacks {sorted(missing)}')
        if out_type not in OUT_TYPES:
            raise ValueError(f'out_type {out_type!r} not in {OUT_TYPES}')
        dims, depth = arch['embed_dims'], arch['num_layers']
        mlp_ratio = arch.get('mlp_ratio', mlp_ratio)
        self.embed_dims, self.num_layers = dims, depth
        self.num_heads, self.mlp_ratio = arch['num_heads'], mlp_ratio
        self.img_size, self.num_frames = img_size, num_frames
        self.out_type, self.with_cp = out_type, with_cp
        self.token_dropout = TokenDropout(**token_dropout) if \
            token_dropout else None

        self.patch_embed = PatchEmbed3D(in_channels, dims, tubelet_size,
                                        patch_size)
        self.grid_size = (num_frames // tubelet_size, img_size // patch_size,
                          img_size // patch_size)
        if learnable_pos_embed:
            self.pos_embed = nn.Parameter(
                sinusoid_table(math.prod(self.grid_size), dims).clone())
        else:
            self.pos_embed = None
        self.pos_drop = nn.Dropout(drop_rate)
        # an explicit device: meta-device builds cannot call tolist()
        dpr = torch.linspace(0, drop_path_rate, depth,
                             device='cpu').tolist()
        self.blocks = nn.ModuleList(
            Block(dims, self.num_heads, mlp_ratio, qkv_bias, drop_rate,
                  attn_drop_rate, dpr[i], layer_scale) for i in range(depth))
        self.norm = (nn.LayerNorm(dims, eps=1e-6) if final_norm
                     and out_type != 'pooled' else nn.Identity())
        self.fc_norm = (nn.LayerNorm(dims, eps=1e-6)
                        if out_type == 'pooled' else None)

    def init_weights(self) -> None:
        """mmengine's initialisation, except ``Pretrained``, which loads any
        known VideoMAE checkpoint format (converted on the fly)."""
        cfg = self.init_cfg
        if isinstance(cfg, dict) and cfg.get('type') == 'Pretrained':
            load_backbone_weights(self, cfg['checkpoint'], cfg.get('prefix'))
            self._is_init = True
            return
        super().init_weights()

    def _load_from_state_dict(self, state_dict: dict, prefix: str,
                              *args, **kwargs) -> None:
        """Fit the tubelet embedding and a learned position table to this
        model's input size before loading (every load path comes here)."""
        table = state_dict.get(prefix + 'pos_embed')
        adapt_state_dict(self, state_dict, prefix, None if table is None
                         else sinusoid_table(table.shape[1], table.shape[-1]))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def position_embedding(self, grid: Tuple[int, int, int]) -> Tensor:
        """Position table ``(1, T'*H'*W', D)`` for a token grid.

        The table of the nominal grid (``num_frames``, ``img_size``),
        resampled to another grid as mmaction2 does for AVA's non-square
        test frames (bicubic per frame, then linear in time): a token keeps
        the code of its place in the picture, whatever the input size.
        """
        grid = tuple(grid)
        if self.pos_embed is None:
            return fixed_pos_table(self.grid_size, grid, self.embed_dims)
        if grid == self.grid_size:
            return self.pos_embed
        return resample_pos_embed(self.pos_embed, self.grid_size, grid)

    def forward(self, inputs: Tensor, mask: Optional[Tensor] = None) -> Tensor:
        """Encode a clip, optionally only its visible tokens.

        Args:
            inputs: ``(B, C, T, H, W)``.
            mask: ``(B, N)`` bool, True = hidden, with the same count of
                hidden tokens in every sample; hidden tokens never enter the
                blocks.

        Returns:
            Tensor: ``(B, N_visible, D)``, ``(B, D)`` or ``(B, D, T', H',
            W')`` per ``out_type``.
        """
        grid = self.patch_embed.grid(inputs.shape)
        x = self.patch_embed(inputs)
        pos = self.position_embedding(grid).to(x.device, x.dtype)
        x = x + pos
        B, N, D = x.shape
        if mask is not None:
            if mask.shape != (B, N) or mask.dtype != torch.bool:
                raise ValueError(f'mask must be bool of shape {(B, N)}, got '
                                 f'{mask.dtype} {tuple(mask.shape)}')
            hidden = mask.sum(1)
            if (hidden != hidden[0]).any():
                raise ValueError('every sample must hide the same number of '
                                 f'tokens, got {hidden.tolist()}')
            if self.out_type == 'featmap':
                raise ValueError("out_type='featmap' needs every token; "
                                 'pass mask=None')
            x = x[~mask].reshape(B, -1, D)
        x = self.pos_drop(x)
        if self.token_dropout is None or mask is not None:
            for blk in self.blocks:
                x = self._block(blk, x)
        else:
            x = self._blocks_with_dropout(x, grid)
        if self.out_type == 'pooled':
            return self.fc_norm(x.mean(1))
        x = self.norm(x)
        if self.out_type == 'featmap':
            return x.transpose(1, 2).reshape(B, D, *grid)
        return x

    def _block(self, blk: Block, x: Tensor, *drop):
        return run_block(blk, x, *drop,
                         checkpoint=self.with_cp and self.training)

    def _blocks_with_dropout(self, x: Tensor, grid: Tuple[int, int, int]
                             ) -> Tensor:
        """The blocks with token dropout: ``(B, N, D)`` -> ``(B, N, D)``,
        each dropped token at its place with its state when dropped."""
        drop = self.token_dropout
        start, end = drop.keyframe(grid)
        index = torch.arange(x.shape[1], device=x.device).expand(
            x.shape[0], -1)  # where each current token sits in the grid
        full = None
        for i, blk in enumerate(self.blocks):
            if not drop.active(i):
                x = self._block(blk, x)
                continue
            is_key = (index >= start) & (index < end)
            count = drop.count(x.shape[1], end - start)
            x, kept, state = self._block(blk, x, drop, is_key, count)
            full = state if full is None else place_tokens(full, state, index)
            index = index.gather(1, kept)
        return x if full is None else place_tokens(full, x, index)


MMDET_MODELS.register_module(module=VideoMAE)
