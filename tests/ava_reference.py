"""A plain loop-per-keyframe implementation of the official AVA rules, for
tests only: readable, slow, independent of the vectorised evaluator."""
import csv
import heapq

import numpy as np


def read_rows(path, whitelist, capacity):
    heaps = {}
    with open(path) as f:
        for row in csv.reader(f):
            label = int(row[6])
            if label not in whitelist:
                continue
            key = f'{row[0]},{int(row[1]):04d}'
            x1, y1, x2, y2 = (float(v) for v in row[2:6])
            score = float(row[7]) if len(row) == 8 else 1.0
            heap = heaps.setdefault(key, [])
            item = (score, label, y1, x1, y2, x2)
            if capacity < 1 or len(heap) < capacity:
                heapq.heappush(heap, item)
            elif score > heap[0][0]:
                heapq.heapreplace(heap, item)
    return {k: sorted(h, key=lambda t: -t[0]) for k, h in heaps.items()}


def iou(a, b):
    ih = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iw = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ih * iw
    area_a = (a[2] - a[0]) * (a[3] - a[1])
    area_b = (b[2] - b[0]) * (b[3] - b[1])
    return inter / ((area_a + area_b) - inter)


def evaluate(gt_path, det_path, class_ids, excluded=()):
    whitelist = set(class_ids)
    gt = {k: v for k, v in read_rows(gt_path, whitelist, 0).items()
          if k not in excluded}
    det = {k: v for k, v in read_rows(det_path, whitelist, 50).items()
           if k not in excluded}
    num_gt = {c: 0 for c in class_ids}
    for rows in gt.values():
        for r in rows:
            num_gt[r[1]] += 1
    scores = {c: [] for c in class_ids}
    hits = {c: [] for c in class_ids}
    for key, rows in det.items():
        rows = [r for r in rows if r[2] < r[4] and r[3] < r[5]]
        for c in class_ids:
            dets = [r for r in rows if r[1] == c]
            gts = [r for r in gt.get(key, []) if r[1] == c]
            matched = [False] * len(gts)
            for d in dets:
                tp = False
                if gts:
                    ious = [iou(d[2:], g[2:]) for g in gts]
                    best = int(np.argmax(ious))
                    if ious[best] >= 0.5 and not matched[best]:
                        matched[best] = tp = True
                scores[c].append(d[0])
                hits[c].append(tp)
    aps = {}
    for c in class_ids:
        if num_gt[c] == 0:
            aps[c] = float('nan')
            continue
        if not scores[c]:
            aps[c] = 0.0
            continue
        order = np.argsort(np.array(scores[c]))[::-1]
        tp = np.array(hits[c]).astype(int)[order]
        ctp, cfp = np.cumsum(tp), np.cumsum(1 - tp)
        precision = list(ctp.astype(float) / (ctp + cfp))
        recall = list(ctp.astype(float) / num_gt[c])
        recall = [0.0] + recall + [1.0]
        precision = [0.0] + precision + [0.0]
        for i in range(len(precision) - 2, -1, -1):
            precision[i] = max(precision[i], precision[i + 1])
        ap = 0.0
        terms = [(recall[i] - recall[i - 1]) * precision[i]
                 for i in range(1, len(recall)) if recall[i] != recall[i - 1]]
        ap = float(np.sum(np.array(terms))) if terms else 0.0
        aps[c] = ap
    values = [v for v in aps.values() if v == v]
    slots = np.full(max(class_ids), np.nan)
    for c, v in aps.items():
        slots[c - 1] = v
    return dict(mAP=float(np.nanmean(slots)) if values else float('nan'),
                per_class=aps)
