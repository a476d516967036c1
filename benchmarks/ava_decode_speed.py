"""AVA clip loading speed: extracted JPEG frames (mmaction2's
``RawFrameDecode``) against decoding the video (``AVAVideoDecode``).

    python benchmarks/ava_decode_speed.py DATA_ROOT [--reps 3]

DATA_ROOT is an AVA-layout folder with ``rawframes/``, ``videos/`` and
``annotations/`` (e.g. ``tools/data/make_toy_ava.py``'s output); the val
keyframes are loaded with the val pipeline's sampling (16 frames at stride
4), one process, one decoder thread. Also prints the mean absolute pixel
difference between the two modes. Last line:
``video_vs_frames=<clips/s ratio>``.
"""
import argparse
import copy
import glob
import os.path as osp
import time

import cv2
import numpy as np
from mmengine.dataset import Compose

import videomae_det  # noqa: F401

# isort: split
from mmaction.registry import DATASETS
from mmaction.utils import register_all_modules


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('data_root')
    parser.add_argument('--reps', type=int, default=3)
    parser.add_argument('--clip-len', type=int, default=16)
    parser.add_argument('--interval', type=int, default=4)
    args = parser.parse_args()
    register_all_modules()
    cv2.setNumThreads(1)
    anno = osp.join(args.data_root, 'annotations')
    pick = lambda pattern: glob.glob(osp.join(anno, pattern))[0]  # noqa
    dataset = DATASETS.build(dict(
        type='AVADataset', ann_file=pick('*val*.csv').replace(
            '_excluded_timestamps', ''),
        label_file=pick('*.pbtxt'), proposal_file=pick('*val*.pkl'),
        data_prefix=dict(img=osp.join(args.data_root, 'rawframes')),
        pipeline=[], timestamp_start=900, timestamp_end=910, fps=30,
        num_classes=6, test_mode=True))
    sample = Compose([dict(type='SampleAVAFrames', clip_len=args.clip_len,
                           frame_interval=args.interval, test_mode=True)])
    infos = [sample(dataset.get_data_info(i)) for i in range(len(dataset))]
    modes = {'frames': Compose([dict(type='RawFrameDecode')]),
             'video': Compose([dict(type='AVAVideoDecode')])}
    rate, out = {}, {}
    for name, pipeline in modes.items():
        start = time.perf_counter()
        for _ in range(args.reps):
            for info in infos:
                info = copy.deepcopy(info)
                if name == 'video':
                    info['frame_dir'] = info['frame_dir'].replace(
                        'rawframes', 'videos')
                out[name] = pipeline(info)['imgs']
        rate[name] = args.reps * len(infos) / (time.perf_counter() - start)
    diff = np.abs(np.stack(out['frames']).astype(float) -
                  np.stack(out['video']).astype(float)).mean()
    h, w = out['video'][0].shape[:2]
    print(f'{len(infos)} keyframes, {w}x{h}, {args.clip_len}x'
          f'{args.interval} clips: frames {rate["frames"]:.1f} clips/s, '
          f'video {rate["video"]:.1f} clips/s; mean |frames - video| '
          f'{diff:.2f} (8-bit levels)')
    print(f'video_vs_frames={rate["video"] / rate["frames"]:.2f}')


if __name__ == '__main__':
    main()
