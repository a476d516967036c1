"""Foreign VideoMAE checkpoints -> ours: detect the format, then one pure
function per format (state dict in, state dict out).

Our parameter names follow the official VideoMAE release, so its layouts
(and VideoMAE V2's, which are the same, ViT-g included) need only prefix
changes; Hugging Face's and mmaction2's go through the rename tables in
:mod:`.hf` and :mod:`.mmaction`.

Targets: ``backbone`` (a bare ``VideoMAE``), ``pretrainer``
(``VideoMAEPretrainer``: ``backbone.*`` plus the decoder), ``recognizer``
(mmaction2 ``Recognizer3D``: ``backbone.*`` plus ``cls_head.fc_cls``),
``detector`` (``backbone.*`` plus ``roi_head.*`` when the source has one)
and ``full`` (every part the source has; what ``load_from`` gets).
"""
from typing import Dict, Tuple

import torch
from mmengine.logging import print_log

from videomae_det_core.archs import ARCH_SETTINGS
from videomae_det_core.errors import InputError

from .hf import (
    StateDict,
    convert_hf_backbone,
    convert_hf_classifier,
    convert_hf_pretrainer,
)
from .mmaction import convert_mmaction_backbone

TARGETS = ('backbone', 'pretrainer', 'recognizer', 'detector', 'full')
FOREIGN = ('official_pretrain', 'official_finetune', 'official_ava',
           'hf_pretrain', 'hf', 'mmaction2')
AVA_ACTIONS = 80  # the official AVA detector's head: one row per action
_DECODER = ('decoder.', 'encoder_to_decoder.', 'mask_token')


class ConversionError(InputError, ValueError):
    """The source cannot give the requested target."""


def unwrap(checkpoint: dict) -> StateDict:
    """The state dict inside a checkpoint (``state_dict``, ``model`` or
    ``module``, as mmengine, the official code and DDP save it)."""
    for key in ('state_dict', 'model', 'module'):
        if isinstance(checkpoint.get(key), dict):
            return checkpoint[key]
    return checkpoint


def saved_settings(checkpoint: dict) -> Dict[str, int]:
    """What the weights do not show, from the config an mmengine checkpoint
    saved (``meta.cfg``): ``img_size``, ``num_frames``, ``num_heads`` and
    ``decoder_num_heads``, those it states; empty without a config."""
    text = (checkpoint.get('meta') or {}).get('cfg') if isinstance(
        checkpoint, dict) else None
    if not isinstance(text, str):
        return {}
    from mmengine.config import Config
    try:
        model = Config.fromstring(text, '.py').model
    except Exception:  # not a config we can read: the caller's defaults
        return {}
    backbone = model.get('backbone', model)
    out = {k: backbone[k] for k in ('img_size', 'num_frames')
           if isinstance(backbone.get(k), int)}
    arch = backbone.get('arch')
    arch = ARCH_SETTINGS.get(arch, {}) if isinstance(arch, str) else arch
    if isinstance(arch, dict) and 'num_heads' in arch:
        out['num_heads'] = arch['num_heads']
    decoder = model.get('decoder')
    if isinstance(decoder, dict) and 'num_heads' in decoder:
        out['decoder_num_heads'] = decoder['num_heads']
    return out


def detect_format(sd: StateDict) -> str:
    """One of ``ours``, ``official_pretrain``, ``official_finetune`` (both
    also VideoMAE V2's), ``official_ava`` (the paper's AVA detector,
    MCG-NJU/VideoMAE-Action-Detection: the final ``norm``, no ``fc_norm``,
    an 80-row ``head``), ``hf_pretrain``, ``hf``, ``mmaction2``.

    Raises:
        ConversionError: Not a VideoMAE state dict, or VideoMAE V2's cosine
            attention (``attn.scale``), which our model does not have.
    """
    keys = set(sd)
    if any(k.endswith('.attn.scale') for k in keys):
        raise ConversionError('VideoMAE V2 cosine attention (cos_attn, '
                              '`attn.scale` weights) is not supported')
    if 'encoder.patch_embed.proj.weight' in keys:
        return 'official_pretrain'
    if any(k.startswith(('videomae.', 'embeddings.patch_embeddings'))
           for k in keys):
        return 'hf_pretrain' if 'encoder_to_decoder.weight' in keys else 'hf'
    if any('patch_embed.projection.' in k for k in keys):
        return 'mmaction2'
    if 'backbone.patch_embed.proj.weight' in keys:
        return 'ours'
    if 'patch_embed.proj.weight' in keys:
        head = sd.get('head.weight')
        if 'norm.weight' in keys and not any(
                k.startswith('fc_norm.') for k in keys) and head is not None \
                and head.shape[0] == AVA_ACTIONS:
            return 'official_ava'
        return 'official_finetune'
    raise ConversionError('not a VideoMAE checkpoint we know: no patch '
                          f'embedding among {sorted(keys)[:8]}...')


def _prefix(sd: StateDict, prefix: str) -> StateDict:
    return {prefix + k: v for k, v in sd.items()}


def strip_prefix(sd: StateDict, prefix: str) -> StateDict:
    """The entries under ``prefix``, without it."""
    return {k[len(prefix):]: v for k, v in sd.items() if k.startswith(prefix)}


def _head(sd: StateDict, prefix: str) -> StateDict:
    """A linear classifier ``{prefix}weight/bias`` as ``cls_head.fc_cls``."""
    return {f'cls_head.fc_cls.{k}': sd[prefix + k]
            for k in ('weight', 'bias') if prefix + k in sd}


def _split(sd: StateDict, fmt: str) -> Dict[str, StateDict]:
    """The parts of a state dict in our layout: ``backbone`` (bare keys),
    ``decoder``, ``roi_head``, ``cls_head`` (full keys)."""
    pick = lambda *p: {k: v for k, v in sd.items() if k.startswith(p)}  # noqa
    if fmt == 'official_pretrain':
        backbone = strip_prefix(sd, 'encoder.')
        backbone.pop('head.weight', None)
        backbone.pop('head.bias', None)
        return dict(backbone=backbone, decoder={
            k: v for k, v in sd.items() if not k.startswith('encoder.')})
    if fmt == 'official_finetune':
        return dict(backbone={k: v for k, v in sd.items()
                              if not k.startswith('head.')},
                    cls_head=_head(sd, 'head.'))
    if fmt == 'official_ava':  # head -> fc_cls, background row 0 zero
        head = {f'roi_head.bbox_head.fc_cls.{k}': torch.cat(
            [sd[f'head.{k}'][:1] * 0, sd[f'head.{k}']]) for k in ('weight',
                                                                   'bias')}
        return dict(backbone={k: v for k, v in sd.items()
                              if not k.startswith('head.')}, roi_head=head)
    if fmt == 'hf_pretrain':
        full = convert_hf_pretrainer(sd)
        return dict(backbone=strip_prefix(full, 'backbone.'), decoder={
            k: v for k, v in full.items() if not k.startswith('backbone.')})
    if fmt == 'hf':
        return dict(backbone=convert_hf_backbone(sd),
                    cls_head=convert_hf_classifier(sd))
    if fmt == 'mmaction2':
        inner = strip_prefix(sd, 'backbone.') or sd
        return dict(backbone=convert_mmaction_backbone(inner),
                    roi_head=pick('roi_head.'), cls_head=pick('cls_head.'))
    return dict(backbone=strip_prefix(sd, 'backbone.'),
                decoder=pick(*_DECODER), roi_head=pick('roi_head.'),
                cls_head=pick('cls_head.'))


def convert(sd: StateDict, to: str = 'backbone') -> Tuple[StateDict, str]:
    """Convert any known VideoMAE state dict to our layout for ``to``.

    Returns:
        (state dict, detected source format).

    Raises:
        ConversionError: e.g. a pre-trainer asked of a fine-tuned model
            (it has no decoder).
    """
    if to not in TARGETS:
        raise ConversionError(f'--to must be one of {TARGETS}, got {to!r}')
    fmt = detect_format(sd)
    parts = _split(sd, fmt)
    if to == 'backbone':
        return parts['backbone'], fmt
    out = _prefix(parts['backbone'], 'backbone.')
    if to == 'pretrainer':
        if not parts.get('decoder'):
            raise ConversionError(f'a {fmt} checkpoint has no pre-training '
                                  'decoder: convert it --to backbone')
        return {**out, **parts['decoder']}, fmt
    if to == 'recognizer':
        return {**out, **parts.get('cls_head', {})}, fmt
    if to == 'detector':
        return {**out, **parts.get('roi_head', {})}, fmt
    for part in ('decoder', 'roi_head', 'cls_head'):
        out.update(parts.get(part, {}))
    return out, fmt


def convert_foreign(checkpoint, filename: str = ''):
    """A loaded checkpoint in our full layout if it is a foreign VideoMAE
    one (noting the conversion), else unchanged: what ``load_from`` and
    every mmengine load of a local file sees."""
    if not isinstance(checkpoint, dict):
        return checkpoint
    sd = unwrap(checkpoint)
    try:
        fmt = detect_format(sd)
    except ConversionError:
        return checkpoint  # not VideoMAE: someone else's weights
    if fmt not in FOREIGN:
        return checkpoint
    out, _ = convert(sd, 'full')
    print_log(f'{filename}: converted a {fmt} VideoMAE checkpoint to our '
              f'layout on the fly ({len(sd)} -> {len(out)} tensors)',
              logger='current')
    return dict(state_dict=out, meta=dict(converted_from=fmt))
