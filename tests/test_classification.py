"""Classification fine-tuning: configs, one step at full size, multi-view
test averaging, layer decay, video-list errors, RandAugment, FLOPs, and the
toy fine-tune through the tools."""
import glob
import importlib.util

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper

import videomae_det  # noqa: F401  (before mmaction.models)

# isort: split
from mmaction.registry import DATASETS, MODELS, TRANSFORMS
from mmaction.structures import ActionDataSample
from mmaction.utils import register_all_modules

from conftest import ROOT, run_python, toy_cls_options
from videomae_det.datasets import VideoListError

register_all_modules()
# the recipes (cls_sample-clips_vit-tiny.py, a smoke run of the tools on
# four clips, is exercised by test_tools.py and test_reliability.py)
CONFIGS = sorted(p for p in glob.glob(str(ROOT / 'configs' / 'cls_*.py'))
                 if 'sample-clips' not in p)
FULL = [str(ROOT / 'configs' / f'cls_vit{a}_k400.py') for a in 'sblh']
PARAMS = dict(small=22e6, base=86e6, large=307e6, huge=632e6)  # paper
GFLOPS = dict(small=57, base=180, large=597, huge=1192)  # paper, per view


def samples(n=2, classes=400, frames=4, size=32, views=1):
    out = []
    for i in range(n):
        s = ActionDataSample()
        s.set_gt_label(torch.tensor([i % classes]))
        out.append(s)
    x = [torch.randint(0, 255, (views, 3, frames, size, size),
                       dtype=torch.uint8) for _ in range(n)]
    return dict(inputs=x, data_samples=out)


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: p.split('/')[-1])
def test_every_config_parses_with_consistent_classes(path):
    cfg = Config.fromfile(path)
    n = cfg.model.cls_head.num_classes
    assert cfg.train_dataloader.dataset.num_classes == n
    assert cfg.test_dataloader.dataset.num_classes == n
    blending = cfg.model.data_preprocessor.get('blending')
    if blending:
        assert all(a.num_classes == n for a in blending.augments)
    assert cfg.model.backbone.out_type == 'pooled'
    assert cfg.model.cls_head.in_channels in (96, 384, 768, 1024, 1280)
    assert ('scratch' in path) == (cfg.model.backbone.init_cfg is None)


@pytest.mark.parametrize('path', FULL, ids=lambda p: p.split('/')[-1])
def test_full_size_recognizer_trains_one_step(path):
    """The real recipe (mixup/cutmix, label smoothing, layer decay, drop
    path) at full width and depth, on a 4-frame 32px input."""
    cfg = Config.fromfile(path)
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    arch = cfg.model.backbone.arch
    n = sum(p.numel() for p in model.backbone.parameters())
    assert abs(n - PARAMS[arch]) / PARAMS[arch] < 0.03, n
    model.train()
    data = model.data_preprocessor(samples(), True)
    # mixup/cutmix made soft labels (B, 400)
    assert data['data_samples'][0].gt_label.shape == (400, )
    losses = model(**data, mode='loss')
    losses['loss_cls'].backward()
    assert torch.isfinite(losses['loss_cls'])
    assert model.backbone.blocks[0].attn.qkv.weight.grad.abs().sum() > 0
    del model


def test_multi_view_test_averages_softmax_over_views():
    """5 clips x 3 crops arrive as 15 views of one sample; the score is
    the mean of the per-view softmax (average_clips='prob')."""
    cfg = Config.fromfile(
        str(ROOT / 'configs' / 'cls_toy-motions_vit-tiny.py'))
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model).eval()
    assert [t.type for t in cfg.test_pipeline][-4:-2] == ['Resize',
                                                          'ThreeCrop']
    data = samples(n=1, classes=5, frames=8, size=64, views=6)
    with torch.no_grad():
        score = model.test_step(data)[0].pred_score
        views = model.data_preprocessor(data, False)['inputs'][0]
        logits = model.cls_head(model.backbone(views))
    assert views.shape == (6, 3, 8, 64, 64)
    torch.testing.assert_close(score, logits.softmax(-1).mean(0))


def test_layer_decay_scales_for_the_recognizer():
    cfg = Config.fromfile(str(ROOT / 'configs' / 'cls_vitb_k400.py'))
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    lr = {id(p): g['lr'] for g in wrapper.optimizer.param_groups
          for p in g['params']}
    named = dict(model.named_parameters())
    base = cfg.optim_wrapper.optimizer.lr
    for name, layer in (('backbone.patch_embed.proj.weight', 0),
                        ('backbone.blocks.5.mlp.fc2.weight', 6),
                        ('backbone.fc_norm.weight', 13),
                        ('cls_head.fc_cls.weight', 13)):
        assert lr[id(named[name])] == pytest.approx(
            base * 0.75**(13 - layer)), name


def test_video_list_errors_name_the_line(tmp_path):
    def load(text, **kw):
        path = tmp_path / 'list.txt'
        path.write_text(text)
        return DATASETS.build(dict(type='CheckedVideoDataset',
                                   ann_file=str(path), pipeline=[], **kw))
    assert len(load('a.mp4 1\n\nb.mp4 0\n', num_classes=2)) == 2
    with pytest.raises(VideoListError, match=r'list.txt:2: expected "path'):
        load('a.mp4 1\nb c.mp4 0\n')
    with pytest.raises(VideoListError, match=r'list.txt:1: label is not an '):
        load('a.mp4 one\n')
    with pytest.raises(VideoListError, match=r'list.txt:2: label 7 outside'):
        load('a.mp4 1\nb.mp4 7\n', num_classes=5)
    with pytest.raises(VideoListError, match='empty'):
        load('\n')


def test_rand_augment_draws_once_per_clip():
    import random
    aug = TRANSFORMS.build(dict(type='VideoRandAugment', magnitude=9,
                                num_layers=4, prob=1.0))
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)
    changed = 0
    for seed in range(20):
        random.seed(seed)
        out = aug(dict(imgs=[frame.copy() for _ in range(4)]))['imgs']
        assert len(out) == 4 and out[0].shape == frame.shape
        assert out[0].dtype == np.uint8
        for f in out[1:]:  # the same operations on every frame
            np.testing.assert_array_equal(f, out[0])
        changed += not np.array_equal(out[0], frame)
    assert changed >= 18


def test_flops_match_the_paper():
    spec = importlib.util.spec_from_file_location(
        'get_flops', ROOT / 'tools' / 'analysis' / 'get_flops.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    for path in FULL:
        cfg = Config.fromfile(path)
        flops, params = tool.count(cfg)
        paper = GFLOPS[cfg.model.backbone.arch]
        assert abs(flops.total() / 1e9 - paper) / paper < 0.03, (
            path, flops.total())


def test_toy_pretrain_fine_tune_and_test_through_the_tools(tmp_path):
    """The demo-cls chain in miniature: the generated set (labelled lists
    plus a pre-training list with the unlabelled clips), pre-training on
    it, fine-tuning from that checkpoint, multi-view testing."""
    data = tmp_path / 'toy_cls'
    run_python([str(ROOT / 'tools/data/make_toy_cls.py'), str(data),
                '--per-class', '4', '--unlabelled', '3'])
    train = (data / 'toy_cls_train.txt').read_text().splitlines()
    pretrain = (data / 'toy_cls_pretrain.txt').read_text().splitlines()
    assert len(train) == 15 and len(pretrain) == 18
    assert [line.split()[0] for line in train] == pretrain[:15]
    assert all((data / p).is_file() for p in pretrain)
    pre = tmp_path / 'pre'
    run_python([str(ROOT / 'tools/train.py'),
                str(ROOT / 'configs/pretrain_toy_cls.py'), '--work-dir',
                str(pre), '--cfg-options', 'train_cfg.max_epochs=1',
                f'train_dataloader.dataset.dataset.ann_file={data}/'
                'toy_cls_pretrain.txt',
                f'train_dataloader.dataset.dataset.data_prefix.video={data}',
                'train_dataloader.num_workers=0',
                'train_dataloader.persistent_workers=False'])
    config = str(ROOT / 'configs/cls_toy-motions_vit-tiny.py')
    opts = toy_cls_options(data) + [
        'train_cfg.val_interval=1',
        f'model.backbone.init_cfg.checkpoint={pre}/epoch_1.pth']
    work = tmp_path / 'work'
    result = run_python([str(ROOT / 'tools/train.py'), config,
                         '--work-dir', str(work), *opts])
    assert f'load VideoMAE backbone from {pre}/epoch_1.pth' in (
        result.stdout + result.stderr)
    result = run_python([str(ROOT / 'tools/test.py'), config,
                         str(work / 'epoch_1.pth'), '--work-dir', str(work),
                         *opts])
    out = result.stdout + result.stderr
    for key in ('acc/top1', 'acc/top5', 'acc/mean1'):
        assert key in out, key
