"""AlphAction's person detections (the boxes the VideoMAE paper's AVA
detector is tested on) as AVA proposals.

AlphAction's ``ava_val_det_person_bbox.json`` is a COCO-style list of
``{"image_id", "bbox": [x, y, w, h], "score", ...}`` in pixels of its
keyframes; its annotation JSON (``ava_val_v2.2_min.json``) maps each
``image_id`` to ``movie``, ``timestamp``, ``width`` and ``height``.
"""
import json
from typing import Dict

import numpy as np

from .io import AVAFormatError, image_key


def alphaction_proposals(dets_path: str, ann_path: str,
                         thr: float = 0.8) -> Dict[str, np.ndarray]:
    """``{'movie,timestamp': (n, 5) float32}`` normalised ``x1, y1, x2, y2,
    score`` for detections scoring at least ``thr`` (the official test
    keeps >= 0.8; a keyframe left without boxes is absent). Corners as the
    official ``BoxList.convert('xyxy')``: ``x2 = x + max(w - 1, 0)``.

    Raises:
        AVAFormatError: A detection whose ``image_id`` the annotation does
            not know, or a malformed entry, naming it.
    """
    with open(ann_path) as f:
        ann = json.load(f)
    try:
        images = {im['id']: im for im in ann['images']}
    except (KeyError, TypeError):
        raise AVAFormatError(f'{ann_path}: an AlphAction annotation JSON has '
                             "'images' with id, movie, timestamp, width, "
                             'height') from None
    with open(dets_path) as f:
        dets = json.load(f)
    out: Dict[str, list] = {}
    for i, det in enumerate(dets):
        try:
            im = images[det['image_id']]
            x, y, w, h = map(float, det['bbox'])
            score = float(det['score'])
        except KeyError as err:
            raise AVAFormatError(f'{dets_path}: entry {i}: unknown image_id '
                                 f'or missing {err}') from None
        except (TypeError, ValueError):
            raise AVAFormatError(f'{dets_path}: entry {i}: bbox [x, y, w, '
                                 f'h] and score numbers, got {det}') from None
        if score < thr:
            continue
        W, H = float(im['width']), float(im['height'])
        box = [x / W, y / H, (x + max(w - 1, 0)) / W, (y + max(h - 1, 0)) / H]
        out.setdefault(image_key(im['movie'], int(im['timestamp'])),
                       []).append(np.clip(box, 0, 1).tolist() + [score])
    return {k: np.array(v, np.float32) for k, v in out.items()}
