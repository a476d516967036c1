"""Person boxes for keyframes: from a file, an mmdet detector, the packaged
SSD-MobileNet-v2 COCO detector (the offline default, :mod:`.ssd_people`)
or OpenCV's built-in HOG people detector (the last fallback).

Every source is called as ``source(frame, second) -> (N, 5)`` with boxes
``x1, y1, x2, y2`` normalised to [0, 1] and a score, for an RGB frame, and
built by :func:`build_people` from its name, a score threshold and a
non-maximum suppression IoU, whose defaults per source are in
:data:`SOURCES` (measured on the labelled frames of ``tests/data``:
``tools/analysis/eval_people.py``).
"""
import csv
import os.path as osp
from collections import defaultdict
from typing import Dict, Optional

import numpy as np
from mmengine.registry import DefaultScope

from videomae_det_core.errors import InputError

from .nms import nms

# name -> default score threshold and NMS IoU (None: boxes kept as given)
SOURCES = dict(
    boxes=dict(thr=0.0, nms_iou=None),  # a file: its boxes are the answer
    mmdet=dict(thr=0.5, nms_iou=None),  # mmdet's test_cfg has its own NMS
    ssd=dict(thr=0.5, nms_iou=0.5),  # the graph's NMS is per class at 0.6
    hog=dict(thr=0.3, nms_iou=0.4),  # HOG fires on a person at many scales
)


class BoxesError(InputError, ValueError):
    """A boxes file that cannot be used; the message names file and line."""


class BoxesFile:
    """Boxes given per second: a CSV of ``second,x1,y1,x2,y2[,score]`` rows
    or a proposals pickle ``{second or "video,%04d": (N, 4|5) array}``,
    normalised to [0, 1].

    Args:
        path: The file.
        video: The video's name (pickle keys of other videos are skipped).
        thr: Keep boxes scoring at least this (rows without a score: 1).
        start: The time, in the file's seconds, of the video's first frame
            (AVA proposals of a cut segment: 900).
        nms_iou: Merge boxes overlapping above this IoU (None: as given).

    Raises:
        BoxesError: A row that does not parse, a fractional second, boxes
            in pixels (values above 1) or with x2 < x1 / y2 < y1.
    """

    def __init__(self, path: str, video: str = '', thr: float = 0.0,
                 start: int = 0, nms_iou: Optional[float] = None) -> None:
        if not osp.isfile(path):
            raise BoxesError(f'boxes file not found: {path}')
        self.path, self.thr, self.start = path, thr, start
        self.nms_iou = nms_iou
        self.boxes = (self._read_csv(path) if path.endswith('.csv') else
                      self._read_pickle(path, video))

    @staticmethod
    def _check(box: np.ndarray, where: str) -> None:
        if box[:4].max() > 1 or box[:4].min() < 0:
            raise BoxesError(
                f'{where}: box {box[:4].tolist()} is outside [0, 1]: boxes '
                'are normalised (x / width, y / height), not pixels')
        if box[2] < box[0] or box[3] < box[1]:
            raise BoxesError(f'{where}: box {box[:4].tolist()} has x2 < x1 '
                             'or y2 < y1')

    @classmethod
    def _second(cls, text, where: str) -> int:
        try:
            value = float(text)
        except ValueError:
            raise BoxesError(f'{where}: second {text!r} is not a number') \
                from None
        if value != int(value) or value < 0:
            raise BoxesError(f'{where}: second {text!r} is not a whole '
                             'number of seconds (keyframes are at whole '
                             'seconds)')
        return int(value)

    def _read_csv(self, path: str) -> Dict[int, np.ndarray]:
        rows = defaultdict(list)
        with open(path, newline='', encoding='utf-8-sig') as f:
            for lineno, row in enumerate(csv.reader(f), 1):
                if not row:
                    continue
                where = f'{path}:{lineno}'
                if len(row) not in (5, 6):
                    raise BoxesError(f'{where}: expected second,x1,y1,x2,y2'
                                     f'[,score], got {row}')
                second = self._second(row[0], where)
                try:
                    box = np.array([float(v) for v in row[1:]] + [1.0][
                        :6 - len(row)])
                except ValueError:
                    raise BoxesError(f'{where}: non-numeric field in {row}') \
                        from None
                self._check(box, where)
                rows[second].append(box)
        return {k: np.stack(v) for k, v in rows.items()}

    def _read_pickle(self, path: str, video: str) -> Dict[int, np.ndarray]:
        from videomae_det_core.proposals import load_plain

        from ..evaluation.ava import AVAFormatError
        try:
            data = load_plain(path)
        except AVAFormatError as err:
            raise BoxesError(str(err)) from None
        if not isinstance(data, dict):
            raise BoxesError(f'{path}: expected a dict of second -> boxes')
        out = {}
        for key, value in data.items():
            if isinstance(key, str) and ',' in key:
                name, _, key = key.rpartition(',')
                if video and name != video:
                    continue
            where = f'{path}: key {key!r}'
            boxes = np.asarray(value, np.float64)
            if boxes.ndim != 2 or boxes.shape[1] not in (4, 5):
                raise BoxesError(f'{where}: need an (N, 4|5) array, got '
                                 f'shape {boxes.shape}')
            if boxes.shape[1] == 4:
                boxes = np.c_[boxes, np.ones(len(boxes))]
            for box in boxes:
                self._check(box, where)
            out[self._second(key, where)] = boxes
        return out

    def check_duration(self, duration: float) -> None:
        """Boxes for seconds the video does not reach are an error."""
        late = sorted(s for s in self.boxes
                      if not 0 <= s - self.start < duration)
        if late:
            raise BoxesError(f'{self.path}: boxes for seconds {late[:10]} '
                             f'but the video lasts {duration:.2f} s')

    def __call__(self, frame: np.ndarray, second: float) -> np.ndarray:
        boxes = self.boxes.get(int(round(second)) + self.start,
                               np.zeros((0, 5)))
        return nms(boxes[boxes[:, 4] >= self.thr], self.nms_iou)


class HOGPeople:
    """OpenCV's built-in HOG + linear SVM people detector (Dalal & Triggs):
    offline and fast, but weak: upright, whole people of at least ~128 px
    only (small frames are upscaled), no sitting or occluded people
    (docs/video_demo.md gives its recall and precision on the toy set).

    Args:
        thr: Minimum SVM score (the distance to its margin) of a box.
        min_height: Frames lower than this are upscaled to it first.
        nms_iou: Overlapping boxes above this IoU are merged (the best
            kept).
    """

    def __init__(self, thr: float = 0.3, min_height: int = 384,
                 nms_iou: float = 0.4) -> None:
        import cv2
        self.hog = cv2.HOGDescriptor()
        self.hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
        self.thr, self.min_height, self.nms_iou = thr, min_height, nms_iou

    def __call__(self, frame: np.ndarray, second: float = 0) -> np.ndarray:
        import cv2
        h, w = frame.shape[:2]
        scale = max(1.0, self.min_height / h)
        img = cv2.resize(frame, (round(w * scale), round(h * scale))) \
            if scale > 1 else frame
        rects, weights = self.hog.detectMultiScale(
            cv2.cvtColor(img, cv2.COLOR_RGB2GRAY), winStride=(8, 8),
            padding=(8, 8), scale=1.05)
        if not len(rects):
            return np.zeros((0, 5))
        rects = np.asarray(rects, np.float64) / scale
        boxes = np.c_[rects[:, :2], rects[:, :2] + rects[:, 2:]] / \
            [w, h, w, h]
        boxes = np.c_[boxes.clip(0, 1), np.asarray(weights).reshape(-1)]
        return nms(boxes[boxes[:, 4] >= self.thr], self.nms_iou)


class MMDetPeople:
    """Person boxes from an mmdet detector (any config and checkpoint; COCO
    models' class ``person`` unless ``person_label`` says otherwise).

    Raises:
        InputError: The checkpoint is missing or does not fit the config
            (a randomly initialised detector would find nobody and say
            nothing).
    """

    def __init__(self, config: str, checkpoint: Optional[str],
                 thr: float = 0.5, device: str = 'cpu',
                 person_label: Optional[int] = None,
                 nms_iou: Optional[float] = None) -> None:
        if not checkpoint:
            raise InputError(f'--det-config {config} needs --det-checkpoint: '
                             'a detector without weights finds nobody')
        from mmdet.apis import init_detector

        from ..checkpoint.load import load_weights
        with DefaultScope.overwrite_default_scope('mmdet'):
            self.model = init_detector(config, None, device=device)
        load_weights(self.model, checkpoint)
        classes = (getattr(self.model, 'dataset_meta', None) or {}).get(
            'classes') or ()
        self.label = person_label if person_label is not None else (
            list(classes).index('person') if 'person' in classes else 0)
        self.thr, self.nms_iou = thr, nms_iou

    def __call__(self, frame: np.ndarray, second: float = 0) -> np.ndarray:
        from mmdet.apis import inference_detector
        with DefaultScope.overwrite_default_scope('mmdet'):
            pred = inference_detector(
                self.model, np.ascontiguousarray(frame[:, :, ::-1])
            ).pred_instances
        keep = (pred.labels == self.label) & (pred.scores >= self.thr)
        h, w = frame.shape[:2]
        boxes = pred.bboxes[keep].cpu().numpy() / [w, h, w, h]
        return nms(np.c_[boxes.clip(0, 1), pred.scores[keep].cpu().numpy()],
                   self.nms_iou)


def build_people(source: str, thr: Optional[float] = None,
                 nms_iou: Optional[float] = None, **kwargs):
    """A person box source by name (``boxes``, ``mmdet``, ``ssd``, ``hog``)
    with its score threshold and NMS IoU, :data:`SOURCES`' defaults where
    not given; ``kwargs`` go to the source (``path``/``video``/``start`` for
    a boxes file, ``config``/``checkpoint``/``device`` for mmdet)."""
    from .ssd_people import SSDPeople
    classes = dict(boxes=BoxesFile, mmdet=MMDetPeople, ssd=SSDPeople,
                   hog=HOGPeople)
    if source not in classes:
        raise ValueError(f'person source must be one of {sorted(classes)}, '
                         f'got {source!r}')
    settings = dict(SOURCES[source])
    settings.update({k: v for k, v in dict(thr=thr, nms_iou=nms_iou).items()
                     if v is not None})
    return classes[source](**kwargs, **settings)


def default_people(thr: Optional[float] = None,
                   nms_iou: Optional[float] = None):
    """The offline default: the packaged SSD-MobileNet-v2 COCO detector
    (:mod:`.ssd_people`), or OpenCV's HOG with a warning naming the fix when
    its package is not installed (each with :data:`SOURCES`' settings
    unless given)."""
    from mmengine.logging import print_log
    try:
        return build_people('ssd', thr, nms_iou)
    except InputError as err:
        print_log(f'{err}; falling back to OpenCV HOG people (weak)',
                  logger='current', level=30)
        return build_people('hog', thr, nms_iou)
