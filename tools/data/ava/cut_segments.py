"""Cut AVA's 15-minute segments (seconds 900-1800) out of the movies.

    python tools/data/ava/cut_segments.py MOVIE_DIR OUT_DIR \
        [--start 900 --end 1800]

With an ``ffmpeg`` binary on the PATH the streams are copied (no quality
loss, as mmaction2's cut script); without one the segment is decoded with
decord and re-encoded with OpenCV (mp4v), so the step works offline on any
machine. Shows progress; videos already cut are skipped.
"""
import argparse
import os
import os.path as osp
import shutil
import subprocess

import cv2
import decord

from videomae_det_core.progress import ProgressBar
from videomae_det_core.video_files import is_video


def cut(src: str, dst: str, start: float, end: float) -> None:
    if shutil.which('ffmpeg'):
        subprocess.run(['ffmpeg', '-loglevel', 'error', '-y', '-ss',
                        str(start), '-t', str(end - start), '-i', src,
                        '-c', 'copy', dst], check=True)
        return
    reader = decord.VideoReader(src, num_threads=1)
    fps = reader.get_avg_fps()
    first, last = round(start * fps), min(round(end * fps), len(reader))
    if first >= last:
        raise ValueError(f'{src}: {len(reader) / fps:.1f} s long, no frames '
                         f'in {start}-{end} s')
    h, w = reader[0].shape[:2]
    writer = cv2.VideoWriter(dst, cv2.VideoWriter_fourcc(*'mp4v'), fps,
                             (w, h))
    for i in range(first, last, 64):
        batch = reader.get_batch(list(range(i, min(i + 64, last))))
        for frame in batch.asnumpy():
            writer.write(frame[:, :, ::-1])
    writer.release()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('movie_dir')
    parser.add_argument('out_dir')
    parser.add_argument('--start', type=float, default=900)
    parser.add_argument('--end', type=float, default=1800)
    args = parser.parse_args()
    movies = sorted(f for f in os.listdir(args.movie_dir)
                    if is_video(f))
    if not movies:
        raise SystemExit(f'error: no videos in {args.movie_dir}')
    os.makedirs(args.out_dir, exist_ok=True)
    bar = ProgressBar(len(movies))
    for name in movies:
        dst = osp.join(args.out_dir, osp.splitext(name)[0] + '.mp4')
        if not osp.exists(dst):
            cut(osp.join(args.movie_dir, name), dst, args.start, args.end)
        bar.update()
    print(f'\n{len(movies)} segments in {args.out_dir}')


if __name__ == '__main__':
    main()
