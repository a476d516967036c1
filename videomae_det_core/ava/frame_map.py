"""AVA frame-mAP @ 0.5 IoU, vectorised, equal to the official evaluator.

The official evaluator (ActivityNet ``get_ava_performance.py``, Pascal VOC
rules of the TF object-detection code) matches keyframe by keyframe and
class by class in Python. Its rules, all kept here:

- excluded keyframes are dropped from groundtruth and detections;
- detections with zero area (x1 == x2 or y1 == y2) are removed, neither
  true nor false positives; detections on keyframes without groundtruth are
  false positives;
- per keyframe and class, detections in the keyframe's order (descending
  score) each look only at their highest-IoU groundtruth (first on ties);
  IoU >= 0.5 and that groundtruth still free -> true positive, else false;
- per class, scores and labels are concatenated in keyframe order, sorted
  by ``np.argsort(scores)[::-1]`` (numpy's default sort, as the official
  code, so equal scores break the same way), and VOC all-point AP is
  computed; a class without groundtruth has AP NaN and is left out of the
  mean.

Where tied scores straddle true and false positives, that unstable order
decides the AP; :func:`tie_range` gives the lowest and highest AP over the
tie orders, reported beside the official figure.

The greedy matching vectorises because a detection never falls back to its
second-best groundtruth: it is a true positive exactly when it is the first
detection, in keyframe order, whose best groundtruth is that one at IoU >=
0.5.
"""
from typing import Dict, List, Optional, Set, Tuple

import numpy as np

from .io import DETECTIONS_PER_KEYFRAME, AVABoxes, group_rows

IOU_THRESHOLD = 0.5


def _iou(det: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Row-wise IoU of paired ``(P, 4)`` boxes (y1, x1, y2, x2), with the
    official operation order so results agree to the bit."""
    heights = np.maximum(0.0, np.minimum(det[:, 2], gt[:, 2]) -
                         np.maximum(det[:, 0], gt[:, 0]))
    widths = np.maximum(0.0, np.minimum(det[:, 3], gt[:, 3]) -
                        np.maximum(det[:, 1], gt[:, 1]))
    inter = heights * widths
    area_d = (det[:, 2] - det[:, 0]) * (det[:, 3] - det[:, 1])
    area_g = (gt[:, 2] - gt[:, 0]) * (gt[:, 3] - gt[:, 1])
    return inter / (area_d + area_g - inter)


def true_positives(det_group: np.ndarray, det_boxes: np.ndarray,
                   gt_group: np.ndarray, gt_boxes: np.ndarray) -> np.ndarray:
    """Greedy VOC matching for all keyframes and classes at once.

    Args:
        det_group: ``(D,)`` int, one id per (keyframe, class); detections in
            matching order (keyframe order, then descending score).
        det_boxes: ``(D, 4)``.
        gt_group: ``(G,)`` int, same ids; groundtruth in keyframe order.
        gt_boxes: ``(G, 4)``.

    Returns:
        np.ndarray: ``(D,)`` bool, True = true positive.
    """
    tp = np.zeros(len(det_group), dtype=bool)
    if not len(det_group) or not len(gt_group):
        return tp
    # all (detection, groundtruth) pairs of the same group, detection-major
    g_order = np.argsort(gt_group, kind='stable')
    g_sorted = gt_group[g_order]
    starts = np.searchsorted(g_sorted, det_group, side='left')
    counts = np.searchsorted(g_sorted, det_group, side='right') - starts
    has = counts > 0
    det_ids = np.repeat(np.flatnonzero(has), counts[has])
    offsets = np.arange(len(det_ids)) - np.repeat(
        np.cumsum(counts[has]) - counts[has], counts[has])
    gt_ids = g_order[np.repeat(starts[has], counts[has]) + offsets]
    iou = _iou(det_boxes[det_ids], gt_boxes[gt_ids])
    # best groundtruth per detection: max IoU, first in groundtruth order
    seg = np.cumsum(counts[has]) - counts[has]
    best_iou = np.maximum.reduceat(iou, seg)
    is_best = iou == np.repeat(best_iou, counts[has])
    first = np.flatnonzero(is_best)
    first = first[np.unique(det_ids[first], return_index=True)[1]]
    cand = det_ids[first][best_iou >= IOU_THRESHOLD]
    cand_gt = gt_ids[first][best_iou >= IOU_THRESHOLD]
    # the first candidate (in detection order) per groundtruth wins it
    _, winner = np.unique(cand_gt, return_index=True)
    tp[cand[winner]] = True
    return tp


def _voc_ap(hits: np.ndarray, num_gt: int) -> float:
    """All-point AP of true-positive flags in rank order."""
    cum_tp = np.cumsum(hits)
    cum_fp = np.cumsum(1 - hits)
    precision = cum_tp.astype(float) / (cum_tp + cum_fp)
    recall = cum_tp.astype(float) / num_gt
    recall = np.concatenate([[0], recall, [1]])
    precision = np.concatenate([[0], precision, [0]])
    precision = np.maximum.accumulate(precision[::-1])[::-1]
    idx = np.where(recall[1:] != recall[:-1])[0] + 1
    return float(np.sum((recall[idx] - recall[idx - 1]) * precision[idx]))


def average_precision(scores: np.ndarray, tp: np.ndarray,
                      num_gt: int) -> float:
    """VOC all-point AP as the official ``compute_average_precision``."""
    if not len(scores):
        return 0.0
    return _voc_ap(tp.astype(int)[np.argsort(scores)[::-1]], num_gt)


def tie_range(scores: np.ndarray, tp: np.ndarray, num_gt: int):
    """AP's lowest and highest value over the orders of tied scores: false
    positives first within each tie, then true positives first. Equal
    unless ties straddle true and false positives (then the official AP,
    numpy's unstable sort, lies between and can move with the numpy
    version or CPU)."""
    if not len(scores):
        return 0.0, 0.0
    hits = tp.astype(int)
    low = _voc_ap(hits[np.lexsort((hits, -scores))], num_gt)
    high = _voc_ap(hits[np.lexsort((-hits, -scores))], num_gt)
    return low, high


def frame_map(gt: AVABoxes, det: AVABoxes, class_ids: List[int],
              excluded: Optional[Set[str]] = None,
              keep_hits: bool = False) -> Dict:
    """Frame-mAP @ 0.5 IoU.

    Args:
        gt: Groundtruth, read with no cap.
        det: Detections, read with the cap of 50 per keyframe.
        class_ids: The label map's action ids (the whitelist).
        excluded: Keyframe keys left out of both sides.

    Returns:
        dict: ``mAP`` (float, NaN if no class has groundtruth),
        ``per_class`` {action id: AP or NaN}, ``num_gt`` {id: count},
        ``num_det`` {id: count kept}, ``tie_range`` {id: (lowest, highest)
        AP over the orders of tied scores} for the classes where they
        differ, and ``mAP_range`` (lowest, highest) mAP; with
        ``keep_hits``, ``hits`` {id: (scores, true-positive flags)} of the
        detections scored.
    """
    excluded = excluded or set()
    gt_keep = np.array([k not in excluded for k in gt.keys], bool)
    gt_sel = gt_keep[gt.key_index] if len(gt) else np.zeros(0, bool)
    key_id = {k: i for i, k in enumerate(gt.keys)}
    # detections: keyframe position in the groundtruth (-1: none)
    det_gt_key = np.array([key_id.get(k, -1) for k in det.keys], np.int64)
    det_keep = np.array([k not in excluded for k in det.keys], bool)
    d_sel = det_keep[det.key_index] if len(det) else np.zeros(0, bool)
    b = det.boxes
    d_sel &= (b[:, 0] < b[:, 2]) & (b[:, 1] < b[:, 3])

    n_classes = max(class_ids) + 1
    g_key = gt.key_index[gt_sel]
    g_lab = gt.labels[gt_sel]
    d_key = det_gt_key[det.key_index[d_sel]]
    d_lab = det.labels[d_sel]
    # groups: (groundtruth keyframe, class); no groundtruth keyframe -> -1
    g_group = g_key * n_classes + g_lab
    d_group = np.where(d_key >= 0, d_key * n_classes + d_lab, -1)
    tp = true_positives(d_group, b[d_sel], g_group, gt.boxes[gt_sel])

    # per class, in detection feed order (keyframe order, then score)
    d_scores = det.scores[d_sel]
    by_class = np.argsort(d_lab, kind='stable')
    sorted_lab = d_lab[by_class]
    bounds = (np.searchsorted(sorted_lab, class_ids, side='left'),
              np.searchsorted(sorted_lab, class_ids, side='right'))
    num_gt = {c: int(n) for c, n in zip(class_ids, np.bincount(
        g_lab, minlength=n_classes)[class_ids])}
    per_class, num_det, ranges, hits = {}, {}, {}, {}
    for c, lo, hi in zip(class_ids, *bounds):
        rows = by_class[lo:hi]
        num_det[c] = int(hi - lo)
        if keep_hits:
            hits[c] = (d_scores[rows], tp[rows])
        per_class[c] = (average_precision(d_scores[rows], tp[rows],
                                          num_gt[c])
                        if num_gt[c] else float('nan'))
        if num_gt[c]:
            ranges[c] = tie_range(d_scores[rows], tp[rows], num_gt[c])
    ranges = {c: r for c, r in ranges.items() if r[0] != r[1]}
    low = {**per_class, **{c: r[0] for c, r in ranges.items()}}
    high = {**per_class, **{c: r[1] for c, r in ranges.items()}}
    out = dict(mAP=_official_mean(per_class, class_ids, n_classes),
               per_class=per_class, num_gt=num_gt, num_det=num_det,
               tie_range=ranges,
               mAP_range=(_official_mean(low, class_ids, n_classes),
                          _official_mean(high, class_ids, n_classes)))
    if keep_hits:
        out['hits'] = hits
    return out


def threshold_at_precision(scores: np.ndarray, tp: np.ndarray, num_gt: int,
                           precision: float) -> Tuple[float, float, float]:
    """The lowest score threshold whose detections reach ``precision``
    (the most recall at that precision): ``(threshold, precision,
    recall)``; ``(inf, best precision, 0)`` when no threshold does. Tied
    scores are kept or dropped together."""
    if not len(scores) or not num_gt:
        return float('inf'), 0.0, 0.0
    order = np.argsort(-scores, kind='stable')
    s, hit = scores[order], tp[order].astype(np.int64)
    last = np.r_[s[1:] != s[:-1], True]  # cut only after a run of ties
    cum = np.cumsum(hit)[last]
    n = np.flatnonzero(last) + 1
    prec, rec = cum / n, cum / num_gt
    ok = np.flatnonzero(prec >= precision)
    if not len(ok):
        return float('inf'), float(prec.max()), 0.0
    i = ok[-1]
    return float(s[last][i]), float(prec[i]), float(rec[i])


def _official_mean(per_class: Dict, class_ids: List[int],
                   n_classes: int) -> float:
    """The official mean: nanmean over one slot per id 1..max id."""
    slots = np.full(n_classes - 1, np.nan)
    slots[np.array(class_ids) - 1] = [per_class[c] for c in class_ids]
    return float(np.nanmean(slots)) if (~np.isnan(slots)).any() else float(
        'nan')


def chance_map(gt: AVABoxes, class_ids: List[int],
               excluded: Optional[Set[str]] = None, draws: int = 10,
               seed: int = 0) -> np.ndarray:
    """The floor a detector must clear: frame-mAP of uniformly random scores
    for every class on every distinct groundtruth box (perfect boxes, no
    knowledge of actions), so each class's AP is about its share of boxes.

    Returns:
        np.ndarray: ``(draws,)`` mAPs, one per draw of scores.
    """
    actors = np.unique(np.c_[gt.key_index, gt.boxes], axis=0)
    key_index = np.repeat(actors[:, 0].astype(np.int64), len(class_ids))
    boxes = np.repeat(actors[:, [2, 1, 4, 3]], len(class_ids), axis=0)
    labels = np.tile(np.asarray(class_ids, np.int64), len(actors))
    rng = np.random.default_rng(seed)
    maps = []
    for _ in range(draws):
        det = group_rows(gt.keys, key_index, boxes, labels,
                         rng.random(len(labels)), set(class_ids),
                         DETECTIONS_PER_KEYFRAME)
        maps.append(frame_map(gt, det, class_ids, excluded)['mAP'])
    return np.array(maps)
