"""Greedy non-maximum suppression of person boxes (every source)."""
from typing import Optional

import numpy as np


def nms(boxes: np.ndarray, iou: Optional[float]) -> np.ndarray:
    """Greedy non-maximum suppression of ``(N, 5)`` boxes by score (``iou``
    None: the boxes as they are)."""
    import torch
    from mmcv.ops import nms as mmcv_nms
    if iou is None or not len(boxes):
        return boxes
    _, keep = mmcv_nms(torch.as_tensor(boxes[:, :4], dtype=torch.float32),
                       torch.as_tensor(boxes[:, 4], dtype=torch.float32),
                       iou)
    return boxes[keep.numpy()]
