"""The files of the tube benchmarks, read without running code and
checked row by row: the ACT annotation pickle, frame detections (an
``(N, 8)`` array pickle or a CSV of the same columns) and tubes."""
import csv
import os.path as osp
from typing import Dict, List

import numpy as np

from ..ava.io import AVAFormatError
from ..proposals import load_plain

GT_KEYS = ('labels', 'gttubes', 'nframes', 'train_videos', 'test_videos',
           'resolution')
DET_COLUMNS = 'video_index,frame,label,score,x1,y1,x2,y2'


class TubeFormatError(AVAFormatError):
    """A tube-benchmark file is malformed; the message names file and
    row or key."""


def read_ground_truth(path: str) -> dict:
    """The ACT-format annotation pickle (UCF101-24, JHMDB-21,
    MultiSports), Python 2 pickles included."""
    gt = load_plain(path, 'an ACT annotation pickle')
    missing = [k for k in GT_KEYS if not isinstance(gt, dict) or k not in gt]
    if missing:
        raise TubeFormatError(f'{path}: missing keys {missing} (an ACT '
                              f'annotation pickle has {list(GT_KEYS)})')
    return gt


def split_videos(gt: dict, split: int, path: str) -> List[str]:
    """``test_videos[split]`` (0-based)."""
    splits = gt['test_videos']
    if not 0 <= split < len(splits):
        raise TubeFormatError(f'{path}: --split {split}: the file has '
                              f'{len(splits)} test split(s), 0-based')
    return list(splits[split])


def read_frame_detections(path: str, gt: dict, videos: List[str]
                          ) -> np.ndarray:
    """``(N, 8)`` rows ``[video_index, frame, label, score, x1, y1, x2,
    y2]`` from a pickle (float32 kept, else float64) or a CSV
    (``DET_COLUMNS``, a header optional),
    each checked against the split: index, frame in ``1..nframes``, label,
    finite values, ``x2 >= x1`` and ``y2 >= y1``."""
    if path.endswith('.csv'):
        with open(path, newline='') as f:
            rows = [r for r in csv.reader(f) if r]
        if rows and rows[0][0].strip() == 'video_index':
            rows, first = rows[1:], 2
        else:
            first = 1
        try:
            dets = np.array([[float(v) for v in r] for r in rows],
                            np.float64).reshape(-1, 8)
        except ValueError as err:
            raise TubeFormatError(f'{path}: rows must be {DET_COLUMNS} '
                                  f'({err})') from None
    else:
        dets, first = np.asarray(load_plain(path, 'a detections pickle')), 0
        if dets.dtype != np.float32:  # float32 stays: the linker's dtype
            dets = dets.astype(np.float64)
        if dets.ndim != 2 or dets.shape[1] != 8:
            raise TubeFormatError(f'{path}: an (N, 8) array of '
                                  f'{DET_COLUMNS}, got shape {dets.shape}')
    nframes = np.array([gt['nframes'][v] for v in videos])
    checks = [
        (~np.isfinite(dets).all(1), 'a non-finite value'),
        ((dets[:, 0] < 0) | (dets[:, 0] >= len(videos)) |
         (dets[:, 0] % 1 != 0),
         f'a video index outside the split (0-{len(videos) - 1})'),
        ((dets[:, 2] < 0) | (dets[:, 2] >= len(gt['labels'])) |
         (dets[:, 2] % 1 != 0),
         f'a label outside 0-{len(gt["labels"]) - 1}'),
        ((dets[:, 4] > dets[:, 6]) | (dets[:, 5] > dets[:, 7]),
         'a box with x2 < x1 or y2 < y1'),
    ]
    for bad, what in checks:
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise TubeFormatError(f'{path}: row {i + first}: {what}: '
                                  f'{dets[i].tolist()}')
    index = dets[:, 0].astype(int)
    bad = (dets[:, 1] < 1) | (dets[:, 1] > nframes[index])
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise TubeFormatError(
            f'{path}: row {i + first}: frame {dets[i, 1]:g} outside '
            f'1-{nframes[index[i]]} of {videos[index[i]]}')
    return dets


def read_tubes(path: str, labels: List[str]) -> Dict[int, list]:
    """``{label: [(video, score, tube)]}`` (MultiSports' video
    detections), every label present."""
    tubes = load_plain(path, 'a tubes pickle')
    if not isinstance(tubes, dict):
        raise TubeFormatError(f'{path}: a dict {{label: [(video, score, '
                              'tube), ...]}}')
    missing = [i for i in range(len(labels)) if i not in tubes]
    if missing:
        raise TubeFormatError(f'{path}: no entry for labels {missing[:5]}'
                              f'{" ..." if len(missing) > 5 else ""} (an '
                              'empty list where a class has no tube)')
    for label, items in tubes.items():
        for n, item in enumerate(items):
            ok = (isinstance(item, (tuple, list)) and len(item) == 3 and
                  np.ndim(item[2]) == 2 and np.shape(item[2])[1] >= 5)
            if not ok:
                raise TubeFormatError(f'{path}: label {label}, tube {n}: '
                                      '(video, score, (T, >=5) array)')
    return tubes


def exists(path: str) -> str:
    if not osp.isfile(path):
        raise TubeFormatError(f'not found: {path}')
    return path
