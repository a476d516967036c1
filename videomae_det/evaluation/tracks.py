"""How good are person boxes and tracks: detection recall and precision at
IoU 0.5, and the identity metrics of multi-object tracking (IDF1, ID
switches; Ristani et al. 2016, as MOTChallenge reports them).

A sequence is a list of frames; a frame is ``(gt_boxes (G, 4), gt_ids
(G,), boxes (D, 4), ids (D,))`` with ids ``-1`` for untracked boxes.
"""
from collections import defaultdict
from typing import Dict, List, Tuple

import numpy as np
from scipy.optimize import linear_sum_assignment

Frame = Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``(A, B)`` IoU of ``(A, 4)`` and ``(B, 4)`` x1, y1, x2, y2 boxes."""
    a, b = np.asarray(a, float).reshape(-1, 4), np.asarray(b, float).reshape(
        -1, 4)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=2)
    area = lambda x: np.prod(x[:, 2:] - x[:, :2], axis=1)  # noqa: E731
    return inter / (area(a)[:, None] + area(b)[None] - inter + 1e-12)


def match(gt: np.ndarray, boxes: np.ndarray, thr: float = 0.5) -> List[
        Tuple[int, int]]:
    """One-to-one (gt, box) pairs maximising IoU, each at least ``thr``."""
    if not len(gt) or not len(boxes):
        return []
    overlap = iou(gt, boxes)
    rows, cols = linear_sum_assignment(-overlap)
    return [(r, c) for r, c in zip(rows, cols) if overlap[r, c] >= thr]


def box_and_track_metrics(sequences: List[List[Frame]],
                          thr: float = 0.5) -> Dict[str, float]:
    """Recall, precision, IDF1, ID switches over several sequences."""
    hits = num_gt = num_det = switches = 0
    idtp = 0
    for frames in sequences:
        pair_count: Dict[tuple, int] = defaultdict(int)
        last: Dict[int, int] = {}
        for gt, gt_ids, boxes, ids in frames:
            pairs = match(gt, boxes, thr)
            hits += len(pairs)
            num_gt += len(gt)
            num_det += len(boxes)
            for g, d in pairs:
                person, track = int(gt_ids[g]), int(ids[d])
                if track < 0:
                    continue
                pair_count[person, track] += 1
                if person in last and last[person] != track:
                    switches += 1
                last[person] = track
        # identities: the one-to-one person <-> track map with most matches
        people = sorted({p for p, _ in pair_count})
        tracks = sorted({t for _, t in pair_count})
        if people:
            counts = np.zeros((len(people), len(tracks)))
            for (p, t), n in pair_count.items():
                counts[people.index(p), tracks.index(t)] = n
            rows, cols = linear_sum_assignment(-counts)
            idtp += counts[rows, cols].sum()
    return dict(recall=hits / max(num_gt, 1),
                precision=hits / max(num_det, 1),
                idf1=2 * idtp / max(num_gt + num_det, 1),
                id_switches=switches, gt_boxes=num_gt, boxes=num_det)
