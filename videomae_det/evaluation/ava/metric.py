"""The AVA evaluator as an mmengine metric (mmaction2 ``METRICS``)."""
import csv
import os.path as osp
from typing import List, Optional, Sequence, Union

import numpy as np
from mmaction.registry import METRICS
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from videomae_det_core.ava.evaluate import evaluate
from videomae_det_core.ava.io import (
    DETECTIONS_PER_KEYFRAME,
    group_rows,
    image_key,
    read_rows,
)
from videomae_det_core.ava.report import format_table

from ..dump import keyframe_order


@METRICS.register_module()
class AVAFrameMAP(BaseMetric):
    """AVA frame-mAP @ 0.5 IoU by the official rules (a replacement for
    mmaction2's ``AVAMetric``, whose numbers differ from the official ones).

    Predictions are kept in memory at full precision: no CSV round trip,
    and scored (and written) in (video, timestamp) order, so the figures do
    not depend on the number of ranks or loader workers.
    The metrics are ``mAP/overall`` and ``mAP/AP_<action id>`` per class
    with groundtruth.

    Args:
        ann_file, label_file, exclude_file: The groundtruth CSV, label map
            pbtxt and excluded-timestamps CSV. ``ann_file`` may list
            several CSVs scored as one (AVA-Kinetics val: AVA val and the
            Kinetics part); each part's own mAP is then reported too, as
            ``mAP/<file name>``.
        num_classes: Score columns of the head, background (column 0)
            included: 81 for AVA.
        custom_classes: Action ids of score columns 1.. when the head is
            trained on a subset; default column j is action id j.
        action_thr: Keep class scores above this, as mmaction2.
        out_csv: Also write the detections in the official CSV format
            (video_id, timestamp, x1, y1, x2, y2, action_id, score).
        max_per_keyframe: Detections kept per keyframe, the best first:
            the official evaluator's 50 (default), or 0 for all (how the
            VideoMAE paper's detection code scores).
    """
    default_prefix: Optional[str] = 'mAP'

    def __init__(self, ann_file: Union[str, List[str]], label_file: str,
                 exclude_file: Optional[str] = None, num_classes: int = 81,
                 custom_classes: Optional[List[int]] = None,
                 action_thr: float = 0.002, out_csv: Optional[str] = None,
                 max_per_keyframe: int = DETECTIONS_PER_KEYFRAME,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.ann_file, self.label_file = ann_file, label_file
        self.exclude_file, self.out_csv = exclude_file, out_csv
        self.action_thr, self.max_per_keyframe = action_thr, max_per_keyframe
        self.label_ids = np.array(custom_classes if custom_classes else
                                  range(1, num_classes))
        if len(self.label_ids) != num_classes - 1:
            raise ValueError(f'custom_classes has {len(self.label_ids)} ids '
                             f'but the head has {num_classes - 1} classes')

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            pred = sample['pred_instances']
            boxes = np.clip(np.asarray(pred['bboxes'].cpu(), np.float64),
                            0, 1)
            scores = np.asarray(pred['scores'].float().cpu(), np.float64)
            box_i, col = np.nonzero(scores[:, 1:] > self.action_thr)
            self.results.append(dict(
                key=image_key(sample['video_id'], sample['timestamp']),
                video_id=sample['video_id'],
                timestamp=int(sample['timestamp']), boxes=boxes[box_i],
                labels=self.label_ids[col],
                scores=scores[box_i, col + 1]))

    def compute_metrics(self, results: list) -> dict:
        results = keyframe_order(results)
        if self.out_csv:
            self.write_csv(results, self.out_csv)
        keys = list(dict.fromkeys(r['key'] for r in results))
        position = {k: i for i, k in enumerate(keys)}

        def detections(whitelist, part=None):
            rows = [r for r in results if part is None or r['key'] in part]
            return group_rows(
                keys,
                np.concatenate([np.full(len(r['labels']), position[r['key']])
                                for r in rows] or [np.zeros(0, int)]),
                np.concatenate([r['boxes'] for r in rows] or
                               [np.zeros((0, 4))]),
                np.concatenate([r['labels'] for r in rows] or
                               [np.zeros(0, int)]),
                np.concatenate([r['scores'] for r in rows] or
                               [np.zeros(0)]),
                whitelist, self.max_per_keyframe)

        result = evaluate(detections, self.ann_file, self.label_file,
                          self.exclude_file)
        parts = {}
        if not isinstance(self.ann_file, str):
            for path in self.ann_file:
                part = {image_key(row[0], int(row[1]))
                        for _, row in read_rows(path)}
                name = osp.splitext(osp.basename(path))[0]
                parts[name] = evaluate(
                    lambda w, part=part: detections(w, part), path,
                    self.label_file, self.exclude_file)['mAP']
        result['dropped'].pop('groundtruth')  # the data set reports those
        logger = MMLogger.get_current_instance()
        logger.info('\n' + format_table(result))
        if not result['rows']['detections']:
            logger.warning(f'no detection scored above action_thr='
                           f'{self.action_thr}: mAP is 0')
        # per-class APs beside the mean (classes without groundtruth have
        # none), so they reach the metrics JSON and visualiser backends
        if parts:
            logger.info('per part: ' + ', '.join(
                f'{name} {100 * m:.2f}' for name, m in parts.items()))
        return dict(overall=result['mAP'], **parts, **{
            f'AP_{cid}': ap for cid, ap in result['per_class'].items()
            if not np.isnan(ap)})

    @staticmethod
    def write_csv(results: list, path: str) -> None:
        """Official detection CSV, floats written exactly (``repr``)."""
        with open(path, 'w', newline='') as f:
            writer = csv.writer(f)
            for r in results:
                for box, label, score in zip(r['boxes'], r['labels'],
                                             r['scores']):
                    writer.writerow([r['video_id'], f'{r["timestamp"]:04d}',
                                     *map(repr, map(float, box)), int(label),
                                     repr(float(score))])
