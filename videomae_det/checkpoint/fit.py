"""Fit a state dict to a model and say exactly what did not fit (the last
step of :mod:`.load`: read, convert, fit).

mmengine loads with ``strict=False`` and only logs a mismatch, so a
checkpoint of another head (6 classes into a 32-class config) scores with a
randomly initialised head and exits 0. Here every load reports the missing,
unexpected and mis-shaped keys (with both shapes), and a policy decides:

- ``'exact'`` (testing, inference, resuming): any mismatch is an error;
- ``'finetune'`` (training's ``load_from``): only a classifier of another
  class count (``*fc_cls.weight``/``bias``, first dim) may differ; it stays
  randomly initialised and the log says so;
- ``'partial'`` (``--allow-partial``): load what fits, log what stays random.
"""
import re
from dataclasses import dataclass, field
from typing import Dict, List, Tuple

import torch
from mmengine.logging import print_log

from videomae_det_core.errors import InputError

POLICIES = ('exact', 'finetune', 'partial')


class WeightMismatchError(InputError, ValueError):
    """A checkpoint does not fit the model; the message lists the keys."""


@dataclass
class Fit:
    """What a load left out: keys the model has and the checkpoint lacks,
    keys only the checkpoint has, and ``(key, checkpoint shape, model
    shape)`` for keys in both whose shapes differ."""
    missing: List[str] = field(default_factory=list)
    unexpected: List[str] = field(default_factory=list)
    mis_shaped: List[Tuple[str, tuple, tuple]] = field(default_factory=list)

    @property
    def exact(self) -> bool:
        return not (self.missing or self.unexpected or self.mis_shaped)

    @property
    def new_classifier(self) -> bool:
        """Only classifiers differ, and only in their class count."""
        return (not self.missing and not self.unexpected and
                bool(self.mis_shaped) and all(
                    re.search(r'fc_cls\.(weight|bias)$', k) and
                    a[1:] == b[1:] for k, a, b in self.mis_shaped))

    def describe(self, limit: int = 12) -> str:
        lines = [f'  mis-shaped: {k}: checkpoint {tuple(a)}, model '
                 f'{tuple(b)}' for k, a, b in self.mis_shaped]
        for what, keys in (('missing from the checkpoint', self.missing),
                           ('unexpected (not in the model)',
                            self.unexpected)):
            if keys:
                shown = ', '.join(keys[:limit])
                more = f' and {len(keys) - limit} more' if len(
                    keys) > limit else ''
                lines.append(f'  {what} ({len(keys)}): {shown}{more}')
        return '\n'.join(lines)


def load_state_dict(model: torch.nn.Module,
                    state_dict: Dict[str, torch.Tensor]) -> Fit:
    """Copy every tensor that fits into ``model``; return what did not.

    Modules' own ``_load_from_state_dict`` hooks run first (the backbone
    resamples position tables and tubelets there), so an adapted tensor
    counts as fitting.
    """
    metadata = getattr(state_dict, '_metadata', None)
    sd = dict(state_dict)  # one dict for every level: adaptations stay
    fit, errors = Fit(), []

    def load(module, prefix=''):
        local = {} if metadata is None else metadata.get(prefix[:-1], {})
        module._load_from_state_dict(sd, prefix, local, True, fit.missing,
                                     fit.unexpected, errors)
        for name, child in module._modules.items():
            if child is not None:
                load(child, f'{prefix}{name}.')

    load(getattr(model, 'module', model))
    own = getattr(model, 'module', model).state_dict()
    fit.mis_shaped = [(k, tuple(sd[k].shape), tuple(v.shape))
                      for k, v in own.items()
                      if k in sd and sd[k].shape != v.shape]
    other = [e for e in errors if not e.startswith('size mismatch')]
    if other:
        raise WeightMismatchError('; '.join(other))
    return fit


def apply_policy(fit: Fit, filename: str, policy: str = 'exact') -> None:
    """Accept ``fit`` under ``policy`` (saying what stays random) or raise
    :class:`WeightMismatchError` listing the keys."""
    if policy not in POLICIES:
        raise ValueError(f'policy must be one of {POLICIES}, got {policy!r}')
    if fit.exact:
        return
    if policy == 'finetune' and fit.new_classifier:
        print_log(f'{filename}: the classifier has another class count; '
                  'fine-tuning for the new classes starts it from random '
                  'initialisation (the rest is loaded):\n' + fit.describe(),
                  logger='current', level=30)
        return
    if policy == 'partial':
        print_log(f'{filename}: loaded what fits (--allow-partial); these '
                  'stay randomly initialised or are ignored:\n' +
                  fit.describe(), logger='current', level=30)
        return
    hint = ('; to load only the backbone use model.backbone.init_cfg'
            if policy == 'finetune' else '')
    raise WeightMismatchError(
        f'{filename} does not fit the model:\n{fit.describe()}\n'
        'Check that the config is the one the checkpoint was trained with, '
        f'or pass --allow-partial to load what fits{hint}')


def fit_state_dict(model: torch.nn.Module,
                   state_dict: Dict[str, torch.Tensor], filename: str,
                   policy: str = 'exact',
                   revise_keys=((r'^module\.', ''),)) -> None:
    """Load ``state_dict`` (keys revised by the ``(pattern, replacement)``
    pairs, as mmengine) into ``model`` under ``policy``."""
    for pattern, repl in revise_keys:
        state_dict = {re.sub(pattern, repl, k): v
                      for k, v in state_dict.items()}
    apply_policy(load_state_dict(model, state_dict), filename, policy)
