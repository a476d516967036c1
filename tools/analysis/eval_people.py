"""Person detectors measured: on labelled real frames (AP@0.5, recall at
0.8 precision, ms per frame), or with the demo's tracker on an AVA-format
set (recall and precision at IoU 0.5, IDF1, ID switches).

    python tools/analysis/eval_people.py [--frames LABELLED.csv]
        [--sources ssd hog] [--det-config C --det-checkpoint W] [--draw DIR]
        (default: tests/data/people_frames.csv)
    python tools/analysis/eval_people.py DATA_ROOT [--split val]
        [--sources proposals hog] [--start 900]

Labelled frames (``videomae_det.evaluation.people``): each source runs at a
low threshold so that AP sees its whole precision-recall curve; ``--draw``
writes every frame with the labels and each source's boxes at its default
threshold (``videomae_det.apis.SOURCES``).

DATA_ROOT holds ``videos/``, ``annotations/toy_{split}.csv`` (8 columns:
the 8th is the person id) and the proposals pickle, as
``tools/data/make_toy_ava.py`` writes them. Keyframes are read from the
videos (keyframe t at t - START seconds), boxes come from each source and
are linked by the demo's tracker. Exit codes: 0 done, 1 bad input, 2 usage.
"""
import argparse
import os
import os.path as osp
import sys
import time
from collections import defaultdict

import numpy as np

import videomae_det  # noqa: F401
from videomae_det.apis import (
    SOURCES,
    BoxesFile,
    FrameStream,
    HOGPeople,
    KeyframeTracker,
    build_people,
)
from videomae_det.evaluation.people import (
    load_frame,
    read_labelled_frames,
    score_people,
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


FRAMES = osp.join(osp.dirname(__file__), '../../tests/data/'
                  'people_frames.csv')
LOW_THR = dict(ssd=0.05, hog=0.0, mmdet=0.05)  # the whole PR curve


def detect_frames(source, frames, images, args):
    """Pixel boxes of one source on every frame, and ms per frame."""
    kwargs = dict(config=args.det_config, checkpoint=args.det_checkpoint,
                  device=args.device) if source == 'mmdet' else {}
    people = build_people(source, LOW_THR[source], **kwargs)
    people(images[0])  # warm-up: graph and buffers
    boxes, times = [], []
    for image in images:
        start = time.perf_counter()
        out = np.asarray(people(image), np.float64).reshape(-1, 5)
        times.append(time.perf_counter() - start)
        h, w = image.shape[:2]
        boxes.append(np.c_[out[:, :4] * [w, h, w, h], out[:, 4]])
    return boxes, 1000 * float(np.median(times))


def draw(folder, source, frames, images, boxes):
    """Labels (people green, ignore grey) and a source's boxes at its
    default threshold (red), one image per frame."""
    import cv2
    os.makedirs(folder, exist_ok=True)
    thr = SOURCES[source]['thr']
    for item, image, found in zip(frames, images, boxes):
        img = np.ascontiguousarray(image[:, :, ::-1])
        for colour, group in (((0, 200, 0), item.people),
                              ((160, 160, 160), item.ignore),
                              ((0, 0, 255), found[found[:, 4] >= thr])):
            for box in group:
                x1, y1, x2, y2 = (int(round(v)) for v in box[:4])
                cv2.rectangle(img, (x1, y1), (x2, y2), colour, 2)
                if len(box) > 4:
                    cv2.putText(img, f'{box[4]:.2f}', (x1 + 3, y1 + 14),
                                cv2.FONT_HERSHEY_SIMPLEX, 0.45, colour, 1)
        name = f'{osp.splitext(item.source.split(":")[-1])[0]}_' \
            f'{item.frame:04d}_{source}.jpg'
        cv2.imwrite(osp.join(folder, name), img)


def run_frames(args: argparse.Namespace) -> None:
    frames = read_labelled_frames(args.frames)
    root = osp.dirname(args.frames)
    images = [load_frame(f.source, f.frame, root) for f in frames]
    sources = args.sources or (['ssd', 'hog'] + (['mmdet'] if
                                                 args.det_config else []))
    people = sum(len(f.people) for f in frames)
    print(f'{len(frames)} frames, {people} people, '
          f'{sum(len(f.ignore) for f in frames)} ignore regions: '
          f'{args.frames}')
    print(f'{"source":8s} {"AP@0.5":>7} {"R@P0.8":>7} {"ms/frame":>9} '
          f'{"boxes":>6}')
    for source in sources:
        boxes, ms = detect_frames(source, frames, images, args)
        m = score_people(frames, boxes)
        print(f'{source:8s} {100 * m["ap"]:7.1f} '
              f'{100 * m["recall_at_precision"]:7.1f} {ms:9.1f} '
              f'{m["boxes"]:6d}', flush=True)
        if args.draw:
            draw(args.draw, source, frames, images, boxes)


def run(args: argparse.Namespace) -> None:
    if args.root is None:
        return run_frames(args)
    anno = osp.join(args.root, 'annotations')
    gt = groundtruth(osp.join(anno, f'toy_{args.split}.csv'))
    props = osp.join(anno, f'toy_dense_proposals_{args.split}.pkl')
    print(f'{"source":10s} {"recall":>7} {"precision":>9} {"IDF1":>6} '
          f'{"ID sw.":>6} {"gt":>5} {"boxes":>6}')
    for source in args.sources or ['proposals', 'hog']:
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
    parser.add_argument('root', nargs='?', help='an AVA-format set (default: '
                        'the labelled frames)')
    parser.add_argument('--frames', default=osp.normpath(FRAMES),
                        help='labelled frames CSV')
    parser.add_argument('--sources', nargs='+', help='frames: ssd hog mmdet '
                        '(default ssd hog, + mmdet with --det-config); AVA '
                        'set: proposals hog')
    parser.add_argument('--det-config', help='an mmdet detector config')
    parser.add_argument('--det-checkpoint', help='its weights')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--draw', help='folder for the drawn frames')
    parser.add_argument('--split', default='val')
    parser.add_argument('--start', type=int, default=900,
                        help="the videos' first frame in annotation seconds")
    parser.add_argument('--thr', type=float, default=0.9,
                        help='proposal score threshold (the data sets\' '
                        'person_det_score_thr)')
    args = parser.parse_args()
    allowed = ({'proposals', 'hog'} if args.root else
               {'ssd', 'hog', 'mmdet'})
    if set(args.sources or ()) - allowed:
        parser.error(f'--sources: choose from {sorted(allowed)}')
    return exit_code(run, args)


if __name__ == '__main__':
    sys.exit(main())
