"""Video-AP: scored action tubes against ground-truth tubes.

The two protocols of :mod:`.frame_ap`, at the tube level:

- ``ucf-jhmdb`` (ACT-detector / MOC ``videoAP``): per class and video the
  tubes go through ACT's tube NMS at IoU 0.3 first; spatio-temporal IoU
  with +1 pixels and frame counts (``tmax - tmin + 1``); each tube takes
  the still-unmatched ground-truth tube of highest IoU; float32 trapezoid
  AP from (recall 0, precision 1), every label in the mean. Tubes of
  videos outside the split are not read (ACT reads tubes per test video).
- ``multisports`` (mmaction2's ``multisports_utils.videoAP``): no NMS, IoU
  without +1 and with frame differences (``tmax - tmin``); a tube takes
  its video's best ground-truth tube if that one is unmatched; tubes of
  videos without ground truth of the class (outside the split too) are
  false positives; VOC all-point AP; excluded and ground-truth-less
  classes None.

Defined where the official code is not: under numpy 2 its ``iou3dt``
calls ``int()`` on an array (``TypeError``), a ground-truth tube with a
frame gap fails its assertion, and a one-frame overlap under
``multisports`` is 0 / 0. Here the spatial term is the mean box IoU over
the frames both tubes have within their common span, the temporal term
0 where its union is 0, and a class with tubes but no ground truth AP 0
under ``ucf-jhmdb``.

Tubes: ``{label: [(video, score, tube), ...]}``, ``tube`` ``(T, >=5)``
rows ``[frame, x1, y1, x2, y2, ...]`` (MultiSports' ``video_detections``
form).
"""
from typing import Dict, List, Optional, Sequence

import numpy as np

from .frame_ap import MULTISPORTS_EXCLUDED, PROTOCOLS, integrate

TUBE_NMS = 0.3  # ACT applies it before video-AP


def tube_iou(a: np.ndarray, b: np.ndarray, plus_one: bool) -> float:
    """Spatio-temporal IoU of two tubes (rows ``[frame, x1, y1, x2, y2]``,
    frames ascending) with the official arithmetic."""
    one = 1.0 if plus_one else 0.0
    tmin, tmax = max(a[0, 0], b[0, 0]), min(a[-1, 0], b[-1, 0])
    if tmax < tmin:
        return 0.0
    inter = tmax - tmin + one
    union = max(a[-1, 0], b[-1, 0]) - min(a[0, 0], b[0, 0]) + one
    span = (a[:, 0] >= tmin) & (a[:, 0] <= tmax)
    frames = np.intersect1d(a[span, 0], b[:, 0])
    if not union or not len(frames):
        return 0.0
    x = a[np.isin(a[:, 0], frames), 1:5]
    y = b[np.isin(b[:, 0], frames), 1:5]
    w = np.maximum(0, np.minimum(x[:, 2] + one, y[:, 2] + one) -
                   np.maximum(x[:, 0], y[:, 0]))
    h = np.maximum(0, np.minimum(x[:, 3] + one, y[:, 3] + one) -
                   np.maximum(x[:, 1], y[:, 1]))
    ov = w * h
    area_x = (x[:, 2] - x[:, 0] + one) * (x[:, 3] - x[:, 1] + one)
    area_y = (y[:, 2] - y[:, 0] + one) * (y[:, 3] - y[:, 1] + one)
    with np.errstate(invalid='ignore', divide='ignore'):
        spatial = np.nan_to_num(ov / (area_x + area_y - ov), nan=0.0)
    return float(np.mean(spatial) * (inter / union))


def nms_tubes(tubes: list, overlap: float = TUBE_NMS) -> np.ndarray:
    """ACT's tube NMS over ``[(tube, score), ...]``: indices kept, best
    first."""
    if not tubes:
        return np.array([], dtype=np.int32)
    order = np.argsort([t[1] for t in tubes])
    kept = []
    while order.size:
        i = order[-1]
        kept.append(i)
        ious = np.array([tube_iou(tubes[j][0], tubes[i][0], True)
                         for j in order[:-1]])
        order = order[np.flatnonzero(ious <= overlap)]
    return np.array(kept, dtype=np.int32)


def _class_aps(dets: list, gt: Dict[str, list], thresholds: list,
               protocol: str, ranges: list, label: str) -> list:
    """One class's AP at each threshold: the IoUs once, the matching per
    threshold."""
    greedy = protocol == 'multisports'
    total = sum(len(g) for g in gt.values())
    scores = np.array([d[1] for d in dets])
    order = np.argsort(-scores)
    ious = [np.array([tube_iou(g, dets[j][2], not greedy)
                      for g in gt[dets[j][0]]]) if dets[j][0] in gt
            else None for j in order]
    out = []
    for thr, rng in zip(thresholds, ranges):
        free = {v: np.ones(len(g), bool) for v, g in gt.items()}
        hits = np.zeros(len(dets), bool)
        for i, j in enumerate(order):
            if ious[i] is None:
                continue
            mine = free[dets[j][0]]
            iou = ious[i] if greedy else np.where(mine, ious[i], -np.inf)
            best = int(np.argmax(iou))
            if iou[best] >= thr and mine[best]:
                hits[i], mine[best] = True, False
        out.append(integrate(scores[order], hits, total, protocol, rng,
                             label))
    return out


def video_aps(tubes: dict, gttubes: dict, videos: Sequence[str],
              labels: List[str], protocol: str, thresholds: Sequence[float],
              ranges: Optional[list] = None
              ) -> List[Dict[str, Optional[float]]]:
    """:func:`video_ap` at several thresholds in one pass (the NMS and
    IoUs once); ``ranges``: one dict per threshold."""
    if protocol not in PROTOCOLS:
        raise ValueError(f'protocol must be one of {PROTOCOLS}, got '
                         f'{protocol!r}')
    ranges = ranges if ranges is not None else [None] * len(thresholds)
    out: List[Dict[str, Optional[float]]] = [{} for _ in thresholds]
    for ilabel, label in enumerate(labels):
        gt = {v: [np.asarray(t, np.float64) for t in
                  gttubes[v].get(ilabel, [])] for v in videos}
        gt = {v: g for v, g in gt.items() if g}
        given = [(v, s, np.asarray(t, np.float64))
                 for v, s, t in tubes.get(ilabel, [])]
        if protocol == 'multisports':
            if label in MULTISPORTS_EXCLUDED or not gt:
                for res in out:
                    res[label] = None
                continue
            dets = given
        else:  # per video in split order, NMS first
            per_video: Dict[str, list] = {}
            for v, s, t in given:
                per_video.setdefault(v, []).append((t, s))
            dets = []
            for v in videos:
                mine = per_video.get(v, [])
                dets += [(v, mine[i][1], mine[i][0])
                         for i in nms_tubes(mine)]
        aps = _class_aps(dets, gt, list(thresholds), protocol, ranges, label)
        for res, ap in zip(out, aps):
            res[label] = ap
    for res in out:
        scored = [res[label] for label in labels if res[label] is not None]
        res['mAP'] = float(np.mean(scored)) if scored else None
    return out


def video_ap(tubes: dict, gttubes: dict, videos: Sequence[str],
             labels: List[str], protocol: str = 'ucf-jhmdb',
             thr: float = 0.5, ranges: Optional[dict] = None
             ) -> Dict[str, Optional[float]]:
    """Video-AP per label (fractions; None for a class the protocol does
    not evaluate) and ``'mAP'`` over the others; tie ranges into
    ``ranges`` (:func:`.frame_ap.integrate`)."""
    return video_aps(tubes, gttubes, videos, labels, protocol, [thr],
                     [ranges])[0]
