"""Every checkpoint load path refuses a pickle that would run code."""
import os

import pytest
import torch
from safetensors.torch import save_file

import videomae_det  # noqa: F401
from conftest import ROOT, data_options, run_python
from videomae_det.checkpoint import UnsafeCheckpointError, load_checkpoint_file


class _RunsCode:
    """Unpickling this creates a marker file (stands in for any payload)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.makedirs, (self.marker, ))


def write_evil(path, marker, legacy=False):
    ckpt = {'state_dict': {'w': torch.zeros(2)}, 'meta': _RunsCode(marker)}
    torch.save(ckpt, path, _use_new_zipfile_serialization=not legacy)


@pytest.mark.parametrize('legacy', [False, True])
def test_safe_loader_refuses_code_and_names_file_and_global(tmp_path, legacy):
    evil, marker = tmp_path / 'evil.pth', tmp_path / 'ran'
    write_evil(evil, marker, legacy)
    with pytest.raises(UnsafeCheckpointError) as err:
        load_checkpoint_file(evil)
    assert str(evil) in str(err.value)
    assert 'os.makedirs' in str(err.value)
    assert not marker.exists()


def test_mmengine_load_checkpoint_refuses_code(tmp_path):
    """init_cfg=Pretrained and load_from go through mmengine's
    load_checkpoint, which now dispatches to the safe loader."""
    from mmengine.runner import load_checkpoint
    evil, marker = tmp_path / 'evil.pth', tmp_path / 'ran'
    write_evil(evil, marker)
    with pytest.raises(UnsafeCheckpointError, match='evil.pth'):
        load_checkpoint(torch.nn.Linear(2, 2), str(evil))
    from mmaction.registry import MODELS
    model = MODELS.build(dict(
        type='VideoMAE', arch=dict(embed_dims=32, num_layers=1, num_heads=2),
        init_cfg=dict(type='Pretrained', checkpoint=str(evil))))
    with pytest.raises(UnsafeCheckpointError, match='os.makedirs'):
        model.init_weights()
    assert not marker.exists()


def test_train_resume_refuses_code(tmp_path, ann_file):
    evil, marker = tmp_path / 'evil.pth', tmp_path / 'ran'
    write_evil(evil, marker)
    result = run_python([
        'tools/train.py',
        str(ROOT / 'configs' / 'cls_sample-clips_vit-tiny.py'),
        '--work-dir', str(tmp_path / 'wd'), '--resume', str(evil),
        '--cfg-options', *data_options(ann_file)
    ], check=False)
    assert result.returncode == 1  # a bad input: one line, no traceback
    assert 'error: ' in result.stderr and 'refused to load' in result.stderr
    assert 'Traceback' not in result.stderr
    assert f'{evil}: refused to load' in result.stderr
    assert not marker.exists()


def test_plain_pickle_getattr_gadget_is_refused(tmp_path):
    """The one allowed getattr serves mmengine's HistoryBuffer only."""
    path = tmp_path / 'gadget.pth'

    class Gadget:
        def __reduce__(self):
            return (getattr, (torch.nn.Linear, '__init__'))

    torch.save({'x': Gadget()}, path)
    with pytest.raises(UnsafeCheckpointError, match='getattr'):
        load_checkpoint_file(path)


def test_runner_checkpoint_with_numpy_and_history_buffer_loads(tmp_path):
    import numpy as np
    from mmengine.logging import HistoryBuffer, MessageHub
    hub = MessageHub.get_instance('safe_load_test')
    hub.update_scalar('train/loss', 0.5)
    hub.update_info('seed', np.int64(3))
    ckpt = {'meta': {'epoch': 1, 'arr': np.arange(3.0)},
            'message_hub': hub.state_dict(),
            'state_dict': {'w': torch.ones(2)}}
    torch.save(ckpt, tmp_path / 'ok.pth')
    loaded = load_checkpoint_file(tmp_path / 'ok.pth')
    buffer = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    assert buffer.mean() == 0.5
    np.testing.assert_array_equal(loaded['meta']['arr'], np.arange(3.0))
    # mmengine's own loaders use torch.load's default (weights_only=True)
    assert torch.load(tmp_path / 'ok.pth')['meta']['epoch'] == 1


def test_safetensors_loads_without_pickle(tmp_path):
    save_file({'w': torch.arange(4.0)}, tmp_path / 'w.safetensors')
    loaded = load_checkpoint_file(tmp_path / 'w.safetensors')
    torch.testing.assert_close(loaded['w'], torch.arange(4.0))


def test_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        load_checkpoint_file(tmp_path / 'nope.pth')


def test_no_load_path_unpickles_unrestricted():
    """No file of the package or tools turns weights-only loading off."""
    needle = 'weights_only=' + 'False'
    for path in [*(ROOT / 'videomae_det').rglob('*.py'),
                 *(ROOT / 'tools').rglob('*.py')]:
        assert needle not in path.read_text().replace(' ', ''), path


@pytest.mark.parametrize('tool', ['convert', 'test', 'demo_backbone',
                                  'demo_video'])
def test_converter_test_tool_and_demos_refuse_code(tmp_path, tool, ann_file):
    evil, marker = tmp_path / 'evil.pth', tmp_path / 'ran'
    write_evil(evil, marker)
    args = {
        'convert': ['tools/convert_checkpoint.py', str(evil),
                    str(tmp_path / 'out.pth')],
        'test': ['tools/test.py',
                 str(ROOT / 'configs' / 'cls_sample-clips_vit-tiny.py'),
                 str(evil),
                 '--cfg-options', *data_options(ann_file)],
        'demo_backbone': ['tools/demo_backbone.py', '--arch', 'small',
                          '--checkpoint', str(evil)],
        'demo_video': ['tools/demo_video.py', 'no_video.mp4',
                       str(ROOT / 'configs' / 'ava_toy_vit-tiny.py'),
                       str(evil), '--boxes', 'none.csv'],
    }[tool]
    result = run_python(args, check=False)
    assert result.returncode != 0
    assert f'{evil}: refused to load' in result.stderr + result.stdout
    assert not marker.exists()
