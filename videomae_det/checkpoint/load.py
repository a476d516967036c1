"""Loading a checkpoint, one way: read (:mod:`.safe_load`), convert
(:mod:`.formats`), fit (:mod:`.fit`); each step is called once, in that
order, and none of the three imports another.

:func:`install` makes the first two steps mmengine's handler for local
files, so ``load_from``, resuming and every mmengine load of a local file
read safely and see foreign VideoMAE layouts (official, V2, Hugging Face,
mmaction2) in ours.
"""
import os

import torch
from mmengine.logging import print_log

from .fit import fit_state_dict
from .formats import (
    ConversionError,
    convert,
    convert_foreign,
    strip_prefix,
    unwrap,
)
from .safe_load import SAFE_GLOBALS, load_checkpoint_file


def load_from_safe_local(filename: str, map_location=None):
    """A local checkpoint, read safely, in our layout if it is a foreign
    VideoMAE one (mmengine's scheme for local paths: its log prints the
    name after ``load_from_``)."""
    filename = os.path.expanduser(filename)
    return convert_foreign(load_checkpoint_file(filename, map_location),
                           filename)


def fit_checkpoint(model: torch.nn.Module, checkpoint: dict, filename: str,
                   policy: str = 'exact',
                   revise_keys=((r'^module\.', ''),)) -> None:
    """Fit an already read checkpoint (its state dict) to ``model`` under
    ``policy`` (see :mod:`.fit`)."""
    fit_state_dict(model, unwrap(checkpoint), filename, policy, revise_keys)


def load_weights(model: torch.nn.Module, filename: str,
                 policy: str = 'exact') -> dict:
    """Read, convert and fit a checkpoint file into ``model``; return the
    checkpoint."""
    checkpoint = load_from_safe_local(filename, map_location='cpu')
    fit_checkpoint(model, checkpoint, filename, policy)
    return checkpoint


def load_backbone_weights(module, checkpoint: str,
                          prefix=None) -> None:
    """``init_cfg=dict(type='Pretrained')`` for ``VideoMAE``: any known
    format, our own pre-training/detector/recognizer checkpoints included,
    with or without ``prefix``. Missing and unexpected keys are logged."""
    from mmengine.runner.checkpoint import _load_checkpoint, load_state_dict
    print_log(f'load VideoMAE backbone from {checkpoint}', logger='current')
    # mmengine's schemes: URLs too; local files through load_from_safe_local
    sd = unwrap(_load_checkpoint(checkpoint, map_location='cpu'))
    if prefix and prefix != 'backbone.' and any(
            k.startswith(prefix) for k in sd):
        sd = strip_prefix(sd, prefix)
    try:
        sd, _ = convert(sd, 'backbone')
    except ConversionError as err:
        raise ConversionError(f'{checkpoint}: {err}') from None
    load_state_dict(module, sd, strict=False, logger='current')


def install() -> None:
    """Route mmengine's local checkpoint loading through
    :func:`load_from_safe_local`, and allow the same data types to torch's
    default ``weights_only`` loads, which mmengine's URL and object-store
    schemes use."""
    from mmengine.runner.checkpoint import CheckpointLoader
    CheckpointLoader.register_scheme('', load_from_safe_local, force=True)
    torch.serialization.add_safe_globals(SAFE_GLOBALS)
