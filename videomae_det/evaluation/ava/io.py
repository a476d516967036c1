"""AVA files, read by the official evaluator's rules, with clear errors.

The rules (ActivityNet ``Evaluation/get_ava_performance.py``): image keys
are ``"%s,%04d" % (video_id, int(timestamp))``; rows whose action id is not
in the label map are dropped (we count them); a detection row's score is its
8th column, a groundtruth row's 8th column (the person id) only orders the
rows; detections are capped at 50 per keyframe with the same heap, ties and
all; each keyframe's rows end up sorted by descending score, stable over
the heap's array order.

What the official code would mis-read or crash on deep inside gets an
:class:`AVAFormatError` naming the file and line here: a wrong column count,
a non-numeric field, a box outside [0, 1] or with x2 < x1 / y2 < y1, a label
map that does not parse, an exclusion row that is not ``video_id,time``.
"""
import csv
import heapq
import os
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Set, Tuple

import numpy as np

DETECTIONS_PER_KEYFRAME = 50


class AVAFormatError(ValueError):
    """Malformed AVA input; the message names the file and line."""


def image_key(video_id: str, timestamp: int) -> str:
    return f'{video_id},{int(timestamp):04d}'


def read_label_map(path: str) -> Tuple[List[dict], Set[int]]:
    """``item { name: "..." id: N }`` blocks -> (categories in file order,
    id whitelist). Like the official reader, ``label_id:`` counts as
    ``id:`` and other fields are ignored.

    Raises:
        AVAFormatError: No item, an id that is not an integer, an id before
            any name, a duplicate id, or an id below 1.
    """
    categories: List[dict] = []
    name: Optional[str] = None
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            text = line.strip()
            if text.startswith('name:'):
                parts = text.split('"')
                if len(parts) < 3:
                    raise AVAFormatError(f'{path}:{lineno}: name is not '
                                         f'quoted: {text!r}')
                name = parts[1]
            elif text.startswith(('id:', 'label_id:')):
                value = text.split(':', 1)[1].strip()
                try:
                    label = int(value)
                except ValueError:
                    raise AVAFormatError(f'{path}:{lineno}: id {value!r} is '
                                         'not an integer') from None
                if name is None:
                    raise AVAFormatError(f'{path}:{lineno}: id {label} '
                                         'comes before any name')
                if label < 1:
                    raise AVAFormatError(f'{path}:{lineno}: id {label} < 1')
                if any(c['id'] == label for c in categories):
                    raise AVAFormatError(f'{path}:{lineno}: duplicate id '
                                         f'{label}')
                categories.append(dict(id=label, name=name))
    if not categories:
        raise AVAFormatError(f'{path}: no "item {{ name: ... id: ... }}" '
                             'found: not a label map')
    return categories, {c['id'] for c in categories}


def read_exclusions(path: Optional[str]) -> Set[str]:
    """``video_id,timestamp`` rows -> set of image keys."""
    if not path:
        return set()
    keys = set()
    with open(path, newline='') as f:
        for lineno, row in enumerate(csv.reader(f), 1):
            if not row:
                continue
            if len(row) != 2:
                raise AVAFormatError(f'{path}:{lineno}: expected '
                                     f'video_id,timestamp, got {row}')
            keys.add(image_key(row[0], _timestamp(row[1], path, lineno)))
    return keys


def _timestamp(text: str, path: str, lineno: int) -> int:
    try:
        return int(text)
    except ValueError:
        raise AVAFormatError(f'{path}:{lineno}: timestamp {text!r} is not '
                             'an integer') from None


@dataclass
class AVABoxes:
    """Rows of one AVA CSV, grouped per keyframe in the official order.

    ``keys`` lists the keyframes in first-appearance order; row ``i`` of the
    flat arrays belongs to keyframe ``key_index[i]``; within a keyframe rows
    run by descending score (ties in the official heap's order).
    """
    keys: List[str]
    key_index: np.ndarray  # (R,) int64
    boxes: np.ndarray  # (R, 4) float64, (y1, x1, y2, x2) as the official
    labels: np.ndarray  # (R,) int64 action ids
    scores: np.ndarray  # (R,) float64
    dropped_labels: Dict[int, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.labels)


def read_csv(path: str, whitelist: Set[int],
             capacity: int = 0) -> AVABoxes:
    """Read groundtruth (``capacity=0``) or detections (``capacity=50``).

    Rows with an action id outside ``whitelist`` are dropped, as the
    official rules say, and counted in ``dropped_labels`` (id -> rows).
    """
    with open(path, newline='') as f:
        return group_rows((_parse(row, path, lineno)
                           for lineno, row in enumerate(csv.reader(f), 1)),
                          whitelist, capacity)


def _parse(row: List[str], path: str, lineno: int) -> tuple:
    """One CSV row -> ``(key, x1, y1, x2, y2, label, score)``, validated."""
    if len(row) not in (7, 8):
        raise AVAFormatError(
            f'{path}:{lineno}: expected 7 or 8 columns (video_id, '
            'timestamp, x1, y1, x2, y2, action_id[, score]), got '
            f'{len(row)}: {row}')
    ts = _timestamp(row[1], path, lineno)
    try:
        x1, y1, x2, y2 = map(float, row[2:6])
        label = int(row[6])
        score = float(row[7]) if len(row) == 8 else 1.0
    except ValueError:
        raise AVAFormatError(f'{path}:{lineno}: non-numeric field in '
                             f'{row}') from None
    if not all(0.0 <= v <= 1.0 for v in (x1, y1, x2, y2)):
        raise AVAFormatError(f'{path}:{lineno}: box {row[2:6]} is outside '
                             '[0, 1] (boxes are normalised x1, y1, x2, y2)')
    if x2 < x1 or y2 < y1:
        raise AVAFormatError(f'{path}:{lineno}: box {row[2:6]} has x2 < x1 '
                             'or y2 < y1')
    if score != score:
        raise AVAFormatError(f'{path}:{lineno}: score is NaN')
    return image_key(row[0], ts), x1, y1, x2, y2, label, score


def group_rows(rows: Iterable[tuple], whitelist: Set[int],
               capacity: int = 0) -> AVABoxes:
    """Group ``(key, x1, y1, x2, y2, label, score)`` rows per keyframe by
    the official rules: whitelist, heap cap, descending score."""
    heaps: Dict[str, list] = {}
    dropped: Dict[int, int] = {}
    for key, x1, y1, x2, y2, label, score in rows:
        if whitelist and label not in whitelist:
            dropped[label] = dropped.get(label, 0) + 1
            continue
        heap = heaps.setdefault(key, [])
        item = (score, label, y1, x1, y2, x2)
        if capacity < 1 or len(heap) < capacity:
            heapq.heappush(heap, item)
        elif score > heap[0][0]:
            heapq.heapreplace(heap, item)
    keys = list(heaps)
    ordered = [sorted(heaps[k], key=lambda t: -t[0]) for k in keys]
    counts = np.array([len(r) for r in ordered], dtype=np.int64)
    flat = np.array([t for r in ordered for t in r],
                    dtype=np.float64).reshape(-1, 6)
    return AVABoxes(
        keys=keys,
        key_index=np.repeat(np.arange(len(keys)), counts),
        boxes=flat[:, 2:6].copy(),
        labels=flat[:, 1].astype(np.int64),
        scores=flat[:, 0].copy(),
        dropped_labels=dropped)


def check_readable(path: Optional[str], what: str) -> None:
    if path and not os.path.isfile(path):
        raise FileNotFoundError(f'{what} not found: {path}')
