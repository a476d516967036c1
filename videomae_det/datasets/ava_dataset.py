"""mmaction2's ``AVADataset`` with its files read by our AVA reader.

mmaction2 splits each annotation line itself: a header row, a short row, a
byte-order mark or a box with x2 < x1 then fails deep inside training (or
in a worker), and action ids outside ``custom_classes`` are dropped without
a word. Here the annotation, exclusion, label-map and proposal files are
read when the data set is built, by the reader the evaluator and
``tools/data/ava/check_annotations.py`` use, and every problem is an
:class:`~videomae_det.evaluation.ava.AVAFormatError` naming the file and
line. The data list equals mmaction2's for a well-formed file (tested).
"""
import os.path as osp
from collections import Counter, defaultdict
from typing import Dict, List

import numpy as np
from mmaction.datasets import AVADataset
from mmaction.registry import DATASETS
from mmengine.logging import print_log

from videomae_det_core.ava.io import (
    AVAFormatError,
    check_row,
    image_key,
    read_exclusions,
    read_label_map,
    read_rows,
)

from .ava_checks import AVAConfigError
from .bad_samples import BadSampleMixin
from .seeded import SeededSamplesMixin


@DATASETS.register_module()
class CheckedAVADataset(SeededSamplesMixin, BadSampleMixin, AVADataset):
    """``AVADataset`` (same arguments) that checks its files at build time,
    and whose missing frames or undecodable clips name their folder or
    video (or are skipped with ``skip_bad_samples=True``).

    Args:
        drop_unused_actions: Annotation rows whose action id no class in
            use covers (outside ``custom_classes``, or not in 1 ..
            ``num_classes - 1``) stop the build with their counts per id;
            with True they are dropped and the counts logged.
    """

    def __init__(self, *args, drop_unused_actions: bool = False,
                 **kwargs) -> None:
        self.drop_unused_actions = drop_unused_actions
        custom, label_file = kwargs.get('custom_classes'), kwargs.get(
            'label_file')
        if custom is not None and label_file:
            _, ids = read_label_map(label_file)  # errors with their line
            missing = sorted(set(custom) - ids)
            if missing or 0 in custom:
                raise AVAConfigError(
                    f'custom_classes {missing or [0]} are not action ids '
                    f'of the label map {label_file}')
            if kwargs.get('num_classes', 81) != len(custom) + 1:
                raise AVAConfigError(
                    f'custom_classes has {len(custom)} ids, so num_classes '
                    f'must be {len(custom) + 1}, not '
                    f'{kwargs.get("num_classes", 81)}')
        super().__init__(*args, **kwargs)

    def _class_of(self) -> Dict[int, int]:
        """Action id -> score column, for the classes in use."""
        if self.custom_classes is not None:  # [0] + custom_classes
            return {a: i for i, a in enumerate(self.custom_classes) if i}
        return {a: a for a in range(1, self.num_classes)}

    def load_data_list(self) -> List[dict]:
        """mmaction2's data list, from rows checked line by line."""
        path = self.ann_file
        column = self._class_of()
        records, unused = defaultdict(list), Counter()
        span = (0, (self.timestamp_end - self.timestamp_start) * self._FPS)
        for lineno, row in read_rows(path):
            check_row(row, path, lineno)
            action = int(row[6])
            if action not in column:
                unused[action] += 1
                continue
            video, stamp = row[0], int(row[1])
            records[image_key(video, stamp)].append(dict(
                video_id=video, timestamp=stamp,
                entity_box=np.array([float(v) for v in row[2:6]]),
                label=column[action],
                # 7-column groundtruth has no person id
                entity_id=int(row[7]) if len(row) == 8 else -1,
                shot_info=span if self.use_frames else None))
        if unused:
            self._report_unused(unused)
        if not records:
            raise AVAFormatError(f'{path}: no annotation rows')
        data_list = []
        for key, rows in records.items():
            video, stamp = key.split(',')
            boxes, labels, entity_ids = self.parse_img_record(rows)
            prefix = self.data_prefix['img']
            info = dict(frame_dir=video if prefix is None else
                        osp.join(prefix, video), video_id=video,
                        timestamp=int(stamp),
                        img_key=key, shot_info=rows[0]['shot_info'],
                        fps=self._FPS,
                        ann=dict(gt_bboxes=boxes, gt_labels=labels,
                                 entity_ids=entity_ids))
            if not self.use_frames:
                info['filename'] = info.pop('frame_dir')
            data_list.append(info)
        return data_list

    def _report_unused(self, unused: Counter) -> None:
        counts = ', '.join(f'id {a}: {n}' for a, n in sorted(unused.items()))
        uses = (f'custom_classes={list(self.custom_classes[1:])}'
                if self.custom_classes is not None else
                f'num_classes={self.num_classes} (ids 1-'
                f'{self.num_classes - 1})')
        message = (f'{self.ann_file}: {sum(unused.values())} annotation '
                   f'rows have action ids that no class in use covers '
                   f'({uses}): {counts}')
        if not self.drop_unused_actions:
            raise AVAConfigError(
                f'{message}. Add the ids to the classes, or set '
                'drop_unused_actions=True in the dataset to train without '
                'those rows')
        print_log(f'{message}: dropped (drop_unused_actions=True)',
                  logger='current', level=30)

    def filter_data(self) -> List[dict]:
        """Leave out the excluded keyframes (file read by our reader)."""
        excluded = read_exclusions(self.exclude_file)
        kept = [d for d in self.data_list if d['img_key'] not in excluded]
        print_log(f'{len(kept)} out of {len(self.data_list)} frames are '
                  'valid.', logger='current')
        return kept
