"""Extract AVA frames from videos: ``OUT/<video>/img_%05d.jpg`` at 30 fps.

    python tools/data/ava/extract_frames.py VIDEO_DIR OUT_DIR \
        [--fps 30] [--start 900 --end 1800] [--short-side 0]

Frames are taken by time (frame k is at ``start + (k - 1) / fps``
seconds of the segment), as mmaction2's AVA reader expects; works offline
with decord. ``--start/--end`` select a time range of whole movies; leave
them out for videos already cut to the 15-minute segments.
``OUT_DIR/frames.json`` records the rate and each video's frame count; the
AVA dataset checks its ``fps`` against it.
"""
import argparse
import json
import os
import os.path as osp

import cv2
import decord
import numpy as np

from videomae_det_core.progress import ProgressBar
from videomae_det_core.video_files import is_video


def extract(path: str, out_dir: str, fps: float, start: float,
            end: float, short_side: int) -> int:
    reader = decord.VideoReader(path, num_threads=1)
    native = reader.get_avg_fps()
    end = end if end else len(reader) / native + start
    times = np.arange(0, end - start, 1 / fps)
    idx = np.round((times + start) * native).astype(int)
    idx = idx[idx < len(reader)]
    os.makedirs(out_dir, exist_ok=True)
    number = 0
    for chunk in np.array_split(idx, max(1, len(idx) // 64)):  # bounded RAM
        for frame in reader.get_batch(chunk.tolist()).asnumpy():
            number += 1
            if short_side:
                h, w = frame.shape[:2]
                s = short_side / min(h, w)
                frame = cv2.resize(frame, (round(w * s), round(h * s)),
                                   interpolation=cv2.INTER_AREA)
            cv2.imwrite(osp.join(out_dir, f'img_{number:05d}.jpg'),
                        frame[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 95])
    return number


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('video_dir')
    parser.add_argument('out_dir')
    parser.add_argument('--fps', type=float, default=30)
    parser.add_argument('--start', type=float, default=0,
                        help='segment start within the video, seconds')
    parser.add_argument('--end', type=float, default=0,
                        help='segment end, seconds (0: end of video)')
    parser.add_argument('--short-side', type=int, default=0,
                        help='resize frames to this short side (0: keep)')
    args = parser.parse_args()
    videos = sorted(f for f in os.listdir(args.video_dir)
                    if is_video(f))
    if not videos:
        raise SystemExit(f'error: no videos in {args.video_dir}')
    meta_path = osp.join(args.out_dir, 'frames.json')
    meta = dict(fps=args.fps, videos={})
    if osp.isfile(meta_path):  # a second run into the same folder
        with open(meta_path) as f:
            meta = json.load(f)
        if meta.get('fps') != args.fps:
            raise SystemExit(f'error: {meta_path}: frames there were '
                             f'extracted at {meta.get("fps")} fps, not '
                             f'--fps {args.fps:g}; use another OUT_DIR')
    bar = ProgressBar(len(videos))
    total = 0
    for name in videos:
        video = osp.splitext(name)[0]
        count = extract(osp.join(args.video_dir, name),
                        osp.join(args.out_dir, video), args.fps, args.start,
                        args.end, args.short_side)
        total += count
        meta['videos'][video] = count
        os.makedirs(args.out_dir, exist_ok=True)
        with open(meta_path, 'w') as f:  # as it goes: a killed run keeps it
            json.dump(meta, f, indent=1)
        bar.update()
    print(f'\n{total} frames from {len(videos)} videos in {args.out_dir}')


if __name__ == '__main__':
    main()
