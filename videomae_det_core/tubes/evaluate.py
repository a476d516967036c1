"""Frame-mAP and video-mAP of one run, in one call (the CLI's)."""
from typing import Dict, List, Optional

import numpy as np

from .frame_ap import frame_ap
from .video_ap import video_ap

# video-mAP thresholds each protocol's papers report; ranges are means
VIDEO_THRESHOLDS = {
    'ucf-jhmdb': {'0.2': [0.2], '0.5': [0.5], '0.75': [0.75],
                  '0.5:0.95': list(np.arange(10) * 0.05 + 0.5)},
    'multisports': {'0.2': [0.2], '0.5': [0.5],
                    '0.05:0.45': list(np.arange(9) * 0.05 + 0.05),
                    '0.1:0.9': list(np.arange(9) * 0.1 + 0.1),
                    '0.5:0.95': list(np.arange(10) * 0.05 + 0.5)},
}


def evaluate(gt: dict, videos: List[str], dets: np.ndarray,
             protocol: str, tubes: Optional[dict] = None) -> dict:
    """``frame_mAP``, per-class ``frame_AP``, and with ``tubes`` the
    ``video_mAP`` (keyed by threshold or range) and per-class
    ``video_AP``; fractions in [0, 1], None where the protocol leaves a
    class out."""
    labels = list(gt['labels'])
    frame = frame_ap(dets, gt['gttubes'], videos, labels, protocol)
    out: Dict[str, object] = dict(
        protocol=protocol, frame_mAP=frame.pop('mAP'), frame_AP=frame)
    if tubes is None:
        return out
    video_map, per_class = {}, {}
    for key, thresholds in VIDEO_THRESHOLDS[protocol].items():
        runs = [video_ap(tubes, gt['gttubes'], videos, labels, protocol,
                         float(t)) for t in thresholds]
        maps = [r.pop('mAP') for r in runs]
        video_map[key] = None if None in maps else float(np.mean(maps))
        if len(thresholds) == 1:
            per_class[key] = runs[0]
    out.update(video_mAP=video_map, video_AP=per_class)
    return out
