"""Sharded training (FSDP) through FlexibleRunner on 2 CPU ranks (gloo),
against the same run under DDP; full and sharded checkpoints; the memory
table in docs/fsdp.md."""
import json
import os
import re

import pytest
import torch

import videomae_det  # noqa: F401
from conftest import ROOT, dist_tool, dist_train, run_python

TOY = ROOT / 'configs' / 'pretrain_toy_clips_fsdp.py'


def records(work_dir, config, *args):
    """A 2-rank run of ``config``; its records per rank."""
    result = dist_train(config, work_dir, *args)
    runs = []
    for r in (0, 1):
        losses = [json.loads(line) for line in (
            work_dir / f'losses_rank{r}.jsonl').read_text().splitlines()]
        groups = json.loads((work_dir / f'groups_rank{r}.json').read_text())
        weights = torch.load(work_dir / f'final_rank{r}.pth')
        runs.append(dict(losses={i: loss for i, loss, _ in losses},
                         lrs={i: lr for i, _, lr in losses}, groups=groups,
                         weights=weights))
    return runs, result.stdout + result.stderr


@pytest.fixture(scope='module')
def fsdp_runs(tmp_path_factory, ann_file):
    """DDP (3 epochs); FSDP with full checkpoints (3 epochs); FSDP saving
    sharded checkpoints, resumed from the full epoch 1; FSDP resumed from
    that sharded epoch 2. 4 iterations per epoch."""
    root = tmp_path_factory.mktemp('fsdp')
    config = root / 'toy_fsdp.py'
    config.write_text(
        f'_base_ = [{str(TOY)!r}]\n'
        "custom_imports = dict(imports=['videomae_det', 'record_run_hook'])\n"
        "custom_hooks = [dict(type='RandomStateHook'), "
        "dict(type='RecordRunHook')]\n"
        # layer decay: the groups FSDP's flat shards would get wrong
        "optim_wrapper = dict(constructor='LayerDecayOptimWrapperConstructor',"
        " paramwise_cfg=dict(_delete_=True, decay_rate=0.75))\n")
    common = ['--cfg-options',
              f'train_dataloader.dataset.dataset.ann_file={ann_file}',
              'train_dataloader.num_workers=0',
              'train_dataloader.persistent_workers=False',
              'train_cfg.max_epochs=3', 'default_hooks.checkpoint.interval=1',
              'default_hooks.checkpoint.max_keep_ckpts=3']
    runs = {}
    runs['ddp'], _ = records(root / 'ddp', config, *common,
                                'runner_type=Runner')
    runs['full'], log = records(root / 'full', config, *common)
    assert 'FSDP' in log and 'Distributed training: True' in log
    runs['sharded'], _ = records(
        root / 'sharded', config, '--resume',
        str(root / 'full' / 'epoch_1.pth'), *common,
        'strategy.state_dict_cfg=sharded')
    runs['from_sharded'], _ = records(
        root / 'from_sharded', config, '--resume',
        str(root / 'sharded' / 'epoch_2.pth'), *common)
    runs['root'] = root
    return runs


def test_fsdp_trains_as_ddp(fsdp_runs):
    """Same optimizer groups parameter by parameter (layer-decay lr, weight
    decay), same losses and final weights within fp32 tolerance."""
    ddp, fsdp = fsdp_runs['ddp'], fsdp_runs['full']
    for r in (0, 1):
        assert fsdp[r]['groups'] == ddp[r]['groups']
        assert len(fsdp[r]['losses']) == 12
        for it, loss in ddp[r]['losses'].items():
            assert fsdp[r]['losses'][it] == pytest.approx(loss, rel=1e-5,
                                                          abs=1e-6)
    lrs = {tuple(v) for v in ddp[0]['groups'].values()}
    assert len(lrs) > 4  # layer decay: several lr scales, decay on and off
    assert ddp[0]['groups']['backbone.blocks.0.attn.qkv.weight'][1] > 0
    assert ddp[0]['groups']['backbone.blocks.0.norm1.weight'][1] == 0
    full = fsdp[0]['weights']
    assert set(full) == set(ddp[0]['weights'])
    for k, v in ddp[0]['weights'].items():
        torch.testing.assert_close(full[k], v, rtol=1e-4, atol=1e-6)
        torch.testing.assert_close(fsdp[1]['weights'][k], full[k], rtol=0,
                                   atol=0)


def test_fsdp_resumes_from_full_and_sharded_checkpoints(fsdp_runs):
    """Resumed from a full file, then from a sharded folder: the losses and
    weights of the uninterrupted run."""
    root, full = fsdp_runs['root'], fsdp_runs['full']
    assert sorted(os.listdir(root / 'sharded' / 'epoch_2.pth')) == [
        'rank0.pth', 'rank1.pth']
    for name, first in (('sharded', 5), ('from_sharded', 9)):
        run = fsdp_runs[name]
        for r in (0, 1):
            assert sorted(run[r]['losses']) == list(range(first, 13))
            for it, loss in run[r]['losses'].items():
                assert loss == pytest.approx(full[r]['losses'][it],
                                             rel=1e-5, abs=1e-6), (name, it)
                assert run[r]['lrs'][it] == full[r]['lrs'][it]  # schedule
    for k, v in full[0]['weights'].items():
        torch.testing.assert_close(
            fsdp_runs['from_sharded'][0]['weights'][k], v, rtol=1e-4,
            atol=1e-6)


def test_full_fsdp_checkpoint_is_one_of_our_formats(fsdp_runs, tmp_path):
    """The consolidated file loads through the safe loader and the
    checkpoint tool converts it like any pre-training checkpoint."""
    from videomae_det.checkpoint.safe_load import load_checkpoint_file
    path = fsdp_runs['root'] / 'full' / 'epoch_3.pth'
    ckpt = load_checkpoint_file(path)
    ddp = fsdp_runs['ddp'][0]['weights']
    assert set(ckpt['state_dict']) >= set(ddp)
    out = tmp_path / 'backbone.pth'
    result = run_python(['tools/convert_checkpoint.py', str(path), str(out),
                         '--to', 'backbone'])
    assert 'format: ours' in result.stdout, result.stdout
    backbone = load_checkpoint_file(out)
    backbone = backbone.get('state_dict', backbone)
    torch.testing.assert_close(backbone['blocks.0.attn.qkv.weight'],
                               ckpt['state_dict'][
                                   'backbone.blocks.0.attn.qkv.weight'])


def test_sharded_checkpoint_needs_its_ranks_and_refuses_code(fsdp_runs,
                                                             tmp_path):
    """A sharded rank file is untrusted input too: a pickle naming any
    other global is refused, naming the file."""
    from videomae_det.checkpoint.safe_load import (
        UnsafeCheckpointError,
        load_checkpoint_file,
    )
    from videomae_det.engine.fsdp import sharded_tensor_globals
    bad = tmp_path / 'rank0.pth'

    class Evil:

        def __reduce__(self):
            return (os.system, ('true',))

    torch.save({'state_dict': {'x': Evil()}}, bad, pickle_protocol=2)
    with torch.serialization.safe_globals(sharded_tensor_globals()):
        with pytest.raises(UnsafeCheckpointError, match='rank0.pth.*system'):
            load_checkpoint_file(bad)


def test_readme_memory_table_is_the_formula():
    """docs/fsdp.md's per-GPU memory table (README quotes ViT-g's row):
    parameters, gradients and AdamW state at 4 + 4 + 8 bytes per
    parameter, divided by 8 under FSDP."""
    from videomae_det.engine.fsdp import memory_table
    doc = (ROOT / 'docs' / 'fsdp.md').read_text()
    table = memory_table()
    assert table in doc, table
    assert '16.19 GB per GPU under DDP, 2.02 GB' in (
        ROOT / 'README.md').read_text()
    rows = re.findall(r'^\| ViT-g .*$', table, re.M)
    assert '16.19' in rows[0] and '2.02' in rows[0]


FSDP_CONFIGS = {'pretrain_vith_k400_fsdp.py': 'pretrain_vith_k400.py',
                'ava_vith_fsdp.py': 'ava_vith.py',
                'pretrain_vitg_hybrid_fsdp.py': None,
                'pretrain_toy_clips_fsdp.py': 'pretrain_toy_clips.py'}


@pytest.mark.parametrize('name', sorted(FSDP_CONFIGS))
def test_fsdp_configs_are_their_recipe_plus_the_strategy(name):
    """Each FSDP config is its DDP recipe (same model, same optimizer
    apart from clipping) plus a FlexibleRunner strategy whose wrap policy
    and mixed precision resolve."""
    from mmengine.config import Config
    from mmengine.registry import FUNCTIONS, STRATEGIES
    from torch.distributed.fsdp import MixedPrecision
    cfg = Config.fromfile(str(ROOT / 'configs' / name))
    assert cfg.runner_type == 'FlexibleRunner'
    strategy = cfg.strategy
    assert STRATEGIES.get(strategy.type).__name__ == 'CheckedFSDPStrategy'
    wrapper = strategy.model_wrapper
    assert wrapper.use_orig_params is True
    assert callable(FUNCTIONS.get(wrapper.auto_wrap_policy))
    if wrapper.mixed_precision:
        MixedPrecision(**{k: getattr(torch, v) if k.endswith('dtype') else v
                          for k, v in wrapper.mixed_precision.items()})
    base = FSDP_CONFIGS[name]
    if base:
        ref = Config.fromfile(str(ROOT / 'configs' / base))
        model = cfg.model.to_dict()
        if name == 'pretrain_toy_clips_fsdp.py':
            assert model['backbone'].pop('with_cp') is True
        assert model == ref.model.to_dict()
        assert cfg.optim_wrapper.optimizer == ref.optim_wrapper.optimizer


def test_vitg_hybrid_config_is_videomae_v2s_recipe_and_runs_a_step():
    """ViT-g (1.01B parameters) at patch 14 with V2's decoder (512 dims, 8
    heads, 4 blocks), tube 90% + decoder masking 50%, lr 6e-4 x videos/256,
    clip 0.02: one training step at a reduced input (4 frames, 28x28)."""
    from mmaction.registry import MODELS
    from mmengine.config import Config
    cfg = Config.fromfile(str(ROOT / 'configs' /
                              'pretrain_vitg_hybrid_fsdp.py'))
    assert cfg.model.data_preprocessor.mask_ratio == 0.9
    assert cfg.model.data_preprocessor.decoder_mask_ratio == 0.5
    assert cfg.optim_wrapper.clip_grad.max_norm == 0.02
    # V2 scales by the videos in the total batch, not the clips
    assert cfg.optim_wrapper.optimizer.lr == pytest.approx(6e-4 * 2048 / 256)
    assert cfg.auto_scale_lr.base_batch_size == 2048
    assert cfg.train_dataloader.dataset.pipeline[0].num_clips == 4
    model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.backbone.parameters()) == \
        pytest.approx(1011.6e6, rel=1e-3)
    assert model.decoder.head.in_features == 512
    assert model.decoder.blocks[0].attn.num_heads == 8
    assert len(model.decoder.blocks) == 4
    clips = [torch.randint(0, 255, (1, 3, 4, 28, 28), dtype=torch.uint8)]
    data = model.data_preprocessor(dict(inputs=clips, data_samples=None),
                                   training=True)
    assert int(data['decode_mask'].sum()) == round(0.5 * int(
        data['mask'].sum()))
    loss = model(**data, mode='loss')['loss']
    loss.backward()
    assert torch.isfinite(loss)


def test_bf16_fsdp_trains_the_toy_detector(toy_ava_root, tmp_path):
    """configs/_base_/fsdp.py's bf16 mixed precision on the AVA toy
    detector, 2 ranks: the backbone in bf16, the RoI extractor and head in
    fp32 (mmcv's RoIAlign has no bf16 kernel), trained and validated."""
    config = tmp_path / 'ava_fsdp.py'
    config.write_text(
        f"_base_ = [{str(ROOT / 'configs/ava_toy_vit-tiny.py')!r}, "
        f"{str(ROOT / 'configs/_base_/fsdp.py')!r}]\n"
        "model = dict(backbone=dict(init_cfg=None))\n"
        "custom_imports = dict(imports=['videomae_det', 'record_run_hook'])\n"
        "custom_hooks = [dict(type='RecordRunHook')]\n")
    result = dist_train(
        config, tmp_path / 'work', '--cfg-options', 'train_cfg.max_epochs=1',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False', cwd=toy_ava_root)
    assert 'mAP/overall' in result.stdout + result.stderr
    weights = torch.load(tmp_path / 'work' / 'final_rank0.pth')
    assert weights['backbone.blocks.0.attn.qkv.weight'].dtype == torch.float32
    # tools/test.py builds the FlexibleRunner too and reads the full file
    tested = dist_tool('dist_test.sh', config, tmp_path / 'work' /
                       'epoch_1.pth', 2, '--work-dir', tmp_path / 'test',
                       cwd=toy_ava_root)
    log = tested.stdout + tested.stderr
    assert 'FlexibleRunner' in log or 'FSDP' in log
    assert re.search(r'mAP/overall: \d', log)
