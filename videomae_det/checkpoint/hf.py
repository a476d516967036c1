"""Hugging Face ``transformers`` VideoMAE state dicts -> our ``VideoMAE``.

A pure function from state dict to state dict, driven by a table of key
renames; HF's separate query/key/value weights are fused into ``qkv``.
"""
import re
from typing import Dict, List, Tuple

import torch
from torch import Tensor

# (HF key pattern, our key); applied after stripping the ``videomae.`` prefix
HF_RENAMES: List[Tuple[str, str]] = [
    (r'^embeddings\.patch_embeddings\.projection\.', 'patch_embed.proj.'),
    (r'^encoder\.layer\.(\d+)\.attention\.attention\.(q_bias|v_bias)$',
     r'blocks.\1.attn.\2'),
    (r'^encoder\.layer\.(\d+)\.attention\.output\.dense\.',
     r'blocks.\1.attn.proj.'),
    (r'^encoder\.layer\.(\d+)\.intermediate\.dense\.', r'blocks.\1.mlp.fc1.'),
    (r'^encoder\.layer\.(\d+)\.output\.dense\.', r'blocks.\1.mlp.fc2.'),
    (r'^encoder\.layer\.(\d+)\.layernorm_before\.', r'blocks.\1.norm1.'),
    (r'^encoder\.layer\.(\d+)\.layernorm_after\.', r'blocks.\1.norm2.'),
    (r'^layernorm\.', 'norm.'),
    (r'^fc_norm\.', 'fc_norm.'),
]
_QKV = re.compile(
    r'^encoder\.layer\.(\d+)\.attention\.attention\.(query|key|value)\.weight$')


def _convert(state_dict: Dict[str, Tensor]) -> Dict[str, Tensor]:
    """Encoder-layout keys -> ours, fusing query/key/value into ``qkv``."""
    out: Dict[str, Tensor] = {}
    qkv: Dict[str, Dict[str, Tensor]] = {}
    for key, value in state_dict.items():
        match = _QKV.match(key)
        if match:
            qkv.setdefault(match[1], {})[match[2]] = value
            continue
        for pattern, repl in HF_RENAMES:
            new, hit = re.subn(pattern, repl, key)
            if hit:
                out[new] = value
                break
    for layer, parts in qkv.items():
        missing = {'query', 'key', 'value'} - set(parts)
        if missing:
            raise KeyError(f'layer {layer} lacks {sorted(missing)} weights')
        out[f'blocks.{layer}.attn.qkv.weight'] = torch.cat(
            [parts['query'], parts['key'], parts['value']])
    return out


def convert_hf_backbone(state_dict: Dict[str, Tensor]) -> Dict[str, Tensor]:
    """Map an HF ``VideoMAEModel`` / ``VideoMAEForVideoClassification``
    encoder state dict onto :class:`~videomae_det.models.VideoMAE`.

    Keys of other parts (classifier, pre-training decoder) are left out.

    Raises:
        KeyError: A layer lacks one of its query/key/value weights.
    """
    return _convert({
        k.removeprefix('videomae.'): v
        for k, v in state_dict.items() if not k.startswith('decoder.')
    })


def convert_hf_pretrainer(state_dict: Dict[str, Tensor]
                          ) -> Dict[str, Tensor]:
    """HF ``VideoMAEForPreTraining`` -> :class:`VideoMAEPretrainer`."""
    out = {f'backbone.{k}': v
           for k, v in convert_hf_backbone(state_dict).items()}
    decoder = {}
    for key, value in state_dict.items():
        if key.startswith('decoder.decoder_layers.'):
            decoder[key.replace('decoder.decoder_layers.',
                                'encoder.layer.')] = value
        elif key.startswith('decoder.'):  # norm, head
            out[key] = value
    out.update({f'decoder.{k}': v for k, v in _convert(decoder).items()})
    out['encoder_to_decoder.weight'] = state_dict['encoder_to_decoder.weight']
    out['mask_token'] = state_dict['mask_token']
    return out
