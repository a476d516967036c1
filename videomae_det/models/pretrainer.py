"""VideoMAE masked-autoencoder pre-training (Tong et al., NeurIPS 2022).

The encoder (our :class:`VideoMAE` backbone) sees only the visible tokens; a
light decoder gets their projections plus a learnable mask token at every
hidden position and predicts the pixels of the hidden cubes. The loss is the
MSE on the hidden cubes only, against per-cube normalised pixels.

:func:`patchify` is the one definition of the cube layout (the official
one: time, height, width inside the cube, then channel), used by the loss,
the visualiser and the tests alike.
"""
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmengine.model import BaseModel
from torch import Tensor, nn

from .backbones.videomae import Block, fixed_pos_table, run_block

# decoder width / heads per encoder width, as the official code
DECODER_SETTINGS = {
    384: dict(embed_dims=192, num_heads=3),
    768: dict(embed_dims=384, num_heads=6),
    1024: dict(embed_dims=512, num_heads=8),
    1280: dict(embed_dims=640, num_heads=8),
    1408: dict(embed_dims=512, num_heads=8, mlp_ratio=48 / 11),  # V2 ViT-g
}


def patchify(videos: Tensor, tubelet: int, patch: int) -> Tensor:
    """Cut videos into cubes in the official layout.

    Args:
        videos: ``(B, C, T, H, W)``.

    Returns:
        Tensor: ``(B, N, tubelet * patch * patch, C)`` with tokens in
        (t, h, w) order and cube pixels in (t, h, w) order.
    """
    B, C, T, H, W = videos.shape
    x = videos.reshape(B, C, T // tubelet, tubelet, H // patch, patch,
                       W // patch, patch)
    x = x.permute(0, 2, 4, 6, 3, 5, 7, 1)  # B T' H' W' t p p C
    return x.reshape(B, -1, tubelet * patch * patch, C)


def unpatchify(cubes: Tensor, grid: Sequence[int], tubelet: int,
               patch: int) -> Tensor:
    """Inverse of :func:`patchify`: ``(B, N, t*p*p, C)`` or ``(B, N,
    t*p*p*C)`` -> ``(B, C, T, H, W)``."""
    B, N = cubes.shape[:2]
    t, h, w = grid
    x = cubes.reshape(B, t, h, w, tubelet, patch, patch, -1)
    x = x.permute(0, 7, 1, 4, 2, 5, 3, 6)  # B C T' t H' p W' p
    return x.reshape(B, -1, t * tubelet, h * patch, w * patch)


def cube_stats(cubes: Tensor):
    """Per cube and channel mean and unbiased std over the cube's pixels:
    ``(..., P, C)`` -> two ``(..., 1, C)``."""
    return (cubes.mean(dim=-2, keepdim=True),
            cubes.var(dim=-2, unbiased=True, keepdim=True).sqrt())


def normalise_cubes(cubes: Tensor, eps: float = 1e-6) -> Tensor:
    """Per cube and channel: subtract the mean, divide by the unbiased std
    plus ``eps`` (the official target). ``(B, N, P, C)`` -> same."""
    mean, std = cube_stats(cubes)
    return (cubes - mean) / (std + eps)


def denormalise_cubes(pred: Tensor, like: Tensor,
                      eps: float = 1e-6) -> Tensor:
    """The inverse of :func:`normalise_cubes` with the statistics of the
    cubes ``like`` (e.g. a prediction of normalised cubes back to pixels
    with the true cubes' statistics)."""
    mean, std = cube_stats(like)
    return pred * (std + eps) + mean


class VideoMAEDecoder(nn.Module):
    """Transformer decoder: blocks, norm, and a linear head to cube pixels.

    Args:
        embed_dims, num_layers, num_heads: Decoder size.
        out_dims: Values per cube (``3 * 2 * 16 * 16 = 1536``).
    """

    def __init__(self, embed_dims: int, num_layers: int, num_heads: int,
                 out_dims: int, mlp_ratio: float = 4.,
                 with_cp: bool = False) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(
            Block(embed_dims, num_heads, mlp_ratio) for _ in range(num_layers))
        self.norm = nn.LayerNorm(embed_dims, eps=1e-6)
        self.head = nn.Linear(embed_dims, out_dims)
        self.with_cp = with_cp

    def forward(self, x: Tensor, num_out: int) -> Tensor:
        """x: ``(B, N, D)``; returns the head on the last ``num_out``
        tokens, ``(B, num_out, out_dims)``."""
        for blk in self.blocks:
            x = run_block(blk, x, checkpoint=self.with_cp and self.training)
        return self.head(self.norm(x[:, -num_out:]))


@MODELS.register_module()
class VideoMAEPretrainer(BaseModel):
    """Masked-autoencoder pre-training of a ``VideoMAE`` encoder.

    Args:
        backbone: A ``VideoMAE`` config (``out_type='tokens'`` is forced).
        decoder: ``dict(embed_dims, num_layers, num_heads[, mlp_ratio])``;
            missing keys follow the official defaults for the encoder
            width, depth 4.
        norm_target: Per-cube normalised pixel targets (True, the official
            recipe) or raw pixels in [0, 1].
        data_preprocessor: Normalises the clips and draws the masks,
            :class:`~videomae_det.models.MaskedVideoDataPreprocessor`;
            default ImageNet mean/std on 0-255 pixels, tube mask 0.9.
    """

    def __init__(self,
                 backbone: dict,
                 decoder: Optional[dict] = None,
                 norm_target: bool = True,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='MaskedVideoDataPreprocessor',
                                     mean=[123.675, 116.28, 103.53],
                                     std=[58.395, 57.12, 57.375])
        if isinstance(data_preprocessor, dict):  # from mmaction's registry
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.backbone = MODELS.build(dict(backbone, out_type='tokens'))
        enc_dims = self.backbone.embed_dims
        self.tubelet, self.patch = self.backbone.patch_embed.cube[:2]
        self._tell_preprocessor()
        channels = self.backbone.patch_embed.proj.in_channels
        dec = dict(DECODER_SETTINGS.get(enc_dims, {}), num_layers=4)
        dec.update(decoder or {})
        if 'embed_dims' not in dec or 'num_heads' not in dec:
            raise KeyError(f'no default decoder for encoder width {enc_dims}:'
                           ' give decoder=dict(embed_dims, num_heads)')
        self.dec_dims = dec['embed_dims']
        self.encoder_to_decoder = nn.Linear(enc_dims, self.dec_dims,
                                            bias=False)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, self.dec_dims))
        self.decoder = VideoMAEDecoder(
            self.dec_dims, dec['num_layers'], dec['num_heads'],
            channels * self.tubelet * self.patch**2,
            dec.get('mlp_ratio', 4.), with_cp=self.backbone.with_cp)
        self.norm_target = norm_target

    def _tell_preprocessor(self) -> None:
        """The masks are drawn on the backbone's token grid; a cube set in
        the preprocessor's config must be the backbone's."""
        pre = self.data_preprocessor
        if not hasattr(pre, 'token_grid'):
            return
        for key, given, own in (('patch_size', pre.patch_size, self.patch),
                                ('tubelet_size', pre.tubelet_size,
                                 self.tubelet)):
            if given is not None and given != own:
                from ..engine.runner_setup import ConfigError
                raise ConfigError(
                    f'model.data_preprocessor.{key}={given} but '
                    f'model.backbone.{key}={own}: leave it out of the '
                    'preprocessor (it takes the backbone\'s)')
        pre.token_grid = self.backbone.patch_embed.grid

    def init_weights(self) -> None:
        """The official initialisation: xavier-uniform linears in the
        decoder and projector, truncated-normal mask token."""
        super().init_weights()
        for m in [self.encoder_to_decoder, *self.decoder.modules()]:
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
        nn.init.trunc_normal_(self.mask_token, std=.02)

    def pixels01(self, inputs: Tensor) -> Tensor:
        """Undo the data preprocessor's normalisation, to [0, 1]: the target
        space of the official recipe. ``(B, C, T, H, W)`` -> same."""
        pre = self.data_preprocessor
        shape = (1, -1, 1, 1, 1)
        return (inputs * pre.std.view(shape) + pre.mean.view(shape)) / 255.

    def target(self, inputs: Tensor) -> Tensor:
        """Cube targets ``(B, N, t*p*p*C)`` in the official layout."""
        cubes = patchify(self.pixels01(inputs.float()), self.tubelet,
                         self.patch)
        if self.norm_target:
            cubes = normalise_cubes(cubes)
        return cubes.flatten(2)

    def decoder_pos_table(self, size: Sequence[int], dims: int) -> Tensor:
        """The decoder's fixed table ``(1, N, dims)`` for inputs of
        ``size`` (T, H, W): the official flat sinusoid at the nominal size
        and, elsewhere, resampled from it by the encoder's rule, so a token
        has the same place in encoder and decoder at any input size."""
        cube = self.backbone.patch_embed.cube
        grid = tuple(s // c for s, c in zip(size, cube))
        return fixed_pos_table(self.backbone.grid_size, grid, dims)

    def reconstruct(self, inputs: Tensor, mask: Tensor,
                    decode_mask: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """Encode the visible tokens, decode the hidden ones.

        Args:
            inputs: ``(B, C, T, H, W)``, the data preprocessor's output.
            mask: ``(B, N)`` bool, True = hidden, same count per sample.
            decode_mask: ``(B, N)`` bool subset of ``mask``: reconstruct
                only these (VideoMAE V2's decoder masking); default all
                hidden tokens.

        Returns:
            dict: ``pred`` and ``target`` ``(B, N_rec, t*p*p*C)`` in token
            order among the reconstructed tokens, and the MSE ``loss``.
        """
        if decode_mask is None:
            decode_mask = mask
        elif (decode_mask & ~mask).any():
            raise ValueError('decode_mask must be a subset of mask')
        x = self.encoder_to_decoder(self.backbone(inputs, mask))
        B, _, D = x.shape
        pos = self.decoder_pos_table(inputs.shape[2:], D)
        pos = pos.to(x.device, x.dtype).expand(B, -1, -1)
        num_out = int(decode_mask[0].sum())
        x = torch.cat([
            x + pos[~mask].reshape(B, -1, D),
            self.mask_token.to(x.dtype) +
            pos[decode_mask].reshape(B, num_out, D)
        ], dim=1)
        pred = self.decoder(x, num_out)
        target = self.target(inputs)[decode_mask].reshape(B, num_out, -1)
        loss = F.mse_loss(pred.float(), target)
        return dict(pred=pred, target=target, loss=loss)

    def forward(self, inputs: Tensor, data_samples: Optional[list] = None,
                mode: str = 'tensor', mask: Optional[Tensor] = None,
                decode_mask: Optional[Tensor] = None):
        """mmengine's entry point: ``loss`` -> ``dict(loss)``; ``predict``
        -> data samples carrying ``pred``/``target``/``mask``; ``tensor`` ->
        the reconstruction dict."""
        if mask is None:
            raise ValueError('VideoMAEPretrainer needs a mask: use '
                             'MaskedVideoDataPreprocessor')
        out = self.reconstruct(inputs, mask, decode_mask)
        if mode == 'loss':
            return dict(loss=out['loss'])
        if mode == 'tensor':
            return out
        if mode == 'predict':
            from mmengine.structures import BaseDataElement
            samples = data_samples or [
                BaseDataElement() for _ in range(inputs.shape[0])
            ]
            for i, sample in enumerate(samples):
                sample.set_data(dict(pred=out['pred'][i],
                                     target=out['target'][i], mask=mask[i],
                                     loss=out['loss'].detach()))
            return samples
        raise ValueError(f'invalid mode {mode!r}')

