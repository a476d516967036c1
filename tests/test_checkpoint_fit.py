"""Loading weights that do not fit: what is reported, what each policy
accepts (test/inference exact, fine-tuning a new classifier, partial)."""
import pytest
import torch
from torch import nn

import videomae_det  # noqa: F401
from videomae_det.checkpoint.fit import (
    WeightMismatchError,
    apply_policy,
    load_state_dict,
)
from videomae_det.checkpoint.load import load_weights


def model(classes=6):
    torch.manual_seed(0)
    return nn.ModuleDict(dict(backbone=nn.Linear(4, 8),
                              head=nn.ModuleDict(dict(
                                  fc_cls=nn.Linear(8, classes)))))


def test_exact_fit_loads_everything():
    src, dst = model(), model()
    nn.init.ones_(src['backbone'].weight)
    fit = load_state_dict(dst, src.state_dict())
    assert fit.exact
    assert torch.equal(dst['backbone'].weight, src['backbone'].weight)


def test_mismatches_are_listed_with_both_shapes(tmp_path):
    sd = model(9).state_dict()
    sd['extra'] = torch.zeros(1)
    del sd['backbone.bias']
    dst = model()
    fit = load_state_dict(dst, sd)
    assert fit.missing == ['backbone.bias']
    assert fit.unexpected == ['extra']
    assert fit.mis_shaped == [('head.fc_cls.weight', (9, 8), (6, 8)),
                              ('head.fc_cls.bias', (9,), (6,))]
    # what fits is loaded
    assert torch.equal(dst['backbone'].weight, sd['backbone.weight'])
    with pytest.raises(WeightMismatchError) as err:
        apply_policy(fit, 'x.pth', 'exact')
    text = str(err.value)
    assert 'x.pth does not fit' in text and '--allow-partial' in text
    assert 'head.fc_cls.weight: checkpoint (9, 8), model (6, 8)' in text
    assert 'missing from the checkpoint (1): backbone.bias' in text
    # fine-tuning accepts a new classifier only
    with pytest.raises(WeightMismatchError, match='init_cfg'):
        apply_policy(fit, 'x.pth', 'finetune')
    apply_policy(fit, 'x.pth', 'partial')


def test_finetune_accepts_a_classifier_of_another_class_count(tmp_path):
    fit = load_state_dict(model(), model(9).state_dict())
    assert fit.new_classifier
    apply_policy(fit, 'x.pth', 'finetune')
    with pytest.raises(WeightMismatchError):
        apply_policy(fit, 'x.pth', 'exact')
    # another width is not a new class count
    sd = model().state_dict()
    sd['head.fc_cls.weight'] = torch.zeros(6, 5)
    assert not load_state_dict(model(), sd).new_classifier


def test_load_weights_reads_a_file_under_a_policy(tmp_path):
    torch.save({'state_dict': model(9).state_dict()}, tmp_path / 'w.pth')
    with pytest.raises(WeightMismatchError, match='w.pth'):
        load_weights(model(), str(tmp_path / 'w.pth'))
    load_weights(model(), str(tmp_path / 'w.pth'), 'partial')
    torch.save({'state_dict': {f'module.{k}': v for k, v in
                               model().state_dict().items()}},
               tmp_path / 'ddp.pth')
    load_weights(model(), str(tmp_path / 'ddp.pth'))  # DDP prefix dropped
