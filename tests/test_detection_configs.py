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
