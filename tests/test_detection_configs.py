"""AVA detection configs: full-size models build with the paper's parameter
counts, train one step at a reduced input, and decay lr layer by layer."""
import glob

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.structures import InstanceData

import videomae_det  # noqa: F401  (before mmaction.models)

# isort: split
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmaction.utils import register_all_modules

from conftest import ROOT

register_all_modules()
# paper, AVA table: 22M / 87M / 305M / 633M
PARAMS = dict(small=22e6, base=87e6, large=305e6, huge=633e6)
# the full-size configs (the toy one is tested in test_detection_toy.py)
CONFIGS = sorted(glob.glob(str(ROOT / 'configs' / 'ava_vit[sblh].py')) +
                 glob.glob(str(ROOT / 'configs' / 'ava_vit?_evad.py')) +
                 glob.glob(str(ROOT / 'configs' / 'ava21_*.py')))


def one_sample(size=64, frames=4):
    x = torch.randint(0, 255, (3, frames, size, size), dtype=torch.uint8)
    sample = ActionDataSample()
    sample.set_metainfo(dict(img_shape=(size, size)))
    sample.proposals = InstanceData(bboxes=torch.tensor(
        [[4., 4., 40., 60.], [20., 10., 60., 50.]]))
    labels = torch.zeros(1, 81)
    labels[0, [1, 5]] = 1
    sample.gt_instances = InstanceData(
        bboxes=torch.tensor([[5., 5., 40., 58.]]), labels=labels)
    return dict(inputs=[x], data_samples=[sample])


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: p.split('/')[-1])
def test_full_size_detector_builds_and_trains_one_step(path):
    cfg = Config.fromfile(path)
    assert cfg.val_evaluator.type == 'AVAFrameMAP'
    model = MODELS.build(cfg.model)
    arch = cfg.model.backbone.arch
    n = sum(p.numel() for p in model.parameters())
    assert abs(n - PARAMS[arch]) / PARAMS[arch] < 0.03, n
    assert model.roi_head.bbox_head.fc_cls.in_features == \
        model.backbone.embed_dims
    model.train()
    data = model.data_preprocessor(one_sample(), True)
    losses = model(**data, mode='loss')
    losses['loss_action_cls'].backward()
    assert model.backbone.blocks[-1].mlp.fc2.weight.grad is not None
    del model


def test_layer_decay_groups_carry_per_layer_scales():
    cfg = Config.fromfile(str(ROOT / 'configs' / 'ava_vitb.py'))
    model = MODELS.build(cfg.model)
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    scale = {}
    for group in wrapper.optimizer.param_groups:
        for p in group['params']:
            scale[id(p)] = (group['lr'], group['weight_decay'])
    base = cfg.optim_wrapper.optimizer.lr
    named = dict(model.named_parameters())
    rate = 0.75
    for name, layer in (('backbone.patch_embed.proj.weight', 0),
                        ('backbone.blocks.0.attn.qkv.weight', 1),
                        ('backbone.blocks.11.mlp.fc1.weight', 12),
                        ('roi_head.bbox_head.fc_cls.weight', 13)):
        lr, wd = scale[id(named[name])]
        assert lr == pytest.approx(base * rate**(13 - layer)), name
        assert wd == 0.05
    assert scale[id(named['backbone.blocks.3.norm1.weight'])][1] == 0.0
    assert scale[id(named['backbone.blocks.3.attn.q_bias'])][1] == 0.0


def test_missing_pretrained_weights_name_the_path():
    cfg = Config.fromfile(str(ROOT / 'configs' / 'ava_vits.py'))
    model = MODELS.build(cfg.model)
    with pytest.raises(FileNotFoundError,
                       match='checkpoints/videomae_vits_k400.pth'):
        model.init_weights()


def test_pretrained_backbone_loads_from_a_pretrainer_checkpoint(tmp_path):
    """Our pre-training checkpoint feeds the detector's backbone through
    init_cfg (prefix 'backbone.'), decoder keys left aside."""
    pre = MODELS.build(dict(
        type='VideoMAEPretrainer',
        backbone=dict(type='VideoMAE', arch='small')))
    path = tmp_path / 'pre.pth'
    torch.save({'state_dict': pre.state_dict(), 'meta': {}}, path)
    cfg = Config.fromfile(str(ROOT / 'configs' / 'ava_vits.py'))
    cfg.model.backbone.init_cfg.checkpoint = str(path)
    model = MODELS.build(cfg.model)
    model.init_weights()
    torch.testing.assert_close(model.backbone.blocks[5].attn.qkv.weight,
                               pre.backbone.blocks[5].attn.qkv.weight)


def test_ava_class_settings_are_checked_against_each_other(tmp_path):
    """A custom data set by config alone: label map, num_classes and
    custom_classes must agree, and the error says which key is wrong."""
    from videomae_det.datasets.ava_checks import (
        AVAConfigError,
        check_ava_config,
    )
    labels = tmp_path / 'labels.pbtxt'
    labels.write_text(''.join(f'item {{\n  name: "a{i}"\n  id: {i}\n}}\n'
                              for i in (3, 7, 9)))
    cfg = Config.fromfile(str(ROOT / 'configs' / 'ava_toy_vit-tiny.py'))
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[key].dataset.label_file = str(labels)
    with pytest.raises(AVAConfigError, match='action id 9, which needs '
                       'num_classes >= 10'):
        check_ava_config(cfg)
    # the whitelist route: 3 custom ids -> 4 score columns everywhere
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[key].dataset.update(custom_classes=[3, 7, 9], num_classes=4)
    cfg.val_evaluator.update(custom_classes=[3, 7, 9], num_classes=4)
    cfg.test_evaluator = cfg.val_evaluator
    with pytest.raises(AVAConfigError,
                       match='bbox_head.num_classes=6') as err:
        check_ava_config(cfg)
    assert 'train_dataloader.dataset.num_classes=4' in str(err.value)
    cfg.model.roi_head.bbox_head.num_classes = 4
    # mmaction2's head asserts each top-k below num_classes (bare)
    with pytest.raises(AVAConfigError, match=r'topk=\(3, 5\) .* needs each '
                       r'k below num_classes=4: set topk=\(1, 3\)'):
        check_ava_config(cfg)
    cfg.model.roi_head.bbox_head.topk = (1, 3)
    assert check_ava_config(cfg) == 4
    cfg.val_dataloader.dataset.custom_classes = [3, 7, 8]
    with pytest.raises(AVAConfigError, match=r'\[8\] are not in the label'):
        check_ava_config(cfg)
