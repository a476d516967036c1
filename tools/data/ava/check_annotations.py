"""Check AVA annotations, proposals and videos/frames against each other.

    python tools/data/ava/check_annotations.py --ann ava_val_v2.2.csv \
        [--labels LABELS.pbtxt] [--proposals PROPOSALS.pkl] \
        [--frames DIR | --videos DIR] [--start 902 --end 1798]

Reports, without stopping at the first: rows that do not parse (file and
line), keyframes outside the timestamp range, videos without a frame folder
or video file, keyframes without proposals, proposals of the wrong
structure, action ids outside the label map. Exits 1 if anything is wrong.
Works offline; shows progress.
"""
import argparse
import os
import os.path as osp
import sys
from collections import Counter

from videomae_det_core.ava import AVAFormatError, read_label_map
from videomae_det_core.ava.io import check_row, image_key, read_rows
from videomae_det_core.progress import ProgressBar
from videomae_det_core.proposals import load_plain, read_proposals
from videomae_det_core.video_files import VIDEO_EXTENSIONS


def find_video(video: str, args) -> str:
    """``'ok'``, ``'frames'`` (a frame folder where a video file was
    asked for) or ``'missing'``."""
    if args.frames:
        return 'ok' if osp.isdir(osp.join(args.frames, video)) else 'missing'
    if any(osp.isfile(osp.join(args.videos, video + ext))
           for ext in VIDEO_EXTENSIONS):
        return 'ok'
    return 'frames' if osp.isdir(osp.join(args.videos, video)) else 'missing'


def check(args) -> list:
    problems = []
    rows = []
    for lineno, row in read_rows(args.ann):
        try:
            check_row(row, args.ann, lineno)
            rows.append(row)
        except AVAFormatError as err:
            problems.append(str(err))
    stamps = Counter(int(r[1]) for r in rows
                     if not args.start <= int(r[1]) <= args.end)
    if stamps:
        problems.append(f'{sum(stamps.values())} rows have timestamps '
                        f'outside {args.start}-{args.end}: '
                        f'{sorted(stamps)[:10]}')
    if args.labels:
        try:
            _, ids = read_label_map(args.labels)
        except AVAFormatError as err:
            problems.append(str(err))
            ids = None
    if args.labels and ids is not None:
        unknown = Counter(int(r[6]) for r in rows if int(r[6]) not in ids)
        if unknown:
            problems.append(f'action ids not in {args.labels} (ignored by '
                            f'the evaluator): {dict(unknown)}')
    videos = sorted({r[0] for r in rows})
    if args.frames or args.videos:
        # a bar on a terminal; a log gets no carriage-return flood
        bar = ProgressBar(len(videos)) if sys.stdout.isatty() else None
        found = {'ok': [], 'frames': [], 'missing': []}
        for video in videos:
            found[find_video(video, args)].append(video)
            if bar:
                bar.update()
        if bar:
            print()
        where = args.frames or args.videos
        problems += [f'video {v} has no '
                     f'{"frame folder" if args.frames else "file"} in '
                     f'{where}' for v in found['missing']]
        if found['frames']:
            problems.append(
                f'{len(found["frames"])} of {len(videos)} videos have frame '
                f'folders in {where}, not video files: for extracted '
                f'frames use --frames {where}')
    if args.proposals:
        try:
            proposals = read_proposals(args.proposals)
        except AVAFormatError as err:
            problems.append(str(err))
            try:  # still list the keyframes without proposals
                proposals = load_plain(args.proposals)
            except AVAFormatError:
                proposals = None
        if isinstance(proposals, dict):
            keys = {image_key(r[0], r[1]) for r in rows}
            missing = sorted(keys - set(proposals))
            if missing:
                problems.append(f'{len(missing)} keyframes have no '
                                f'proposals, e.g. {missing[:5]}')
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--ann', required=True)
    parser.add_argument('--labels')
    parser.add_argument('--proposals')
    group = parser.add_mutually_exclusive_group()
    group.add_argument('--frames', help='folder of <video>/img_*.jpg')
    group.add_argument('--videos', help='folder of <video>.mp4')
    parser.add_argument('--start', type=int, default=902)
    parser.add_argument('--end', type=int, default=1798)
    args = parser.parse_args()
    for path in (args.ann, args.labels, args.proposals):
        if path and not os.path.isfile(path):
            print(f'error: not found: {path}', file=sys.stderr)
            return 2
    problems = check(args)
    for p in problems:
        print(f'- {p}')
    print('OK' if not problems else f'{len(problems)} problem(s)')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
