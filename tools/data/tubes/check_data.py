"""Check a tube benchmark's files before training: what a config's
TubeDataset needs, all of it, reported at once.

    python tools/data/tubes/check_data.py configs/ucf24_vitb.py [--split 1]
        [--cfg-options ...]

For the config's train and test videos of the split: the annotation
pickle's tubes (frames within ``nframes``, boxes inside the frame, label
indices), each video's frame folder (its last frame present) or video
file (readable, at least ``nframes`` long), and, when the test set has a
person-box file, how it covers the test frames and the ground-truth
boxes it reaches at IoU 0.5 (the ceiling of the frame-mAP's recall).
Exits 1 if anything is wrong. Works offline; shows progress.
"""
import argparse
import sys

from mmengine.config import Config, DictAction

from videomae_det_core.errors import exit_code
from videomae_det_core.progress import ProgressBar
from videomae_det_core.proposals import load_plain
from videomae_det_core.tubes.io import (
    TubeFormatError,
    read_ground_truth,
    rekey_boxes,
    split_of,
)
from videomae_det_core.tubes.layout import all_problems, box_coverage


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config')
    parser.add_argument('--split', type=int, default=None,
                        help="the split to check (default: the config's)")
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    problems = []
    for subset, loader in (('train', 'train_dataloader'),
                           ('test', 'test_dataloader')):
        ds = cfg[loader].dataset
        split = ds.get('split', 0) if args.split is None else args.split
        gt = read_ground_truth(ds.ann_file)
        videos = split_of(gt, split, subset, ds.ann_file)
        root = ds.get('data_prefix', {}).get('img') or ''
        print(f'{subset} split {split}: {len(videos)} videos under {root}')
        bar = ProgressBar(len(videos))
        found = all_problems(gt, videos, ds.ann_file, root,
                             filename_tmpl=ds.get('filename_tmpl',
                                                  '{:05d}.jpg'),
                             video_suffix=ds.get('video_suffix'),
                             progress=bar.update)
        problems += [f'{subset}: {p}' for p in found]
        boxes = ds.get('proposal_file')
        if boxes and subset == 'test':
            try:
                c = box_coverage(gt, videos, rekey_boxes(
                    load_plain(boxes), gt, boxes, ds.ann_file))
            except (OSError, ValueError) as err:
                problems.append(f'test: person boxes {boxes}: {err}')
            else:
                print(f'person boxes {boxes}: {c["frames_with_boxes"]}/'
                      f'{c["frames"]} frames, {c["annotated_with_boxes"]}/'
                      f'{c["annotated_frames"]} annotated frames; '
                      f'{100 * c["gt_recall"]:.1f}% of {c["gt_boxes"]} '
                      'ground-truth boxes found at IoU 0.5')
    for p in problems:
        print(p)
    if problems:
        raise TubeFormatError(f'{len(problems)} problems (listed above)')
    print('all present')


def main() -> int:
    return exit_code(run)


if __name__ == '__main__':
    sys.exit(main())
