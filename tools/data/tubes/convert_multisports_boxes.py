"""MultiSports' released person boxes to the proposal files the MultiSports
config reads.

    python tools/data/tubes/convert_multisports_boxes.py \
        data/multisports/trainval/multisports_GT.pkl \
        data/multisports/MultiSports_box data/multisports/annotations \
        [--thr 0.05]

The release (Faster R-CNN person boxes, one pickle per split) keys frames
as ``'<video base name>,<frame>'``; each file is re-keyed to the
annotation's videos (``'<sport>/<video>,<frame:05d>'``, as mmaction2's
``parse_anno.py`` does with its own key), checked (a key whose video is
not in the annotation, a box that is no finite ``(n, 5)`` row, named),
filtered at ``--thr`` and written as ``person_boxes_<split>.pkl``
(``val`` for the file the config names).
"""
import argparse
import os
import os.path as osp
import pickle
import sys

from videomae_det_core.errors import exit_code
from videomae_det_core.proposals import load_plain
from videomae_det_core.tubes.io import read_ground_truth, rekey_boxes


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('gt', help='multisports_GT.pkl')
    parser.add_argument('boxes', help='the released folder (or one file)')
    parser.add_argument('out_dir')
    parser.add_argument('--thr', type=float, default=0.05,
                        help='drop boxes scoring below (the release keeps '
                        'scores > 0.05)')
    args = parser.parse_args()
    gt = read_ground_truth(args.gt)
    files = [args.boxes] if osp.isfile(args.boxes) else sorted(
        osp.join(args.boxes, f) for f in os.listdir(args.boxes)
        if f.endswith('.pkl'))
    if not files:
        parser.error(f'no .pkl files in {args.boxes}')
    os.makedirs(args.out_dir, exist_ok=True)
    for path in files:
        boxes = rekey_boxes(load_plain(path), gt, path, args.gt)
        kept = {k: b[b[:, 4] >= args.thr] for k, b in boxes.items()}
        name = osp.basename(path).split('.')[0]
        name = 'val' if 'val' in name or 'test' in name else name
        out = osp.join(args.out_dir, f'person_boxes_{name}.pkl')
        with open(out, 'wb') as f:
            pickle.dump(kept, f)
        videos = {k.rpartition(',')[0] for k in kept}
        print(f'{path}: {sum(len(b) for b in kept.values())} boxes on '
              f'{len(kept)} frames of {len(videos)} videos -> {out}')


def main() -> int:
    return exit_code(run)


if __name__ == '__main__':
    sys.exit(main())
