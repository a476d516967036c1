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
