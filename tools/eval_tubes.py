"""Frame-mAP and video-mAP against the tubes of UCF101-24, JHMDB-21 or
MultiSports (the ACT annotation pickle), by the official rules of each.

    python tools/eval_tubes.py GT.pkl DETS.pkl --protocol ucf-jhmdb \
        [--split 0] [--tubes TUBES.pkl | --link] [--save-tubes OUT.pkl] \
        [--frames all|annotated] [--chance 10] [--json out.json] \
        [--plot ap.png] [--plot-tubes tubes.png [--video V]]

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

import numpy as np

from videomae_det_core.errors import exit_code
from videomae_det_core.tubes import PROTOCOLS
from videomae_det_core.tubes.evaluate import (
    annotated_frames,
    chance_frame_maps,
    evaluate,
    plot,
    plot_tubes,
)
from videomae_det_core.tubes.io import (
    TubeFormatError,
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
    parser.add_argument('--frames', choices=('all', 'annotated'),
                        default='all', help='frame-mAP over every frame '
                        '(ACT/MOC) or annotated frames only (YOWO, '
                        "mmaction2's MultiSports validation)")
    parser.add_argument('--chance', type=int, default=0, metavar='DRAWS',
                        help='also score the same boxes with random scores '
                        'this many times (the chance level)')
    parser.add_argument('--plot-tubes', metavar='PNG', help='the linked '
                        'tubes of one test video over time (.png)')
    parser.add_argument('--video', help='the video for --plot-tubes '
                        '(default: the first with ground truth)')
    args = parser.parse_args()
    if args.save_tubes and not args.link:
        parser.error('--save-tubes needs --link')
    if args.plot_tubes and not (args.link or args.tubes):
        parser.error('--plot-tubes needs --link or --tubes')
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
    if args.frames == 'annotated':  # video-mAP links every frame above
        dets = dets[annotated_frames(gt, videos, dets)]
    res = evaluate(gt, videos, dets, args.protocol, tubes)
    res['frames'] = args.frames
    if args.chance:
        res['chance'] = chance_frame_maps(gt, videos, dets, args.protocol,
                                          args.chance)
    levels = list(res.get('video_AP', {}))
    print(f'{"class":30s} frame-AP' + ''.join(f' vAP@{k:5s}'
                                              for k in levels))
    for label in gt['labels']:
        print(f'{label[:30]:30s} {show(res["frame_AP"][label])}  ' +
              ''.join(f'  {show(res["video_AP"][k][label])}   '
                      for k in levels))
    print(f'frame-mAP@0.5 ({args.protocol}, {args.frames} frames): '
          f'{show(res["frame_mAP"])}')
    if args.chance:
        c = np.array(res['chance'], float)
        print(f'chance (random scores, {args.chance} draws): '
              f'{100 * c.mean():.2f} +- {100 * c.std():.2f}')
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
    if args.plot_tubes:
        video = args.video or next(
            v for v in videos if gt['gttubes'].get(v))
        if video not in videos:
            raise TubeFormatError(f'--video {video!r} is not in test split '
                                  f'{args.split} of {args.gt}')
        plot_tubes(gt, video, tubes, args.plot_tubes)


def main() -> int:
    return exit_code(run, parse_args())


if __name__ == '__main__':
    sys.exit(main())
