"""Data preprocessor for masked pre-training: normalise, flatten repeated
clips, draw the masks."""
from typing import Optional

import torch
from mmaction.models import ActionDataPreprocessor
from mmaction.registry import MODELS
from mmengine.dist import get_rank

from .masking import decoder_mask, make_mask


@MODELS.register_module()
class MaskedVideoDataPreprocessor(ActionDataPreprocessor):
    """mmaction2's ``ActionDataPreprocessor`` (uint8 -> normalised float,
    ``NCTHW``) plus the masks for :class:`VideoMAEPretrainer`.

    Clips sampled repeatedly from one video (``(B, K, C, T, H, W)``) are
    flattened to ``B * K`` clips. Masks are drawn batch-wise from a
    generator seeded by ``(seed, rank, step)``; ``step`` is a buffer saved
    in checkpoints, so a resumed run draws the masks it would have drawn.

    Args:
        mask_type: ``tube`` (default), ``random`` or ``frame``.
        mask_ratio: Fraction of tokens hidden (0.9).
        decoder_mask_ratio: If set, reconstruct only this fraction of the
            hidden tokens (VideoMAE V2); None reconstructs all.
        patch_size, tubelet_size: Leave unset: ``VideoMAEPretrainer`` gives
            its preprocessor the backbone's token grid; if set they are
            checked against the backbone's cube (an error naming both).
        seed: Base seed of the mask generator.
    """

    def __init__(self, mask_type: str = 'tube', mask_ratio: float = 0.9,
                 decoder_mask_ratio: Optional[float] = None,
                 patch_size: Optional[int] = None,
                 tubelet_size: Optional[int] = None, seed: int = 0,
                 **kwargs) -> None:
        kwargs.setdefault('format_shape', 'NCTHW')
        super().__init__(**kwargs)
        self.mask_type, self.mask_ratio = mask_type, mask_ratio
        self.decoder_mask_ratio = decoder_mask_ratio
        self.patch_size, self.tubelet_size = patch_size, tubelet_size
        self.token_grid = None  # set by the pre-trainer: the backbone's
        self.seed = seed
        self.register_buffer('step', torch.zeros((), dtype=torch.long))

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # weights from elsewhere carry no mask step: start at 0
        state_dict.setdefault(prefix + 'step', torch.zeros_like(self.step))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def generator(self) -> torch.Generator:
        key = hash((self.seed, get_rank(), int(self.step)))
        return torch.Generator().manual_seed(key & (2**63 - 1))

    def forward(self, data: dict, training: bool = False) -> dict:
        data = super().forward(data, training)
        inputs = data['inputs']
        if inputs.ndim == 6:  # (B, K, C, T, H, W): K clips per video
            k = inputs.shape[1]
            inputs = inputs.flatten(0, 1)
            if data.get('data_samples'):
                data['data_samples'] = [
                    s.clone() for s in data['data_samples'] for _ in range(k)
                ]
        if self.token_grid is None:
            raise RuntimeError('MaskedVideoDataPreprocessor draws masks on '
                               "its model's token grid: use it inside "
                               'VideoMAEPretrainer')
        grid = self.token_grid(inputs.shape)
        gen = self.generator()
        mask = make_mask(self.mask_type, inputs.shape[0], grid,
                         self.mask_ratio, gen, inputs.device)
        data.update(inputs=inputs, mask=mask)
        if self.decoder_mask_ratio is not None:
            data['decode_mask'] = decoder_mask(mask, self.decoder_mask_ratio,
                                               gen)
        if training:
            self.step += 1
        return data
