"""Reliability: atomic checkpoints, exact resume after SIGKILL, non-finite
losses."""
import os

import pytest
import torch

import videomae_det  # noqa: F401
from conftest import (
    ROOT,
    kill_when,
    run_python,
    scalar_losses,
    toy_cls_options,
)
from videomae_det.checkpoint import load_checkpoint_file

CONFIG = str(ROOT / 'configs' / 'cls_toy-motions_vit-tiny_scratch.py')


def test_checkpoint_writes_are_atomic(tmp_path, monkeypatch):
    import mmengine.runner.runner as runner

    from videomae_det.engine import reliability
    assert runner.save_checkpoint is reliability.atomic_save_checkpoint
    path = str(tmp_path / 'epoch_1.pth')
    runner.save_checkpoint({'state_dict': {'w': torch.ones(3)}}, path)

    def crash(fd):  # the machine dies while the bytes reach the disk
        raise KeyboardInterrupt
    monkeypatch.setattr(os, 'fsync', crash)
    with pytest.raises(KeyboardInterrupt):
        runner.save_checkpoint({'state_dict': {'w': torch.zeros(3)}}, path)
    # the previous checkpoint is intact, no temporary file is left
    assert torch.equal(load_checkpoint_file(path)['state_dict']['w'],
                       torch.ones(3))
    assert os.listdir(tmp_path) == ['epoch_1.pth']


@pytest.fixture(scope='module')
def toy_cls(tmp_path_factory):
    data = tmp_path_factory.mktemp('toy_cls')
    run_python([str(ROOT / 'tools/data/make_toy_cls.py'), str(data),
                '--per-class', '4'])
    return data


def test_sigkill_mid_epoch_then_resume_equals_an_uninterrupted_run(
        toy_cls, tmp_path):
    opts = toy_cls_options(toy_cls, epochs=3) + [
        'train_dataloader.batch_size=2', 'train_cfg.val_interval=100',
        'log_processor.window_size=1', 'default_hooks.logger.interval=1',
        'default_hooks.checkpoint.interval=1']
    full, killed = tmp_path / 'full', tmp_path / 'killed'
    run_python(['tools/train.py', CONFIG, '--work-dir', str(full), *opts],
               env=dict(OMP_NUM_THREADS='1'))
    kill_when(['tools/train.py', CONFIG, '--work-dir', str(killed), *opts],
              'Epoch(train) [2][4/8]', env=dict(OMP_NUM_THREADS='1'))
    assert (killed / 'epoch_1.pth').exists()
    assert not (killed / 'epoch_2.pth').exists()
    run_python(['tools/train.py', CONFIG, '--work-dir', str(killed),
                '--resume', *opts], env=dict(OMP_NUM_THREADS='1'))
    a = load_checkpoint_file(full / 'epoch_3.pth')['state_dict']
    b = load_checkpoint_file(killed / 'epoch_3.pth')['state_dict']
    for k in a:
        assert torch.equal(a[k], b[k]), k
    la, lb = scalar_losses(full), scalar_losses(killed)
    assert len(la) == 24 and set(lb) == set(la)
    assert la == lb


def test_non_finite_loss_stops_with_the_iteration_or_is_skipped(
        toy_cls, tmp_path):
    opts = toy_cls_options(toy_cls, epochs=2) + [
        'train_dataloader.batch_size=4', 'train_cfg.val_interval=100',
        'default_hooks.logger.interval=1',
        'default_hooks.checkpoint.interval=1']
    config = str(ROOT / 'tests' / 'helpers' / 'nan_loss_config.py')
    work = tmp_path / 'stop'
    result = run_python(['tools/train.py', config, '--work-dir', str(work),
                         *opts], check=False,
                        env=dict(PYTHONPATH=f'{ROOT}:{ROOT / "tests"}'))
    assert result.returncode != 0
    assert 'non-finite loss nan at iteration 6 (epoch 2)' in result.stderr
    assert (work / 'epoch_1.pth').exists()  # the last good checkpoint
    assert torch.isfinite(load_checkpoint_file(work / 'epoch_1.pth')[
        'state_dict']['cls_head.fc_cls.weight']).all()
    work = tmp_path / 'skip'
    result = run_python(['tools/train.py', config, '--work-dir', str(work),
                         *opts, 'custom_hooks.1.action=skip'],
                        env=dict(PYTHONPATH=f'{ROOT}:{ROOT / "tests"}'))
    assert 'step skipped (1 so far)' in result.stdout + result.stderr
    weights = load_checkpoint_file(work / 'epoch_2.pth')['state_dict']
    assert all(torch.isfinite(v).all() for v in weights.values())


def test_a_config_key_that_does_not_exist_is_named():
    result = run_python(['tools/train.py', CONFIG, '--cfg-options',
                         'trian_cfg.max_epochs=3'], check=False)
    assert result.returncode != 0
    assert "'trian_cfg' is not in" in result.stderr
    result = run_python(['tools/train.py', CONFIG, '--cfg-options',
                         'model.bakbone.arch=small'], check=False)
    assert "'model.bakbone' is not in" in result.stderr
