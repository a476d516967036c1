"""Hugging Face ``transformers`` VideoMAE <-> ours, both ways.

Pure functions from state dict to state dict, driven by one table of key
templates (``{}`` is a layer index) read in either direction; HF's separate
query/key/value weights are fused into our ``qkv`` and split back.
:func:`export_hf` writes a folder that ``VideoMAEForPreTraining`` /
``VideoMAEForVideoClassification`` / ``VideoMAEModel.from_pretrained`` load
from local files.
"""
import json
import os
import os.path as osp
import re
from typing import Dict, List, Optional, Tuple

import torch
from torch import Tensor

from ..utils.files import set_default_mode

StateDict = Dict[str, Tensor]

# (HF encoder key template, our backbone key template), after HF's
# ``videomae.`` prefix; the decoder blocks reuse the block rows.
HF_KEYS: List[Tuple[str, str]] = [
    ('embeddings.patch_embeddings.projection.', 'patch_embed.proj.'),
    ('encoder.layer.{}.attention.attention.q_bias', 'blocks.{}.attn.q_bias'),
    ('encoder.layer.{}.attention.attention.v_bias', 'blocks.{}.attn.v_bias'),
    ('encoder.layer.{}.attention.output.dense.', 'blocks.{}.attn.proj.'),
    ('encoder.layer.{}.intermediate.dense.', 'blocks.{}.mlp.fc1.'),
    ('encoder.layer.{}.output.dense.', 'blocks.{}.mlp.fc2.'),
    ('encoder.layer.{}.layernorm_before.', 'blocks.{}.norm1.'),
    ('encoder.layer.{}.layernorm_after.', 'blocks.{}.norm2.'),
    ('layernorm.', 'norm.'),
    ('fc_norm.', 'fc_norm.'),
]
_QKV_HF = re.compile(
    r'^encoder\.layer\.(\d+)\.attention\.attention\.(query|key|value)\.weight$')
_QKV_OURS = re.compile(r'^blocks\.(\d+)\.attn\.qkv\.weight$')
_PARTS = ('query', 'key', 'value')


def _pattern(template: str) -> re.Pattern:
    return re.compile('^' + re.escape(template).replace(r'\{\}', r'(\d+)'))


def _rename(key: str, reverse: bool) -> Optional[str]:
    """Our key for an HF one (or back when ``reverse``); None if unknown."""
    for hf, ours in HF_KEYS:
        src, dst = (ours, hf) if reverse else (hf, ours)
        match = _pattern(src).match(key)
        if match:
            return dst.format(*match.groups()) + key[match.end():]
    return None


def _from_hf(state_dict: StateDict) -> StateDict:
    """HF encoder-layout keys -> ours, fusing query/key/value into ``qkv``."""
    out: StateDict = {}
    qkv: Dict[str, Dict[str, Tensor]] = {}
    for key, value in state_dict.items():
        match = _QKV_HF.match(key)
        if match:
            qkv.setdefault(match[1], {})[match[2]] = value
        elif (new := _rename(key, reverse=False)) is not None:
            out[new] = value
    for layer, parts in qkv.items():
        missing = set(_PARTS) - set(parts)
        if missing:
            raise KeyError(f'layer {layer} lacks {sorted(missing)} weights')
        out[f'blocks.{layer}.attn.qkv.weight'] = torch.cat(
            [parts[p] for p in _PARTS])
    return out


def _to_hf(state_dict: StateDict) -> StateDict:
    """Our block-layout keys -> HF's, splitting ``qkv``."""
    out: StateDict = {}
    for key, value in state_dict.items():
        match = _QKV_OURS.match(key)
        if match:
            for part, w in zip(_PARTS, value.chunk(3)):
                out[f'encoder.layer.{match[1]}.attention.attention.'
                    f'{part}.weight'] = w.contiguous()
        elif (new := _rename(key, reverse=True)) is not None:
            out[new] = value
        else:
            raise KeyError(f'{key} has no Hugging Face VideoMAE counterpart '
                           '(layer scale and learned position tables do '
                           'not exist there)')
    return out


def convert_hf_backbone(state_dict: StateDict) -> StateDict:
    """An HF ``VideoMAEModel`` / ``VideoMAEForVideoClassification`` encoder
    state dict -> :class:`~videomae_det.models.VideoMAE`.

    Keys of other parts (classifier, pre-training decoder) are left out.

    Raises:
        KeyError: A layer lacks one of its query/key/value weights.
    """
    return _from_hf({
        k.removeprefix('videomae.'): v
        for k, v in state_dict.items() if not k.startswith('decoder.')
    })


def convert_hf_pretrainer(state_dict: StateDict) -> StateDict:
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
    out.update({f'decoder.{k}': v for k, v in _from_hf(decoder).items()})
    out['encoder_to_decoder.weight'] = state_dict['encoder_to_decoder.weight']
    out['mask_token'] = state_dict['mask_token']
    return out


def convert_hf_classifier(state_dict: StateDict) -> StateDict:
    """HF ``classifier`` -> mmaction2's ``cls_head.fc_cls`` (empty if the
    state dict has no classifier)."""
    return {f'cls_head.fc_cls.{k.split(".")[-1]}': v
            for k, v in state_dict.items() if k.startswith('classifier.')}


def to_hf_state_dict(state_dict: StateDict) -> StateDict:
    """Our full layout (``backbone.*``, optional decoder, optional
    ``cls_head.fc_cls``) -> HF's (``videomae.*``, ``decoder.*``,
    ``classifier``): the inverse of the converters above."""
    out: StateDict = {}
    blocks: StateDict = {}
    for key, value in state_dict.items():
        if key.startswith('backbone.'):
            blocks[key[len('backbone.'):]] = value
        elif key.startswith('decoder.blocks.'):
            for k, v in _to_hf({key[len('decoder.'):]: value}).items():
                out[k.replace('encoder.layer.',
                              'decoder.decoder_layers.')] = v
        elif key.startswith(('decoder.', 'encoder_to_decoder.',
                             'mask_token')):
            out[key] = value
        elif key.startswith('cls_head.fc_cls.'):
            out['classifier.' + key.split('.')[-1]] = value
        elif not key.endswith('data_preprocessor.step'):
            raise KeyError(f'{key} has no Hugging Face VideoMAE counterpart')
    # HF keeps the pooled model's fc_norm in the classifier, outside videomae
    out.update({k if k.startswith('fc_norm.') else f'videomae.{k}': v
                for k, v in _to_hf(blocks).items()})
    return out


def hf_config(backbone, decoder=None, norm_target: bool = True,
              num_classes: int = 0) -> dict:
    """``VideoMAEConfig`` fields for our ``VideoMAE`` (and the pre-trainer's
    decoder, or a classifier of ``num_classes``)."""
    blk = backbone.blocks[0]
    cfg = dict(
        model_type='videomae',
        image_size=backbone.img_size,
        patch_size=backbone.patch_embed.cube[1],
        num_channels=backbone.patch_embed.proj.in_channels,
        num_frames=backbone.num_frames,
        tubelet_size=backbone.patch_embed.cube[0],
        hidden_size=backbone.embed_dims,
        num_hidden_layers=backbone.num_layers,
        num_attention_heads=backbone.num_heads,
        intermediate_size=blk.mlp.fc1.out_features,
        hidden_act='gelu',
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
        layer_norm_eps=blk.norm1.eps,
        qkv_bias=blk.attn.q_bias is not None,
        use_mean_pooling=backbone.fc_norm is not None,
        norm_pix_loss=norm_target)
    if decoder is not None:
        dblk = decoder.blocks[0]
        cfg.update(decoder_hidden_size=dblk.norm1.normalized_shape[0],
                   decoder_num_hidden_layers=len(decoder.blocks),
                   decoder_num_attention_heads=dblk.attn.num_heads,
                   decoder_intermediate_size=dblk.mlp.fc1.out_features)
    if num_classes:
        cfg.update(architectures=['VideoMAEForVideoClassification'],
                   id2label={str(i): f'LABEL_{i}' for i in range(num_classes)},
                   label2id={f'LABEL_{i}': i for i in range(num_classes)})
    elif decoder is not None:
        cfg.update(architectures=['VideoMAEForPreTraining'])
    else:
        cfg.update(architectures=['VideoMAEModel'])
    return cfg


def export_hf(model, out_dir: str, safetensors: bool = True) -> str:
    """Write ``model`` (our ``VideoMAE``, ``VideoMAEPretrainer`` or a
    recognizer with ``backbone`` and ``cls_head.fc_cls``) as a Hugging Face
    folder: ``config.json`` plus ``model.safetensors`` (or
    ``pytorch_model.bin``). Returns the weights' path.

    Raises:
        KeyError: The model has parts HF's VideoMAE lacks (layer scale,
            a learned position table).
    """
    backbone = getattr(model, 'backbone', model)
    decoder = getattr(model, 'decoder', None)
    head = getattr(getattr(model, 'cls_head', None), 'fc_cls', None)
    if backbone.fc_norm is None and 'norm.weight' not in dict(
            backbone.named_parameters()):
        raise KeyError('HF VideoMAE always ends with a LayerNorm: export a '
                       'backbone with final_norm=True or a pooled one')
    sd = model.state_dict()
    if backbone is model:
        sd = {f'backbone.{k}': v for k, v in sd.items()}
    sd = {k: v for k, v in sd.items()
          if not k.startswith(('data_preprocessor.', 'cls_head.')) or
          k.startswith('cls_head.fc_cls.')}
    hf_sd = to_hf_state_dict(sd)
    cfg = hf_config(backbone, decoder, getattr(model, 'norm_target', True),
                    head.out_features if head is not None else 0)
    os.makedirs(out_dir, exist_ok=True)
    with open(osp.join(out_dir, 'config.json'), 'w') as f:
        json.dump(cfg, f, indent=2)
    hf_sd = {k: v.detach().contiguous() for k, v in hf_sd.items()}
    if safetensors:
        from safetensors.torch import save_file
        path = osp.join(out_dir, 'model.safetensors')
        save_file(hf_sd, path, metadata=dict(format='pt'))
        set_default_mode(path)
    else:
        path = osp.join(out_dir, 'pytorch_model.bin')
        torch.save(hf_sd, path)
    return path
