"""Frame-AP: per-frame detections against the boxes of ground-truth tubes.

Two protocols, each the rules of the code whose numbers papers report.

``ucf-jhmdb``, ACT-detector's ``frameAP`` (and MOC-Detector's port), for
UCF101-24 and JHMDB-21:

- boxes in pixels, IoU with the +1-pixel convention (a box from x1 to x2
  covers ``x2 - x1 + 1`` pixels);
- per class, detections in the order ``np.argsort(-scores)`` gives (the
  official call, so tied scores fall as there); each matches, in its
  frame, the still-unmatched ground-truth box of highest IoU (the first
  such box on ties) when that IoU reaches the threshold;
- precision and recall after each detection in float32, from the point
  (recall 0, precision 1); AP is the trapezoid over those points;
- every label counts in the mean. A class with detections but no
  ground truth divides by zero in the official code; here its AP is 0,
  as for a class with neither.

``multisports``, MultiSports' evaluation as mmaction2 ports it
(``multisports_utils.frameAP``):

- IoU without the +1 (a zero-area union, NaN there and so a false
  positive, is IoU 0 here);
- each detection takes the ground-truth box of highest IoU in its frame,
  matched or not: a hit if that box reaches the threshold and is still
  unmatched, else a false positive;
- VOC all-point AP over float64 precision and recall;
- six classes are not evaluated (``MULTISPORTS_EXCLUDED``) and classes
  without ground truth are skipped: both are None and out of the mean
  (None too when nothing is left; the official code returns NaN).

Inputs in the official conventions: detections ``(N, 8)`` rows
``[video_index, frame, label, score, x1, y1, x2, y2]`` (video index into
the split's video list, frames 1-based, labels 0-based);
``gttubes[video][label]`` a list of ``(n, 5)`` arrays ``[frame, x1, y1,
x2, y2]``.
"""
from typing import Dict, List, Optional, Sequence

import numpy as np

PROTOCOLS = ('ucf-jhmdb', 'multisports')
MULTISPORTS_EXCLUDED = (
    'aerobic kick jump', 'aerobic off axis jump', 'aerobic butterfly jump',
    'aerobic balance turn', 'basketball save', 'basketball jump ball')


def iou_matrix(a: np.ndarray, b: np.ndarray, plus_one: bool) -> np.ndarray:
    """IoU of every box of ``a`` ``(..., G, 4)`` with every box of ``b``
    ``(..., D, 4)``: ``(..., G, D)``, with the official codes' arithmetic
    (the +1 added to both right edges before the minimum; a Python float,
    so float32 boxes stay float32), so that results agree to the last
    bit."""
    one = 1.0 if plus_one else 0.0
    a, b = a[..., :, None, :], b[..., None, :, :]
    w = np.maximum(0, np.minimum(a[..., 2] + one, b[..., 2] + one) -
                   np.maximum(a[..., 0], b[..., 0]))
    h = np.maximum(0, np.minimum(a[..., 3] + one, b[..., 3] + one) -
                   np.maximum(a[..., 1], b[..., 1]))
    inter = w * h
    area_a = (a[..., 2] - a[..., 0] + one) * (a[..., 3] - a[..., 1] + one)
    area_b = (b[..., 2] - b[..., 0] + one) * (b[..., 3] - b[..., 1] + one)
    return inter / (area_a + area_b - inter)


def _ground_truth(gttubes: dict, videos: Sequence[str], label: int) -> dict:
    """{(video index, frame): (n, 4) boxes} of one class, in tube order."""
    gt: Dict[tuple, list] = {}
    for iv, video in enumerate(videos):
        for tube in gttubes[video].get(label, []):
            for row in np.asarray(tube):
                gt.setdefault((iv, int(row[0])), []).append(row[1:5])
    return {k: np.array(v, dtype=np.float64) for k, v in gt.items()}


def _positives(dets: np.ndarray, gt: dict, thr: float,
               protocol: str) -> np.ndarray:
    """True where a detection (in the given order) is a hit: ucf-jhmdb
    matches the best still-unmatched ground-truth box of its frame,
    multisports the best box of its frame if that one is unmatched.

    All frames at once: step ``r`` takes the ``r``-th detection of every
    frame against that frame's boxes (padded to the most per frame)."""
    hits = np.zeros(len(dets), bool)
    if not len(dets):
        return hits
    keys = dets[:, 0].astype(np.int64) * (1 << 32) + dets[:, 1].astype(
        np.int64)
    uniq, frame = np.unique(keys, return_inverse=True)
    boxes = [gt.get((int(k >> 32), int(k & 0xffffffff))) for k in uniq]
    width = max((len(b) for b in boxes if b is not None), default=0)
    if not width:
        return hits
    pad = np.zeros((len(uniq), width, 4))
    real = np.zeros((len(uniq), width), bool)
    for i, b in enumerate(boxes):
        if b is not None:
            pad[i, :len(b)], real[i, :len(b)] = b, True
    by_frame = np.argsort(frame, kind='stable')  # score order inside
    first = np.searchsorted(frame[by_frame], np.arange(len(uniq)))
    rank = np.empty(len(dets), np.int64)
    rank[by_frame] = np.arange(len(dets)) - first[frame[by_frame]]
    free = real.copy()
    greedy = protocol == 'multisports'
    for r in range(rank.max() + 1):
        rows = np.flatnonzero(rank == r)
        f = frame[rows]
        with np.errstate(invalid='ignore', divide='ignore'):
            ious = iou_matrix(pad[f], dets[rows, None, 4:8],
                              plus_one=not greedy)[..., 0]
        ious = np.nan_to_num(ious, nan=0.0)
        ious = np.where(real[f] if greedy else free[f], ious, -np.inf)
        best = ious.argmax(1)
        n = np.arange(len(rows))
        hit = (ious[n, best] >= thr) & free[f, best]
        hits[rows[hit]] = True
        free[f[hit], best[hit]] = False
    return hits


def _trapezoid_ap(hits: np.ndarray, total: int) -> float:
    """ACT's: float32 points from (recall 0, precision 1), trapezoids."""
    tp = np.cumsum(hits).astype(np.float64)
    fp = np.cumsum(~hits).astype(np.float64)
    pr = np.empty((len(hits) + 1, 2), dtype=np.float32)
    pr[0] = 1.0, 0.0
    pr[1:, 0] = tp / (tp + fp)
    # tp + fn is the ground-truth count; none: recall stays 0 (AP 0)
    pr[1:, 1] = tp / total if total else 0.0
    prdif = pr[1:, 1] - pr[:-1, 1]
    prsum = pr[1:, 0] + pr[:-1, 0]
    return float(np.sum(prdif * prsum * 0.5))


def _voc_ap(hits: np.ndarray, total: int) -> float:
    """VOC all-point AP (float64): the precision envelope over the points
    where recall changes, from recall 0 to 1."""
    tp = np.cumsum(hits).astype(np.float64)
    fp = np.cumsum(~hits).astype(np.float64)
    recall = np.concatenate([[0], tp / total, [1]])
    precision = np.concatenate([[0], tp / (tp + fp), [0]])
    precision = np.maximum.accumulate(precision[::-1])[::-1]
    changes = np.flatnonzero(recall[1:] != recall[:-1]) + 1
    return float(np.sum((recall[changes] - recall[changes - 1]) *
                        precision[changes]))


def integrate(scores: np.ndarray, hits: np.ndarray, total: int,
              protocol: str, ranges: Optional[dict] = None,
              label: str = '') -> float:
    """AP of hits in the official order (``scores`` descending), by the
    protocol's rule. With ``ranges``: where tied scores straddle hits and
    misses, ``ranges[label]`` = (lowest, highest) AP over the orders of
    the ties (misses first, hits first), matches as the official order
    made them."""
    rule = _voc_ap if protocol == 'multisports' else _trapezoid_ap
    ap = rule(hits, total)
    if ranges is not None and len(hits):
        low = rule(hits[np.lexsort((hits, -scores))], total)
        high = rule(hits[np.lexsort((~hits, -scores))], total)
        if low != high:
            ranges[label] = (low, high)
    return ap


def class_ap(dets: np.ndarray, gt: dict, thr: float = 0.5,
             protocol: str = 'ucf-jhmdb', ranges: Optional[dict] = None,
             label: str = '') -> Optional[float]:
    """One class's frame-AP from its detections and
    :func:`_ground_truth`; None where ``multisports`` skips the class."""
    total = sum(len(v) for v in gt.values())
    if protocol == 'multisports' and not total:
        return None
    order = np.argsort(-dets[:, 3])  # the official call: its tie order
    hits = _positives(dets[order], gt, thr, protocol)
    return integrate(dets[order, 3], hits, total, protocol, ranges, label)


def frame_ap(dets: np.ndarray, gttubes: dict, videos: Sequence[str],
             labels: List[str], protocol: str = 'ucf-jhmdb',
             thr: float = 0.5, ranges: Optional[dict] = None
             ) -> Dict[str, Optional[float]]:
    """Frame-AP per label (fractions in [0, 1]; None for a class the
    protocol does not evaluate) and ``'mAP'`` over the others; tie ranges
    into ``ranges`` (:func:`integrate`)."""
    if protocol not in PROTOCOLS:
        raise ValueError(f'protocol must be one of {PROTOCOLS}, got '
                         f'{protocol!r}')
    dets = np.asarray(dets, dtype=np.float64).reshape(-1, 8)
    out: Dict[str, Optional[float]] = {}
    for ilabel, label in enumerate(labels):
        if protocol == 'multisports' and label in MULTISPORTS_EXCLUDED:
            out[label] = None
            continue
        out[label] = class_ap(dets[dets[:, 2] == ilabel],
                              _ground_truth(gttubes, videos, ilabel), thr,
                              protocol, ranges, label)
    scored = [out[label] for label in labels if out[label] is not None]
    out['mAP'] = float(np.mean(scored)) if scored else None
    return out
