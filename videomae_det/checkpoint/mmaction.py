"""mmaction2 ``VisionTransformer`` (vit_mae) state dicts <-> our
``VideoMAE``: plain key renames, so the table maps both ways."""
from typing import Dict, List, Tuple

from torch import Tensor

# (mmaction2 key part, our key part)
MMACTION_RENAMES: List[Tuple[str, str]] = [
    ('patch_embed.projection.', 'patch_embed.proj.'),
    ('.mlp.layers.0.0.', '.mlp.fc1.'),
    ('.mlp.layers.1.', '.mlp.fc2.'),
]


def rename_keys(state_dict: Dict[str, Tensor], table: List[Tuple[str, str]],
                reverse: bool = False) -> Dict[str, Tensor]:
    """Replace each key part ``src`` by ``dst`` (``dst`` by ``src`` when
    ``reverse``)."""
    out = {}
    for key, value in state_dict.items():
        for src, dst in table:
            key = key.replace(*((dst, src) if reverse else (src, dst)))
        out[key] = value
    return out


def convert_mmaction_backbone(state_dict: Dict[str, Tensor]
                              ) -> Dict[str, Tensor]:
    """mmaction2 ``VisionTransformer`` -> ``VideoMAE``. Its ``pos_embed``
    is kept: loading drops a fixed sinusoid table and fits a learned one
    (the one rule, in :func:`~videomae_det.checkpoint.adapt.adapt_state_dict`).
    """
    return rename_keys(state_dict, MMACTION_RENAMES)


def to_mmaction_backbone(state_dict: Dict[str, Tensor]) -> Dict[str, Tensor]:
    """``VideoMAE`` -> mmaction2 ``VisionTransformer`` (without its fixed
    ``pos_embed``, which that model computes itself)."""
    return rename_keys(state_dict, MMACTION_RENAMES, reverse=True)
