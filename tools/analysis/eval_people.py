"""Person boxes and tracks of the video demo against an AVA-format set's
groundtruth (boxes and person ids): recall and precision at IoU 0.5, IDF1
and ID switches, per box source.

    python tools/analysis/eval_people.py DATA_ROOT [--split val]
        [--sources proposals hog] [--start 900]

DATA_ROOT holds ``videos/``, ``annotations/toy_{split}.csv`` (8 columns:
the 8th is the person id) and the proposals pickle, as
``tools/data/make_toy_ava.py`` writes them. Keyframes are read from the
videos (keyframe t at t - START seconds), boxes come from each source and
are linked by the demo's tracker. Exit codes: 0 done, 1 bad input, 2 usage.
"""
import argparse
import os.path as osp
import sys
from collections import defaultdict

import numpy as np

import videomae_det  # noqa: F401
from videomae_det.apis import (
    BoxesFile,
    FrameStream,
    HOGPeople,
    KeyframeTracker,
)
from videomae_det.evaluation.tracks import box_and_track_metrics
from videomae_det_core.ava.io import read_rows
from videomae_det_core.errors import exit_code


def groundtruth(path: str) -> dict:
    """video -> second -> (boxes (G, 4), ids (G,)), one row per person."""
    people = defaultdict(dict)
    for _, row in read_rows(path):
        people[row[0]].setdefault(int(row[1]), {})[int(row[7])] = [
            float(v) for v in row[2:6]]
    return {v: {t: (np.array(list(p.values())), np.array(list(p)))
                for t, p in stamps.items()} for v, stamps in people.items()}


def run(args: argparse.Namespace) -> None:
    anno = osp.join(args.root, 'annotations')
    gt = groundtruth(osp.join(anno, f'toy_{args.split}.csv'))
    props = osp.join(anno, f'toy_dense_proposals_{args.split}.pkl')
    print(f'{"source":10s} {"recall":>7} {"precision":>9} {"IDF1":>6} '
          f'{"ID sw.":>6} {"gt":>5} {"boxes":>6}')
    for source in args.sources:
        sequences = []
        for video, stamps in sorted(gt.items()):
            people = (BoxesFile(props, video, args.thr, args.start)
                      if source == 'proposals' else HOGPeople())
            stream = FrameStream(osp.join(args.root, 'videos',
                                          f'{video}.mp4'))
            wanted = {round((t - args.start) * stream.fps): t
                      for t in stamps}
            tracker, frames = KeyframeTracker(), []
            for index, frame in stream:
                if index not in wanted:
                    continue
                t = wanted[index]
                boxes = np.asarray(people(frame, t - args.start)).reshape(
                    -1, 5)
                ids = tracker(boxes, frame.shape)
                frames.append((*stamps[t], boxes[:, :4], np.array(
                    [-1 if i is None else i for i in ids])))
            sequences.append(frames)
        m = box_and_track_metrics(sequences)
        print(f'{source:10s} {m["recall"]:7.3f} {m["precision"]:9.3f} '
              f'{m["idf1"]:6.3f} {m["id_switches"]:6d} {m["gt_boxes"]:5d} '
              f'{m["boxes"]:6d}')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('root')
    parser.add_argument('--split', default='val')
    parser.add_argument('--sources', nargs='+', default=['proposals', 'hog'],
                        choices=['proposals', 'hog'])
    parser.add_argument('--start', type=int, default=900,
                        help="the videos' first frame in annotation seconds")
    parser.add_argument('--thr', type=float, default=0.9,
                        help='proposal score threshold (the data sets\' '
                        'person_det_score_thr)')
    return exit_code(run, parser.parse_args())


if __name__ == '__main__':
    sys.exit(main())
