"""Frame-mAP and video-mAP of UCF101-24, JHMDB-21 and MultiSports as an
mmengine metric (mmaction2 ``METRICS``), on the torch-free evaluator of
:mod:`videomae_det_core.tubes`."""
import os.path as osp
import pickle
from typing import Optional, Sequence

import numpy as np
from mmaction.registry import METRICS
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from videomae_det_core.tubes import PROTOCOLS, link_tubes
from videomae_det_core.tubes.evaluate import annotated_frames, evaluate
from videomae_det_core.tubes.io import (
    TubeFormatError,
    read_ground_truth,
    split_videos,
)


@METRICS.register_module()
class TubeMAP(BaseMetric):
    """Frame-mAP@0.5 and, with linking, video-mAP at the protocol's
    thresholds, by the official rules of ``protocol``.

    Each prediction is one frame of one test video (``video_id`` its key
    in the annotation, an extension dropped; ``timestamp`` its 1-based
    frame); boxes normalised as mmaction2's RoI heads give them, scaled to
    pixels by the annotation's ``resolution``. Metrics: ``frame_mAP``,
    ``video_mAP@<threshold or range>`` and ``frame_AP/<class>``.

    Args:
        ann_file: The ACT annotation pickle.
        protocol: ``'ucf-jhmdb'`` or ``'multisports'``.
        split: Test split, 0-based (JHMDB has 3).
        background: Score column 0 is the background class (mmaction2's
            heads); class ``i`` is then column ``i + 1``.
        labels_per_box: ``'all'``: a detection per class scoring over
            ``score_thr`` (per-class detections, as ACT/MOC write them);
            ``'argmax'``: the top class only (mmaction2's
            ``MultiSportsMetric``).
        score_thr: Lowest class score kept with ``'all'``.
        frames: The frame-mAP protocol: ``'all'`` (detections on every
            frame count, false positives on frames nobody acts in too: ACT
            and MOC) or ``'annotated'`` (only frames with a ground-truth
            box: YOWO, mmaction2's MultiSports validation). Video-mAP links
            every frame either way.
        link: Link frames into tubes and report video-mAP.
        out_dets: Also write the frame detections, an ``(N, 8)`` pickle
            that ``tools/eval_tubes.py`` reads.
    """
    default_prefix: Optional[str] = 'tubes'

    def __init__(self, ann_file: str, protocol: str = 'ucf-jhmdb',
                 split: int = 0, background: bool = True,
                 labels_per_box: str = 'all', score_thr: float = 0.01,
                 frames: str = 'all', link: bool = True,
                 out_dets: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if protocol not in PROTOCOLS:
            raise ValueError(f'protocol must be one of {PROTOCOLS}, got '
                             f'{protocol!r}')
        if labels_per_box not in ('all', 'argmax'):
            raise ValueError("labels_per_box must be 'all' or 'argmax', "
                             f'got {labels_per_box!r}')
        if frames not in ('all', 'annotated'):
            raise ValueError("frames must be 'all' or 'annotated', got "
                             f'{frames!r}')
        self.frames = frames
        self.gt = read_ground_truth(ann_file)
        self.videos = split_videos(self.gt, split, ann_file)
        self.index = {v: i for i, v in enumerate(self.videos)}
        self.protocol, self.background = protocol, background
        self.labels_per_box, self.score_thr = labels_per_box, score_thr
        self.link, self.out_dets = link, out_dets
        self.ann_file = ann_file

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            video = osp.splitext(sample['video_id'])[0]
            if video not in self.index:
                raise TubeFormatError(
                    f'{self.ann_file}: video {video!r} of a prediction is '
                    'not in the test split')
            h, w = self.gt['resolution'][video]
            pred = sample['pred_instances']
            boxes = np.asarray(pred['bboxes'].float().cpu(), np.float64)
            boxes = boxes.clip(0, 1) * [w, h, w, h]
            scores = np.asarray(pred['scores'].float().cpu(), np.float64)
            scores = scores[:, 1:] if self.background else scores
            if self.labels_per_box == 'argmax':
                box_i = np.arange(len(scores))
                label = scores.argmax(1)
            else:
                box_i, label = np.nonzero(scores > self.score_thr)
            self.results.append(np.column_stack([
                np.full(len(box_i), self.index[video]),
                np.full(len(box_i), int(sample['timestamp'])), label,
                scores[box_i, label], boxes[box_i]]).reshape(-1, 8))

    def compute_metrics(self, results: list) -> dict:
        dets = np.concatenate(results) if results else np.zeros((0, 8))
        # (video, frame) order whatever the ranks and loader workers, so
        # score ties rank alike; a frame's rows keep theirs (stable sort)
        dets = dets[np.lexsort((dets[:, 1], dets[:, 0]))]
        if self.out_dets:
            with open(self.out_dets, 'wb') as f:
                pickle.dump(dets, f)
        labels = list(self.gt['labels'])
        tubes = link_tubes(dets, self.videos, self.gt['nframes'],
                           len(labels), self.protocol) if self.link else None
        if self.frames == 'annotated':
            dets = dets[annotated_frames(self.gt, self.videos, dets)]
        res = evaluate(self.gt, self.videos, dets, self.protocol, tubes)
        metrics = {'frame_mAP': res['frame_mAP']}
        metrics.update({f'video_mAP@{k}': v
                        for k, v in res.get('video_mAP', {}).items()})
        MMLogger.get_current_instance().info(
            f'{self.protocol} ({self.frames} frames): ' + ', '.join(
                f'{k} {100 * v:.2f}' for k, v in metrics.items()
                if v is not None))
        metrics.update({f'frame_AP/{k}': v
                        for k, v in res['frame_AP'].items()})
        return {k: v for k, v in metrics.items() if v is not None}
