"""UCF101-24, JHMDB-21 and MultiSports as an mmaction2 dataset: the ACT
annotation pickle read once (no code runs, every tube checked), one sample
per keyframe in the form mmaction2's AVA pipeline takes (``SampleAVAFrames``
with ``fps=1``: a keyframe's ``timestamp`` is its 1-based frame), so the
person-box RoI head trains and tests on it unchanged.

Frames come from frame folders (``<root>/<video>/00001.jpg``, 1-based; set
``filename_tmpl``) or, with ``video_suffix``, straight from the videos
through :class:`~videomae_det.datasets.AVAVideoDecode` with
``units='frames'``. Boxes are normalised by the annotation's
``resolution`` (the decoders scale them to the frames read).
"""
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Optional

import numpy as np
from mmaction.datasets import BaseActionDataset
from mmaction.registry import DATASETS
from mmengine.logging import print_log

from videomae_det_core.proposals import load_plain
from videomae_det_core.tubes.io import (
    TubeFormatError,
    proposal_key,
    read_ground_truth,
    rekey_boxes,
    split_of,
    tube_problems,
)

from .bad_samples import BadSampleMixin
from .seeded import SeededSamplesMixin


@DATASETS.register_module()
class TubeDataset(SeededSamplesMixin, BadSampleMixin, BaseActionDataset):
    """One sample per keyframe of the ``split``-th ``subset`` videos of an
    ACT annotation pickle.

    Args:
        ann_file: The annotation pickle (Python 2 pickles read too).
        pipeline: mmaction2's AVA pipeline: ``SampleAVAFrames`` then
            ``RawFrameDecode`` (frames) or ``AVAVideoDecode(units='frames')``.
        split: Split index, 0-based (JHMDB-21 has 3, the others 1).
        subset: ``'train'`` (``train_videos``) or ``'test'``.
        data_prefix: ``dict(img=root)`` of the frame folders or videos.
        filename_tmpl: Frame file names, 1-based (UCF101-24 ``'{:05d}.jpg'``,
            JHMDB-21 ``'{:05d}.png'``).
        video_suffix: Read ``<root>/<video><suffix>`` instead of frames.
        keyframes: ``'annotated'`` (frames with a ground-truth box: the
            training default, and the YOWO / mmaction2 MultiSports test
            protocol) or ``'all'`` (every frame: the ACT/MOC test protocol,
            the test default).
        keyframe_stride: Keep frames ``1, 1 + k, 1 + 2k, ...`` only.
        proposal_file: Person boxes, ``{'<video>,<frame>': (n, 4|5)}``
            normalised (x1, y1, x2, y2[, score]); the key's video may carry
            an extension or only the video's base name (MultiSports'
            released files), its frame any zero padding. None: the
            ground-truth boxes (score 1). Keyframes without boxes are left
            out, counted in the log (they can hold no detection).
        proposal_score_thr: Boxes scoring below are dropped.
        num_classes: Score columns: the labels plus background column 0.
        box_outside: A ground-truth box outside its frame (by more than a
            pixel): ``'error'`` (named) or ``'clip'``.
    """

    def __init__(self, ann_file: str, pipeline: list, split: int = 0,
                 subset: str = 'train', data_prefix: Optional[dict] = None,
                 filename_tmpl: str = '{:05d}.jpg',
                 video_suffix: Optional[str] = None,
                 keyframes: Optional[str] = None, keyframe_stride: int = 1,
                 proposal_file: Optional[str] = None,
                 proposal_score_thr: float = 0.0,
                 num_classes: Optional[int] = None,
                 box_outside: str = 'error', **kwargs) -> None:
        keyframes = keyframes or ('annotated' if subset == 'train' else 'all')
        for name, value, allowed in (
                ('keyframes', keyframes, ('annotated', 'all')),
                ('box_outside', box_outside, ('error', 'clip'))):
            if value not in allowed:
                raise ValueError(f'{name}={value!r}: use one of {allowed}')
        if keyframe_stride < 1:
            raise ValueError(f'keyframe_stride={keyframe_stride}: at least 1')
        self.gt = read_ground_truth(ann_file)
        self.split, self.subset = split, subset
        self.videos = split_of(self.gt, split, subset, ann_file)
        labels = len(self.gt['labels'])
        if num_classes is not None and num_classes != labels + 1:
            raise ValueError(f'num_classes={num_classes}: {ann_file} has '
                             f'{labels} labels, so {labels + 1} with the '
                             'background column')
        self.filename_tmpl, self.video_suffix = filename_tmpl, video_suffix
        self.keyframes, self.keyframe_stride = keyframes, keyframe_stride
        self.proposal_file = proposal_file
        self.proposal_score_thr = proposal_score_thr
        self.box_outside = box_outside
        super().__init__(ann_file, pipeline,
                         data_prefix=data_prefix or dict(img=''),
                         num_classes=labels + 1, **kwargs)

    # -- the annotation -------------------------------------------------
    def _check(self) -> None:
        path = self.ann_file
        slack = np.inf if self.box_outside == 'clip' else 1.0
        problems = tube_problems(self.gt, self.videos, path, slack)
        if problems:
            more = f' (and {len(problems) - 5} more)' if len(
                problems) > 5 else ''
            hint = (" (box_outside='clip' clips boxes to the frame)"
                    if any('outside the' in p for p in problems) else '')
            raise TubeFormatError('; '.join(problems[:5]) + more + hint)
        root = self.data_prefix['img'] or ''
        missing = [v for v in self.videos if not (
            osp.isfile(osp.join(root, v) + self.video_suffix)
            if self.video_suffix else osp.isdir(osp.join(root, v)))]
        if missing:
            what = f'videos ({self.video_suffix})' if self.video_suffix \
                else 'frame folders'
            raise TubeFormatError(
                f'{path}: {len(missing)} of the {len(self.videos)} '
                f'{self.subset} videos of split {self.split} have no '
                f'{what} under {root!r}: {", ".join(missing[:5])}'
                f'{" ..." if len(missing) > 5 else ""} (tools/data/tubes/'
                'check_data.py lists all)')

    def _boxes(self, video: str) -> Dict[int, tuple]:
        """{frame: (boxes (n, 4) normalised, label indices (n,))}."""
        h, w = self.gt['resolution'][video]
        frames = defaultdict(lambda: ([], []))
        for label, tubes in self.gt['gttubes'].get(video, {}).items():
            for tube in tubes:
                for row in np.asarray(tube, np.float64):
                    box = (row[1:5] / [w, h, w, h]).clip(0, 1)
                    frames[int(row[0])][0].append(box)
                    frames[int(row[0])][1].append(int(label))
        return {f: (np.array(b, np.float32), np.array(labels))
                for f, (b, labels) in frames.items()}

    def _proposals(self) -> Optional[Dict[str, np.ndarray]]:
        """The proposal file re-keyed to :func:`proposal_key`."""
        if self.proposal_file is None:
            return None
        return rekey_boxes(load_plain(self.proposal_file), self.gt,
                           self.proposal_file, self.ann_file)

    def load_data_list(self) -> List[dict]:
        self._check()
        proposals = self._proposals()
        root = self.data_prefix['img'] or ''
        data_list, empty = [], 0
        for video in self.videos:
            n = int(self.gt['nframes'][video])
            boxes = self._boxes(video)
            frames = sorted(boxes) if self.keyframes == 'annotated' else \
                range(1, n + 1)
            for frame in frames:
                if (frame - 1) % self.keyframe_stride:
                    continue
                gt, labels = boxes.get(frame, (np.zeros((0, 4), np.float32),
                                               np.zeros(0, int)))
                onehot = np.zeros((len(labels), self.num_classes),
                                  np.float32)
                onehot[np.arange(len(labels)), labels + 1] = 1
                key = proposal_key(video, frame)
                if proposals is None:
                    props = np.c_[gt, np.ones(len(gt), np.float32)]
                else:
                    props = proposals.get(key, np.zeros((0, 5), np.float32))
                    props = props[props[:, 4] >= self.proposal_score_thr]
                if not len(props):
                    empty += 1
                    continue
                info = dict(
                    video_id=video, timestamp=frame, img_key=key,
                    timestamp_start=1, fps=1, shot_info=(0, n),
                    filename_tmpl=self.filename_tmpl,
                    gt_bboxes=gt, gt_labels=onehot,
                    entity_ids=np.arange(len(gt)),
                    proposals=props[:, :4].clip(0, 1).astype(np.float32),
                    scores=props[:, 4].astype(np.float32))
                path = osp.join(root, video)
                if self.video_suffix:
                    info['frame_dir'] = path  # AVAVideoDecode appends it
                else:
                    info.update(frame_dir=path, offset=1)  # 1-based files
                data_list.append(info)
        if empty:
            what = 'ground-truth' if proposals is None else 'person'
            print_log(f'{self.ann_file} ({self.subset} split {self.split}): '
                      f'{empty} keyframes without {what} boxes left out '
                      '(no box to score there)', logger='current')
        if not data_list:
            raise TubeFormatError(f'{self.ann_file}: no keyframes in the '
                                  f'{self.subset} split {self.split}')
        return data_list
