"""Frame-mAP and video-mAP against the tubes of UCF101-24, JHMDB-21 or
MultiSports (the ACT annotation pickle), by the official rules of each.

    python tools/eval_tubes.py GT.pkl DETS.pkl --protocol ucf-jhmdb \
        [--split 0] [--tubes TUBES.pkl | --link] [--save-tubes OUT.pkl] \
        [--json out.json] [--plot ap.png]

DETS: per-frame detections, an (N, 8) array pickle or a CSV of
video_index,frame,label,score,x1,y1,x2,y2 (video index into the split's
test_videos, frames 1-based, labels 0-based, pixels). TUBES: {label:
[(video, score, (T, 6) tube)]}; --link builds them from DETS (MOC's
BuildTubes on K=1 frames). Protocols: ucf-jhmdb (ACT/MOC: UCF101-24,
JHMDB-21), multisports (MultiSports, as mmaction2 ports it).
Exit 1 with one line naming file and row for bad input. Imports numpy
only.
"""
import argparse
import json
import pickle
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
from videomae_det_core.tubes.link import link_tubes


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
    tubes = parser.add_mutually_exclusive_group()
    tubes.add_argument('--tubes', help='scored tubes for video-mAP')
    tubes.add_argument('--link', action='store_true',
                       help='link DETS into tubes for video-mAP')
    parser.add_argument('--save-tubes', help='write the linked tubes here')
    parser.add_argument('--json', help='write the results here')
    parser.add_argument('--plot', help='per-class AP chart (.png)')
    args = parser.parse_args()
    if args.save_tubes and not args.link:
        parser.error('--save-tubes needs --link')
    return args


def show(value) -> str:
    return '   -  ' if value is None else f'{100 * value:6.2f}'


def run(args: argparse.Namespace) -> None:
    gt = read_ground_truth(exists(args.gt))
    videos = split_videos(gt, args.split, args.gt)
    dets = read_frame_detections(exists(args.dets), gt, videos)
    tubes = None
    if args.tubes:
        tubes = read_tubes(exists(args.tubes), gt['labels'])
    elif args.link:
        tubes = link_tubes(dets, videos, gt['nframes'], len(gt['labels']),
                           args.protocol)
        if args.save_tubes:
            with open(args.save_tubes, 'wb') as f:
                pickle.dump(tubes, f)
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
    ties = [('frame-mAP', res['frame_mAP_tie_range'])] + [
        (f'video-mAP@{k}', v)
        for k, v in res.get('video_mAP_tie_range', {}).items()]
    for name, (low, high) in ties:
        if low != high:
            print(f'tied scores straddle hits and misses: over their orders '
                  f'{name} lies in [{show(low)}, {show(high)}] (the figure '
                  "above follows numpy's sort, as the official code)")
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(res, f, indent=1)
    if args.plot:
        plot(res, args.plot)


def main() -> int:
    return exit_code(run, parse_args())


if __name__ == '__main__':
    sys.exit(main())
