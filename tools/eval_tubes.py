"""Frame-mAP and video-mAP against the tubes of UCF101-24, JHMDB-21 or
MultiSports (the ACT annotation pickle), by the official rules of each.

    python tools/eval_tubes.py GT.pkl DETS.pkl --protocol ucf-jhmdb \
        [--split 0] [--tubes TUBES.pkl] [--json out.json] [--plot ap.png]

DETS: per-frame detections, an (N, 8) array pickle or a CSV of
video_index,frame,label,score,x1,y1,x2,y2 (video index into the split's
test_videos, frames 1-based, labels 0-based, pixels). TUBES: {label:
[(video, score, (T, 6) tube)]}. Protocols: ucf-jhmdb (ACT/MOC:
UCF101-24, JHMDB-21), multisports (MultiSports, as mmaction2 ports it).
Exit 1 with one line naming file and row for bad input. Imports numpy
only.
"""
import argparse
import json
import sys

from videomae_det_core.errors import exit_code
from videomae_det_core.tubes import PROTOCOLS
from videomae_det_core.tubes.evaluate import evaluate, plot
from videomae_det_core.tubes.io import (
    exists,
    read_frame_detections,
    read_ground_truth,
    read_tubes,
    split_videos,
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split('\n\n', 2)[2])
    parser.add_argument('gt', help='ACT annotation pickle')
    parser.add_argument('dets', help='frame detections (.pkl or .csv)')
    parser.add_argument('--protocol', required=True, choices=PROTOCOLS)
    parser.add_argument('--split', type=int, default=0,
                        help='test split, 0-based (JHMDB has 3)')
    parser.add_argument('--tubes', help='scored tubes for video-mAP')
    parser.add_argument('--json', help='write the results here')
    parser.add_argument('--plot', help='per-class AP chart (.png)')
    return parser.parse_args()


def show(value) -> str:
    return '   -  ' if value is None else f'{100 * value:6.2f}'


def run(args: argparse.Namespace) -> None:
    gt = read_ground_truth(exists(args.gt))
    videos = split_videos(gt, args.split, args.gt)
    dets = read_frame_detections(exists(args.dets), gt, videos)
    tubes = read_tubes(exists(args.tubes), gt['labels']) if args.tubes \
        else None
    res = evaluate(gt, videos, dets, args.protocol, tubes)
    levels = list(res.get('video_AP', {}))
    print(f'{"class":30s} frame-AP' + ''.join(f' vAP@{k:5s}'
                                              for k in levels))
    for label in gt['labels']:
        print(f'{label[:30]:30s} {show(res["frame_AP"][label])}  ' +
              ''.join(f'  {show(res["video_AP"][k][label])}   '
                      for k in levels))
    print(f'frame-mAP@0.5 ({args.protocol}): {show(res["frame_mAP"])}')
    for key, value in res.get('video_mAP', {}).items():
        print(f'video-mAP@{key}: {show(value)}')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(res, f, indent=1)
    if args.plot:
        plot(res, args.plot)


def main() -> int:
    return exit_code(run, parse_args())


if __name__ == '__main__':
    sys.exit(main())
