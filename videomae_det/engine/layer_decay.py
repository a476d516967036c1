"""Layer-wise learning-rate decay for VideoMAE backbones (BEiT/VideoMAE
fine-tuning): block ``i`` of ``L`` gets ``decay ** (L - i)``, the patch and
position embeddings ``decay ** (L + 1)``, everything outside the backbone
(heads) the full rate. Biases and 1-D parameters get no weight decay.

mmaction2's ``LearningRateDecayOptimizerConstructor`` computes the same
scales but only for backbones whose class is named ``*VisionTransformer``
or ``MViT``; this one reads the depth from the backbone and works for
recognizers and detectors alike.
"""
from typing import List

import torch.nn as nn
from mmaction.engine.optimizers.layer_decay_optim_wrapper_constructor import (
    get_layer_id_for_vit,
)
from mmaction.registry import OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.logging import MMLogger
from mmengine.optim import DefaultOptimWrapperConstructor


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class LayerDecayOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """``paramwise_cfg=dict(decay_rate=0.75)``; ``num_layers`` defaults to
    the backbone's depth."""

    def add_params(self, params: List[dict], module: nn.Module,
                   **kwargs) -> None:
        cfg = self.paramwise_cfg
        rate = cfg.get('decay_rate', 0.75)
        depth = cfg.get('num_layers', module.backbone.num_layers)
        groups = {}
        for name, param in module.named_parameters():
            if not param.requires_grad:
                continue
            no_decay = param.ndim == 1 or name.endswith('.bias') or \
                name.endswith(('pos_embed', 'mask_token'))
            layer = get_layer_id_for_vit(name, depth)
            key = (layer, no_decay)
            if key not in groups:
                scale = rate**(depth + 1 - layer)
                groups[key] = dict(params=[], lr=self.base_lr * scale,
                                   lr_scale=scale,
                                   weight_decay=0. if no_decay else
                                   self.base_wd)
            groups[key]['params'].append(param)
        params.extend(groups[k] for k in sorted(groups))
        MMLogger.get_current_instance().info(
            f'layer decay {rate} over {depth} blocks: '
            f'{len(groups)} parameter groups, lr scales '
            f'{rate**(depth + 1):.3g} (embeddings) to 1 (heads)')
