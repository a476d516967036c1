"""Person boxes on every frame of a tube benchmark's videos, for testing
(UCF101-24 and JHMDB-21 have no released set): the proposal file a tube
config's ``proposal_file`` names.

    python tools/data/tubes/detect_people.py configs/ucf24_vitb.py \
        data/ucf24/person_boxes_test.pkl [--subset test] [--split 0] \
        [--det-config C --det-checkpoint W | --ssd | --hog] [--det-thr T] \
        [--every 1]

Frames come from the config's test (or train) dataset: its annotation,
split, frame folders or videos. Each finished video is saved at once; run
the same command again to resume a killed run. Afterwards
``check_data.py`` reports how the boxes cover the ground truth.
"""
import argparse
import os.path as osp
import sys

from mmengine.config import Config

from videomae_det.apis.people import build_people
from videomae_det_core.errors import exit_code
from videomae_det_core.progress import ProgressBar
from videomae_det_core.tubes.boxes import read_frames, write_person_boxes
from videomae_det_core.tubes.io import read_ground_truth, split_of


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config')
    parser.add_argument('out', help='the proposals pickle to write')
    parser.add_argument('--subset', choices=('test', 'train'),
                        default='test')
    parser.add_argument('--split', type=int, default=None)
    detector = parser.add_mutually_exclusive_group(required=True)
    detector.add_argument('--det-config', help='an mmdet detector config')
    detector.add_argument('--ssd', action='store_true',
                          help='the packaged SSD-MobileNet-v2 COCO detector')
    detector.add_argument('--hog', action='store_true',
                          help="OpenCV's HOG people detector (weak)")
    parser.add_argument('--det-checkpoint', help='its weights')
    parser.add_argument('--det-thr', type=float, default=None,
                        help='minimum person score (default per source: '
                        'videomae_det.apis.SOURCES)')
    parser.add_argument('--det-nms', type=float, default=None,
                        help='NMS IoU of the person boxes (same defaults)')
    parser.add_argument('--every', type=int, default=1,
                        help='every k-th frame (the test stride)')
    parser.add_argument('--device', default='cpu')
    args = parser.parse_args()
    ds = Config.fromfile(args.config)[f'{args.subset}_dataloader'].dataset
    gt = read_ground_truth(ds.ann_file)
    split = ds.get('split', 0) if args.split is None else args.split
    videos = split_of(gt, split, args.subset, ds.ann_file)
    root = ds.get('data_prefix', {}).get('img') or ''
    if args.det_config:
        detect = build_people('mmdet', args.det_thr, args.det_nms,
                              config=args.det_config,
                              checkpoint=args.det_checkpoint,
                              device=args.device)
    else:
        detect = build_people('hog' if args.hog else 'ssd', args.det_thr,
                              args.det_nms)

    def frames(video):
        return read_frames(root, video, int(gt['nframes'][video]),
                           ds.get('filename_tmpl', '{:05d}.jpg'),
                           ds.get('video_suffix'), args.every)

    resumed = osp.isfile(args.out + '.partial')
    print(f'{len(videos)} {args.subset} videos of split {split}'
          f'{" (resuming)" if resumed else ""}')
    boxes = write_person_boxes(videos, frames, detect, args.out,
                               ProgressBar(len(videos)).update)
    print(f'\n{sum(len(b) for b in boxes.values())} boxes on {len(boxes)} '
          f'frames: {args.out}')


def main() -> int:
    return exit_code(run)


if __name__ == '__main__':
    sys.exit(main())
