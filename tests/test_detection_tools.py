"""The toy AVA detector through the tools: bf16 autocast, weights that do
not fit, resuming (exactly, with loader workers)."""

import pytest
import torch

from conftest import ROOT, kill_when, run_python, scalar_losses
from videomae_det.checkpoint import load_checkpoint_file

CONFIG = str(ROOT / 'configs' / 'ava_toy_vit-tiny.py')
SCRATCH = 'model.backbone.init_cfg=None'


def train(root, work, *extra, options=(), check=True, env=None):
    return run_python([str(ROOT / 'tools/train.py'), CONFIG, '--work-dir',
                       str(work), *extra, '--cfg-options', SCRATCH,
                       *options], cwd=root, check=check, env=env)


def run_test(root, checkpoint, *extra, check=True):
    return run_python([str(ROOT / 'tools/test.py'), CONFIG, str(checkpoint),
                       '--work-dir', str(root / 'test'), *extra],
                      cwd=root, check=check)


def log_of(result):
    return result.stdout + result.stderr


@pytest.fixture(scope='module')
def trained(toy_ava_root):
    """One epoch of the toy detector (fp32), its checkpoint."""
    train(toy_ava_root, toy_ava_root / 'fp32', '--no-validate',
          options=['train_cfg.max_epochs=1',
                   'default_hooks.checkpoint.interval=1'])
    return toy_ava_root / 'fp32' / 'epoch_1.pth'


def test_amp_trains_and_tests_the_detector_in_bf16(toy_ava_root, trained):
    """mmcv's CPU RoIAlign has no bf16 kernel: the RoI extractor reads the
    bf16 feature map in float32."""
    result = train(toy_ava_root, toy_ava_root / 'amp', '--amp',
                   options=['train_cfg.max_epochs=1',
                            'train_cfg.val_interval=1'])
    log = log_of(result)
    assert "type='CPUAmpOptimWrapper'" in log
    assert 'mAP/overall' in log  # validation ran in bf16 too
    result = run_test(toy_ava_root, trained, '--amp')
    assert 'mAP/overall' in log_of(result)


def test_amp_runs_backbone_in_bf16_and_roi_extraction_in_fp32():
    from mmaction.registry import MODELS
    from mmaction.structures import ActionDataSample
    from mmaction.utils import register_all_modules
    from mmengine.config import Config
    from mmengine.structures import InstanceData

    from videomae_det.engine.precision import keep_fp32
    register_all_modules()
    cfg = Config.fromfile(CONFIG)
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model).eval()
    keep_fp32(model)
    dtypes = {}
    for name in ('backbone', 'roi_head.bbox_roi_extractor',
                 'roi_head.bbox_head'):
        model.get_submodule(name).register_forward_hook(
            lambda m, a, out, name=name: dtypes.__setitem__(
                name, (out[0] if isinstance(out, tuple) else out).dtype))
    sample = ActionDataSample()
    sample.set_metainfo(dict(img_shape=(96, 96)))
    sample.proposals = InstanceData(bboxes=torch.tensor([[8., 8., 60., 90.]]))
    data = dict(inputs=[torch.randint(0, 255, (3, 8, 96, 96),
                                      dtype=torch.uint8)],
                data_samples=[sample])
    with torch.no_grad():
        fp32 = model.test_step(data)[0].pred_instances.scores
        with torch.autocast('cpu', dtype=torch.bfloat16):
            bf16 = model.test_step(data)[0].pred_instances.scores
    assert dtypes == {'backbone': torch.bfloat16,
                      'roi_head.bbox_roi_extractor': torch.float32,
                      'roi_head.bbox_head': torch.float32}
    assert bf16.dtype == torch.float32
    assert (bf16 - fp32).abs().max() < 0.05


def mismatched(trained, tmp_path, classes=9):
    """The trained checkpoint with a head of ``classes`` score columns."""
    checkpoint = load_checkpoint_file(trained)
    sd = checkpoint['state_dict']
    sd['roi_head.bbox_head.fc_cls.weight'] = torch.zeros(classes, 96)
    sd['roi_head.bbox_head.fc_cls.bias'] = torch.zeros(classes)
    path = tmp_path / f'head{classes}.pth'
    torch.save(checkpoint, path)
    return path


def test_a_checkpoint_that_does_not_fit_is_refused(toy_ava_root, trained,
                                                   tmp_path):
    path = mismatched(trained, tmp_path)
    result = run_test(toy_ava_root, path, check=False)
    assert result.returncode == 1, log_of(result)[-3000:]
    assert 'Traceback' not in result.stderr
    assert 'roi_head.bbox_head.fc_cls.weight: checkpoint (9, 96), model ' \
        '(6, 96)' in result.stderr
    assert '--allow-partial' in result.stderr
    assert 'mAP/overall' not in log_of(result)
    # on purpose: loads what fits and says what stays random
    result = run_test(toy_ava_root, path, '--allow-partial')
    log = log_of(result)
    assert 'stay randomly initialised' in log and 'mAP/overall' in log
    # a missing backbone tensor is refused too
    checkpoint = load_checkpoint_file(trained)
    del checkpoint['state_dict']['backbone.blocks.0.mlp.fc1.weight']
    torch.save(checkpoint, tmp_path / 'missing.pth')
    result = run_test(toy_ava_root, tmp_path / 'missing.pth', check=False)
    assert result.returncode == 1
    assert 'missing from the checkpoint (1): backbone.blocks.0.mlp.fc1.' \
        'weight' in result.stderr


def test_load_from_accepts_only_a_new_classifier_and_says_so(
        toy_ava_root, trained, tmp_path):
    """Fine-tuning from a checkpoint of another class count: the head
    starts random, with a warning; any other mismatch is an error."""
    path = mismatched(trained, tmp_path)
    work = tmp_path / 'finetune'
    result = train(toy_ava_root, work, '--no-validate',
                   options=['train_cfg.max_epochs=1', f'load_from={path}'])
    log = log_of(result)
    assert 'another class count' in log and 'fc_cls.weight: checkpoint ' \
        '(9, 96), model (6, 96)' in log
    # --resume PATH is a resume, not a fine-tuning: exact only
    result = train(toy_ava_root, tmp_path / 'resume', '--resume', str(path),
                   options=['train_cfg.max_epochs=1'], check=False)
    assert result.returncode == 1 and 'does not fit' in result.stderr
    checkpoint = load_checkpoint_file(trained)
    checkpoint['state_dict']['backbone.extra'] = torch.zeros(1)
    torch.save(checkpoint, tmp_path / 'extra.pth')
    result = train(toy_ava_root, tmp_path / 'extra', '--no-validate',
                   options=['train_cfg.max_epochs=1',
                            f'load_from={tmp_path / "extra.pth"}'],
                   check=False)
    assert result.returncode == 1
    assert 'unexpected (not in the model) (1): backbone.extra' in \
        result.stderr


def test_resume_on_an_empty_work_dir_starts_fresh(toy_ava_root, tmp_path):
    result = train(toy_ava_root, tmp_path / 'fresh', '--no-validate',
                   '--resume', options=['train_cfg.max_epochs=1'])
    log = log_of(result)
    assert 'no checkpoint in' in log and 'training starts fresh' in log
    assert 'latest checkpoint None' not in log


def test_sigkill_then_resume_is_exact_with_two_loader_workers(
        toy_ava_root, tmp_path):
    """Augmentation draws come from (seed, epoch, sample), not from worker
    state that dies with the process."""
    opts = ['train_cfg.max_epochs=3', 'train_dataloader.num_workers=2',
            'train_dataloader.persistent_workers=True',
            'train_dataloader.batch_size=2', 'log_processor.window_size=1',
            'default_hooks.logger.interval=1',
            'default_hooks.checkpoint.interval=1']
    env = dict(OMP_NUM_THREADS='1')
    full, killed = tmp_path / 'full', tmp_path / 'killed'
    train(toy_ava_root, full, '--no-validate', options=opts, env=env)
    kill_when([str(ROOT / 'tools/train.py'), CONFIG, '--work-dir',
               str(killed), '--no-validate', '--cfg-options', SCRATCH,
               *opts], 'Epoch(train) [2][4/', cwd=toy_ava_root, env=env)
    assert not (killed / 'epoch_2.pth').exists()
    train(toy_ava_root, killed, '--no-validate', '--resume', options=opts,
          env=env)
    a = load_checkpoint_file(full / 'epoch_3.pth')['state_dict']
    b = load_checkpoint_file(killed / 'epoch_3.pth')['state_dict']
    for k in a:
        assert torch.equal(a[k], b[k]), k
    la, lb = scalar_losses(full), scalar_losses(killed)
    assert set(lb) == set(la) and la == lb
