"""Foreign VideoMAE checkpoints -> ours: detect the format, then one pure
function per format (state dict in, state dict out).

Our parameter names follow the official VideoMAE release, so its layouts
need only prefix changes; Hugging Face's and mmaction2's go through the
rename tables in :mod:`.hf` and :mod:`.mmaction`.

Targets: ``backbone`` (a bare ``VideoMAE``), ``pretrainer``
(``VideoMAEPretrainer``: ``backbone.*`` plus the decoder) and ``detector``
(``backbone.*``, plus ``roi_head.*`` when the source is a detector).
"""
from typing import Dict, Tuple

from torch import Tensor

from .hf import convert_hf_backbone, convert_hf_pretrainer
from .mmaction import convert_mmaction_backbone

StateDict = Dict[str, Tensor]
TARGETS = ('backbone', 'pretrainer', 'detector')


class ConversionError(ValueError):
    """The source cannot give the requested target."""


def unwrap(checkpoint: dict) -> StateDict:
    """The state dict inside a checkpoint (``state_dict``, ``model`` or
    ``module``, as mmengine, the official code and DDP save it)."""
    for key in ('state_dict', 'model', 'module'):
        if isinstance(checkpoint.get(key), dict):
            return checkpoint[key]
    return checkpoint


def detect_format(sd: StateDict) -> str:
    """One of ``ours``, ``official_pretrain``, ``official_finetune``,
    ``hf_pretrain``, ``hf``, ``mmaction2``."""
    keys = set(sd)
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
        return 'official_finetune'
    raise ConversionError('not a VideoMAE checkpoint we know: no patch '
                          f'embedding among {sorted(keys)[:8]}...')


def _prefix(sd: StateDict, prefix: str) -> StateDict:
    return {prefix + k: v for k, v in sd.items()}


def _strip(sd: StateDict, prefix: str) -> StateDict:
    return {k[len(prefix):]: v for k, v in sd.items() if k.startswith(prefix)}


def _official_pretrain(sd: StateDict) -> Tuple[StateDict, StateDict]:
    """(backbone, rest of the pre-trainer) from the official layout."""
    backbone = _strip(sd, 'encoder.')
    backbone.pop('head.weight', None)
    backbone.pop('head.bias', None)
    rest = {k: v for k, v in sd.items() if not k.startswith('encoder.')}
    return backbone, rest


def _split(sd: StateDict, fmt: str) -> Tuple[StateDict, StateDict, StateDict]:
    """(backbone, pre-training decoder part, detection head part)."""
    if fmt == 'official_pretrain':
        backbone, rest = _official_pretrain(sd)
        return backbone, rest, {}
    if fmt == 'official_finetune':
        return {k: v for k, v in sd.items()
                if not k.startswith('head.')}, {}, {}
    if fmt == 'hf_pretrain':
        full = convert_hf_pretrainer(sd)
        return _strip(full, 'backbone.'), {
            k: v for k, v in full.items() if not k.startswith('backbone.')
        }, {}
    if fmt == 'hf':
        return convert_hf_backbone(sd), {}, {}
    if fmt == 'mmaction2':
        inner = _strip(sd, 'backbone.') or sd
        roi = {k: v for k, v in sd.items() if k.startswith('roi_head.')}
        return convert_mmaction_backbone(inner), {}, roi
    if fmt == 'ours':
        return _strip(sd, 'backbone.'), {
            k: v for k, v in sd.items()
            if k.startswith(('decoder.', 'encoder_to_decoder.',
                             'mask_token'))
        }, {k: v for k, v in sd.items() if k.startswith('roi_head.')}
    raise ConversionError(f'unknown format {fmt}')


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
    backbone, decoder, roi = _split(sd, fmt)
    if to == 'backbone':
        return backbone, fmt
    if to == 'pretrainer':
        if not decoder:
            raise ConversionError(f'a {fmt} checkpoint has no pre-training '
                                  'decoder: convert it --to backbone')
        return {**_prefix(backbone, 'backbone.'), **decoder}, fmt
    return {**_prefix(backbone, 'backbone.'), **roi}, fmt

