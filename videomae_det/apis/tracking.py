"""Person tracks across keyframes with mmdet's ``ByteTracker``.

Keyframes are a second apart, so the tracker's Kalman filter predicts one
keyframe ahead; boxes are matched by IoU (weighted by the detection score)
in ByteTrack's two rounds, high-scoring boxes first. A box the tracker
leaves out (a low score that matched nothing) keeps ``None`` as its id and
is still scored.
"""
from typing import List, Optional

import numpy as np
import torch


class KeyframeTracker:
    """Track ids for each keyframe's person boxes.

    Args:
        high, low: ByteTrack's score thresholds of its two matching rounds.
        init: Score a box needs to start a track.
        retain: Keyframes a lost track is kept for.
        tentatives: Keyframes a new track needs to be confirmed.
    """

    def __init__(self, high: float = 0.5, low: float = 0.1,
                 init: float = 0.5, retain: int = 3,
                 tentatives: int = 2) -> None:
        from mmdet.models.trackers import ByteTracker
        from mmdet.utils import register_all_modules
        register_all_modules(init_default_scope=False)
        self.tracker = ByteTracker(
            motion=dict(type='KalmanFilter', _scope_='mmdet'),
            obj_score_thrs=dict(high=high, low=low), init_track_thr=init,
            weight_iou_with_det_scores=True,
            match_iou_thrs=dict(high=0.1, low=0.5, tentative=0.3),
            num_tentatives=tentatives, num_frames_retain=retain)
        self.frame = 0

    def __call__(self, boxes: np.ndarray, shape) -> List[Optional[int]]:
        """Ids for ``(N, 5)`` normalised boxes with scores in a frame of
        ``shape`` (H, W), in the boxes' order."""
        from mmdet.structures import DetDataSample
        from mmengine.structures import InstanceData
        h, w = shape[:2]
        pixels = torch.as_tensor(np.asarray(boxes)[:, :4] * [w, h, w, h],
                                 dtype=torch.float32).reshape(-1, 4)
        sample = DetDataSample(metainfo=dict(frame_id=self.frame))
        sample.pred_instances = InstanceData(
            bboxes=pixels,
            scores=torch.as_tensor(np.asarray(boxes)[:, 4].clip(0, 1),
                                   dtype=torch.float32).reshape(-1),
            labels=torch.zeros(len(pixels), dtype=torch.long))
        out = self.tracker.track(sample)
        self.frame += 1
        ids: List[Optional[int]] = [None] * len(pixels)
        for box, track in zip(out.bboxes, out.instances_id.tolist()):
            same = (pixels == box).all(1).nonzero().flatten().tolist()
            for i in same:  # the tracker returns the boxes it kept
                if ids[i] is None:
                    ids[i] = int(track)
                    break
        return ids
