"""AlphAction's person detections to the AVA proposals pickle, for the
VideoMAE paper's own AVA test protocol (configs/ava_vit*_official.py).

    python tools/data/ava/convert_alphaction_boxes.py \
        ava_val_det_person_bbox.json ava_val_v2.2_min.json OUT.pkl \
        [--thr 0.8]

Keeps boxes scoring at least ``--thr`` (the official test: 0.8), keyed
``'<movie>,<timestamp:04d>'``, normalised ``x1, y1, x2, y2, score``.
Imports numpy only.
"""
import argparse
import pickle
import sys

from videomae_det_core.ava.alphaction import alphaction_proposals
from videomae_det_core.errors import exit_code


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('dets', help="AlphAction's person detections JSON")
    parser.add_argument('ann', help="AlphAction's annotation JSON (images)")
    parser.add_argument('out', help='the proposals pickle to write')
    parser.add_argument('--thr', type=float, default=0.8)
    args = parser.parse_args()
    boxes = alphaction_proposals(args.dets, args.ann, args.thr)
    with open(args.out, 'wb') as f:
        pickle.dump(boxes, f)
    print(f'{sum(len(b) for b in boxes.values())} boxes (score >= '
          f'{args.thr}) on {len(boxes)} keyframes: {args.out}')


def main() -> int:
    return exit_code(run)


if __name__ == '__main__':
    sys.exit(main())
