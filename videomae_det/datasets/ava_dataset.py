"""mmaction2's ``AVADataset`` with its files read by our AVA reader.

mmaction2 splits each annotation line itself: a header row, a short row, a
byte-order mark or a box with x2 < x1 then fails deep inside training (or
in a worker), and action ids outside ``custom_classes`` are dropped without
a word. Here the annotation, exclusion, label-map and proposal files are
read when the data set is built, by the reader the evaluator and
``tools/data/ava/check_annotations.py`` use, and every problem is an
:class:`~videomae_det.evaluation.ava.AVAFormatError` naming the file and
line. The data list equals mmaction2's for a well-formed file (tested).

Beyond AVA: timestamps are seconds from each video's start unless the
config gives AVA's segment times (``timestamp_start=900,
timestamp_end=1800``); each video's length comes from the video or its
frame folder (:mod:`videomae_det_core.ava.timing`), and a keyframe outside
its video, a missing video and a keyframe without proposals stop the build
naming them (or, when asked, are left out and counted). Without a proposal
file the annotated boxes are the proposals.
"""
import os.path as osp
from collections import Counter, defaultdict
from typing import Dict, List, Optional

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
from videomae_det_core.ava.timing import learn_spans, missing_videos_error

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
        timestamp_start: The annotation time of each video's first frame
            (frame folder) or, for ``AVAVideoDecode`` without
            ``video_start``, of the video's start: 0 (seconds from the
            start, the default) or AVA's 900.
        timestamp_end: None: every video's own length (learned); a number
            (AVA's 1800): one span for all, as mmaction2, still checked.
        fps: The rate of the frame indices: the frames' extraction rate on
            the frames route (checked against the ``frames.json`` that
            ``tools/data/ava/extract_frames.py`` writes).
        outside_video: A keyframe outside its video: ``'error'`` (naming
            file, line and the video's length) or ``'drop'`` (counted).
        missing_proposals: A keyframe the proposal file lacks: ``'error'``,
            ``'skip'`` (left out, counted) or ``'whole_frame'`` (one
            whole-frame box, mmaction2's fallback, counted).
    """

    def __init__(self, *args, drop_unused_actions: bool = False,
                 timestamp_start: float = 0,
                 timestamp_end: Optional[float] = None, fps: float = 30,
                 outside_video: str = 'error',
                 missing_proposals: str = 'error', **kwargs) -> None:
        for name, value, allowed in (
                ('outside_video', outside_video, ('error', 'drop')),
                ('missing_proposals', missing_proposals,
                 ('error', 'skip', 'whole_frame'))):
            if value not in allowed:
                raise AVAConfigError(f'{name}={value!r}: use one of '
                                     f'{allowed}')
        if float(fps) != int(fps):
            raise AVAConfigError(f'fps={fps}: a whole number (the rate of '
                                 "mmaction2's frame indices; videos of any "
                                 'rate decode by time)')
        fps = int(fps)
        self.drop_unused_actions = drop_unused_actions
        self.outside_video = outside_video
        self.missing_proposals = missing_proposals
        # read in filter_data, where a keyframe without proposals is met
        self._proposal_path = kwargs.pop('proposal_file', None)
        kwargs.update(timestamp_start=timestamp_start,
                      timestamp_end=timestamp_end, fps=fps)
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
        super().__init__(*args, proposal_file=None, **kwargs)
        self.proposal_file = self._proposal_path
        if not hasattr(self, '_proposals'):  # lazy_init: not filtered yet
            self._proposals = self._read_proposals()
        self.proposals = self._proposals

    def _class_of(self) -> Dict[int, int]:
        """Action id -> score column, for the classes in use."""
        if self.custom_classes is not None:  # [0] + custom_classes
            return {a: i for i, a in enumerate(self.custom_classes) if i}
        return {a: a for a in range(1, self.num_classes)}

    def _rows(self) -> List[tuple]:
        """``(line, record)`` per annotation row, checked, whose action id a
        class in use covers; the others are counted and reported
        (:meth:`_report_unused`)."""
        path, column, unused = self.ann_file, self._class_of(), Counter()
        rows = []
        for lineno, row in read_rows(path):
            check_row(row, path, lineno)
            action = int(row[6])
            if action not in column:
                unused[action] += 1
                continue
            rows.append((lineno, dict(
                video_id=row[0], timestamp=int(row[1]),
                entity_box=np.array([float(v) for v in row[2:6]]),
                label=column[action],
                # 7-column groundtruth has no person id
                entity_id=int(row[7]) if len(row) == 8 else -1)))
        if unused:
            self._report_unused(unused)
        return rows

    def load_data_list(self) -> List[dict]:
        """mmaction2's data list, from rows checked line by line."""
        path = self.ann_file
        records = defaultdict(list)
        lines = {}  # keyframe -> its first line
        for lineno, record in self._rows():
            key = image_key(record['video_id'], record['timestamp'])
            lines.setdefault(key, lineno)
            records[key].append(record)
        if not records:
            raise AVAFormatError(f'{path}: no annotation rows')
        shots = self._shots(records, lines) if self.use_frames else {}
        data_list = []
        for key, rows in records.items():
            if self.use_frames and key not in shots:
                continue  # left out (counted in _shots)
            video, stamp = key.split(',')
            boxes, labels, entity_ids = self.parse_img_record(rows)
            prefix = self.data_prefix['img']
            info = dict(frame_dir=video if prefix is None else
                        osp.join(prefix, video), video_id=video,
                        timestamp=int(stamp),
                        img_key=key, shot_info=shots.get(key),
                        fps=self._FPS,
                        ann=dict(gt_bboxes=boxes, gt_labels=labels,
                                 entity_ids=entity_ids))
            if not self.use_frames:
                info['filename'] = info.pop('frame_dir')
            data_list.append(info)
        return data_list

    def _video_decode(self):
        """The pipeline's ``AVAVideoDecode`` (the video route), or None."""
        from .ava_video import AVAVideoDecode
        return next((t for t in getattr(self.pipeline, 'transforms', [])
                     if isinstance(t, AVAVideoDecode)), None)

    def _shots(self, records: dict, lines: Dict[str, int]) -> dict:
        """{keyframe: ``shot_info``} for the keyframes inside their videos,
        which are learned here (see :mod:`videomae_det_core.ava.timing`)."""
        root = self.data_prefix['img'] or ''
        videos = {key.split(',')[0] for key in records}
        decode = self._video_decode()
        spans, bad = learn_spans(
            videos, root, self._FPS, self.timestamp_start,
            decode and decode.suffix, decode and decode.video_start,
            self.filename_tmpl)
        if bad and not getattr(self, 'skip_bad_samples', False):
            raise missing_videos_error(bad, len(videos), root, self.ann_file)
        fixed = None if self.timestamp_end is None else (
            0, int((self.timestamp_end - self.timestamp_start) * self._FPS))
        shots, outside, gone = {}, [], 0
        for key in records:
            video, stamp = key.split(',')
            span = spans.get(video)
            if span is None:
                gone += 1
                continue
            if not 0 <= int(stamp) - span.origin < span.seconds:
                outside.append((key, span))
                continue
            shots[key] = fixed or (0, span.index_span(self._FPS))
        if gone:
            print_log(f'{self.ann_file}: {gone} keyframes of {len(bad)} '
                      'unreadable videos left out (skip_bad_samples=True)',
                      logger='current', level=30)
        if outside:
            self._report_outside(outside, lines)
        return shots

    def _report_outside(self, outside: list, lines: Dict[str, int]) -> None:
        key, span = outside[0]
        video, stamp = key.split(',')
        at = int(stamp) - span.origin
        hint = ''
        if int(stamp) >= 900 and span.origin == 0:
            hint = ('; AVA segment times? set timestamp_start=900 and '
                    'timestamp_end=1800 in the dataset')
        elif span.origin >= 900 and int(stamp) < span.origin:
            hint = ('; the timestamps look like seconds from the video\'s '
                    'start: set timestamp_start=0 (the default) and '
                    'timestamp_end=None')
        message = (f'{self.ann_file}:{lines[key]}: keyframe {int(stamp)} s '
                   f'of video {video!r} is {at:g} s into it, outside its '
                   f'{span.describe()} (timestamp_start='
                   f'{self.timestamp_start:g}){hint}; {len(outside)} '
                   'keyframes lie outside their videos')
        if self.outside_video == 'error':
            raise AVAFormatError(message + " (outside_video='drop' leaves "
                                 'them out, counted)')
        print_log(message + ": left out (outside_video='drop')",
                  logger='current', level=30)

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
        """Leave out the excluded keyframes (file read by our reader), and
        apply ``missing_proposals``."""
        excluded = read_exclusions(self.exclude_file)
        kept = [d for d in self.data_list if d['img_key'] not in excluded]
        print_log(f'{len(kept)} out of {len(self.data_list)} frames are '
                  'valid.', logger='current')
        self._proposals = self._read_proposals()
        if self._proposals is None:
            return kept
        lacking = [d['img_key'] for d in kept
                   if d['img_key'] not in self._proposals]
        if not lacking:
            return kept
        message = (f'{self._proposal_path}: {len(lacking)} of {len(kept)} '
                   f'keyframes of {self.ann_file} have no proposals: '
                   f'{", ".join(lacking[:5])}'
                   f'{" ..." if len(lacking) > 5 else ""}')
        if self.missing_proposals == 'error':
            raise AVAFormatError(
                message + "; missing_proposals='skip' leaves them out, "
                "'whole_frame' scores one whole-frame box (mmaction2)")
        print_log(f'{message}: {self.missing_proposals} '
                  f"(missing_proposals={self.missing_proposals!r})",
                  logger='current', level=30)
        if self.missing_proposals == 'skip':
            kept = [d for d in kept if d['img_key'] in self._proposals]
        return kept

    def _read_proposals(self) -> Optional[dict]:
        if self._proposal_path is None:
            return None
        from mmaction.datasets import ava_dataset
        return ava_dataset.load(self._proposal_path)  # plain-data reader

    def get_data_info(self, idx: int) -> dict:
        """mmaction2's, with the annotated boxes as the proposals when
        there is no proposal file."""
        info = super().get_data_info(idx)
        if self.proposals is None:
            info['proposals'] = info['gt_bboxes'].copy()
            info['scores'] = np.ones(len(info['gt_bboxes']), np.float32)
        return info
