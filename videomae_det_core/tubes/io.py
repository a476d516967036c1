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
    return split_of(gt, split, 'test', path)


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


def tube_problems(gt: dict, videos: List[str], path: str,
                  box_slack: float = 1.0) -> List[str]:
    """Every problem of the ground truth of ``videos``, one message each
    naming file, video, label and tube: a video without ``nframes`` or
    ``resolution``, a label index past ``labels``, a tube that is not an
    ``(n, 5)`` array, frames outside ``1..nframes``, repeated frames in a
    tube, boxes with ``x2 < x1`` or ``y2 < y1``, and boxes outside the
    resolution by more than ``box_slack`` pixels (JHMDB's corners are
    0-based inclusive, others may reach ``w`` or ``h``)."""
    problems = []
    num_labels = len(gt['labels'])
    for video in videos:
        where = f'{path}: video {video!r}'
        if video not in gt['nframes'] or video not in gt['resolution']:
            problems.append(f'{where}: no entry in nframes or resolution')
            continue
        n = int(gt['nframes'][video])
        h, w = gt['resolution'][video]
        for label, tubes in gt['gttubes'].get(video, {}).items():
            if not 0 <= int(label) < num_labels or int(label) != label:
                problems.append(f'{where}: label index {label} past the '
                                f'{num_labels} labels')
                continue
            for i, tube in enumerate(tubes):
                at = f'{where}, label {label} ({gt["labels"][label]}), ' \
                    f'tube {i}'
                tube = np.asarray(tube)
                if tube.ndim != 2 or tube.shape[1] != 5 or not len(tube):
                    problems.append(f'{at}: an (n, 5) array of frame, x1, '
                                    f'y1, x2, y2, got shape {tube.shape}')
                    continue
                f = tube[:, 0]
                checks = [
                    ((f < 1) | (f > n) | (f % 1 != 0),
                     f'frame outside 1-{n} (nframes)'),
                    ((tube[:, 3] < tube[:, 1]) | (tube[:, 4] < tube[:, 2]),
                     'a box with x2 < x1 or y2 < y1'),
                    ((tube[:, 1:] < -box_slack).any(1) |
                     (tube[:, [1, 3]] > w + box_slack).any(1) |
                     (tube[:, [2, 4]] > h + box_slack).any(1),
                     f'a box outside the {w}x{h} frame (resolution)'),
                ]
                for bad, what in checks:
                    if bad.any():
                        row = int(np.flatnonzero(bad)[0])
                        problems.append(f'{at}, row {row}: {what}: '
                                        f'{tube[row].tolist()}')
                if len(np.unique(f)) != len(f):
                    problems.append(f'{at}: a frame appears twice')
    return problems


def split_of(gt: dict, split: int, subset: str, path: str) -> List[str]:
    """``train_videos[split]`` or ``test_videos[split]``, 0-based."""
    if subset not in ('train', 'test'):
        raise ValueError(f"subset must be 'train' or 'test', got {subset!r}")
    splits = gt[f'{subset}_videos']
    if not 0 <= split < len(splits):
        raise TubeFormatError(f'{path}: split {split}: the file has '
                              f'{len(splits)} {subset} split(s), 0-based')
    return list(splits[split])


def proposal_key(video: str, frame: int) -> str:
    """The key of a frame's person boxes: ``'<video>,<frame:05d>'``."""
    return f'{video},{int(frame):05d}'


def rekey_boxes(raw, gt: dict, path: str, ann_file: str
                ) -> Dict[str, np.ndarray]:
    """Person boxes ``{'<video>,<frame>': (n, 4|5)}`` (normalised) under
    :func:`proposal_key`: the video may carry an extension or be only the
    base name (MultiSports' released files), the frame any zero padding.

    Raises:
        TubeFormatError: A key whose video is not in the annotation (or
            whose base name is ambiguous), or a value that is no finite
            ``(n, 4|5)`` array, naming the key.
    """
    if not isinstance(raw, dict):
        raise TubeFormatError(f"{path}: a dict {{'<video>,<frame>': (n, "
                              '4|5) array}')
    known = set(gt['nframes'])
    by_base: Dict[str, list] = {}
    for v in known:
        by_base.setdefault(v.rsplit('/', 1)[-1], []).append(v)
    out = {}
    for key, boxes in raw.items():
        video, _, frame = str(key).rpartition(',')
        name = osp.splitext(video)[0] if video.endswith(
            ('.mp4', '.avi', '.mkv', '.webm')) else video
        if name not in known:
            match = by_base.get(name, [])
            if len(match) != 1:
                raise TubeFormatError(
                    f'{path}: key {key!r}: video {video!r} is not in '
                    f'{ann_file}' + (' (ambiguous base name)' if match
                                     else ''))
            name = match[0]
        boxes = np.asarray(boxes, np.float32)
        if boxes.size == 0:
            boxes = boxes.reshape(0, 5)
        if boxes.ndim != 2 or boxes.shape[1] not in (4, 5) or not \
                np.isfinite(boxes).all() or not frame.strip().isdigit():
            raise TubeFormatError(
                f"{path}: key {key!r}: an (n, 4|5) finite array under a "
                f"'<video>,<frame>' key, got shape {boxes.shape}")
        if boxes.shape[1] == 4:
            boxes = np.c_[boxes, np.ones(len(boxes), np.float32)]
        out[proposal_key(name, int(frame))] = boxes
    return out
