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
from typing import Dict, List, Optional, Set, Tuple

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
    Columns are split and converted in bulk; only when that fails are the
    rows re-read one by one with the ``csv`` module to name the first bad
    line (or to read quoted or ragged files, which the bulk path refuses).
    """
    with open(path, 'rb') as f:
        data = f.read()
    try:
        columns = _columns(data)
    except ValueError:
        with open(path, newline='') as f:
            rows = list(csv.reader(f))
        for lineno, row in enumerate(rows, 1):
            check_row(row, path, lineno)
        columns = _columns_from_rows(rows)
    return group_rows(*columns, whitelist, capacity)


def _columns(data: bytes) -> tuple:
    """Split a whole CSV in bulk -> keys, key index, boxes (x1 y1 x2 y2),
    labels, scores. Raises ``ValueError`` if the file is not a plain,
    regular 7- or 8-column CSV or a field does not convert."""
    if b'"' in data:
        raise ValueError('quoted fields')
    lines = data.replace(b'\r', b'').rstrip(b'\n')
    if not lines:
        return _columns_from_rows([])
    width = lines.split(b'\n', 1)[0].count(b',') + 1
    fields = lines.replace(b'\n', b',').split(b',')
    rows = lines.count(b'\n') + 1
    if width not in (7, 8) or len(fields) != width * rows:
        raise ValueError('irregular rows')
    cols = [np.array(fields[i::width]) for i in range(width)]
    boxes = np.stack([c.astype(np.float64) for c in cols[2:6]], 1)
    labels = cols[6].astype(np.int64)
    scores = (cols[7].astype(np.float64) if width == 8 else
              np.ones(rows))
    stamps = cols[1].astype(np.int64)
    _check(boxes, scores)
    # keyframes in first-appearance order
    videos, video_code = np.unique(cols[0], return_inverse=True)
    span = int(stamps.max()) - int(stamps.min()) + 1
    code = video_code.astype(np.int64) * span + (stamps - stamps.min())
    _, first, inverse = np.unique(code, return_index=True,
                                  return_inverse=True)
    order = np.argsort(first)
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    keys = [image_key(videos[video_code[i]].decode(), stamps[i])
            for i in first[order].tolist()]
    return keys, rank[inverse], boxes, labels, scores


def _check(boxes: np.ndarray, scores: np.ndarray) -> None:
    bad = ~((boxes >= 0) & (boxes <= 1)).all(1)
    bad |= (boxes[:, 2] < boxes[:, 0]) | (boxes[:, 3] < boxes[:, 1])
    bad |= np.isnan(scores)
    if bad.any():
        raise ValueError('invalid values')


def _columns_from_rows(rows: List[List[str]]) -> tuple:
    """The same from rows already checked by :func:`check_row`."""
    codes: Dict[tuple, int] = {}
    key_index = np.array([codes.setdefault((r[0], int(r[1])), len(codes))
                          for r in rows], dtype=np.int64)
    boxes = np.array([[float(v) for v in r[2:6]] for r in rows],
                     dtype=np.float64).reshape(-1, 4)
    labels = np.array([int(r[6]) for r in rows], dtype=np.int64)
    scores = np.array([float(r[7]) if len(r) == 8 else 1.0 for r in rows],
                      dtype=np.float64)
    keys = [image_key(v, t) for v, t in codes]
    return keys, key_index, boxes, labels, scores


def check_row(row: List[str], path: str, lineno: int) -> None:
    """Check one CSV row; raise :class:`AVAFormatError` naming the line."""
    if len(row) not in (7, 8):
        raise AVAFormatError(
            f'{path}:{lineno}: expected 7 or 8 columns (video_id, '
            'timestamp, x1, y1, x2, y2, action_id[, score]), got '
            f'{len(row)}: {row}')
    _timestamp(row[1], path, lineno)
    try:
        x1, y1, x2, y2 = map(float, row[2:6])
        int(row[6])
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


def group_rows(keys: List[str], key_index: np.ndarray, boxes: np.ndarray,
               labels: np.ndarray, scores: np.ndarray, whitelist: Set[int],
               capacity: int = 0) -> AVABoxes:
    """Group rows per keyframe by the official rules.

    Args:
        keys: Keyframe keys, in first-appearance order.
        key_index: ``(R,)`` row -> position in ``keys``.
        boxes: ``(R, 4)`` x1, y1, x2, y2 (the CSV's order).
        labels, scores: ``(R,)``.
        whitelist: Action ids kept (the label map's).
        capacity: Rows kept per keyframe (0: all), chosen with the official
            heap, whose array order also breaks score ties.
    """
    keep = np.isin(labels, list(whitelist)) if whitelist else np.ones(
        len(labels), bool)
    ids, counts = np.unique(labels[~keep], return_counts=True)
    dropped = dict(zip(ids.tolist(), counts.tolist()))
    rows = np.flatnonzero(keep)
    # keyframes in order of their first kept row: a dropped row creates no
    # key in the official reader
    seen, first = np.unique(key_index[rows], return_index=True)
    key_order = seen[np.argsort(first)]
    rank = np.zeros(len(keys), np.int64)
    rank[key_order] = np.arange(len(key_order))
    rows = rows[np.argsort(rank[key_index[rows]], kind='stable')]
    per_key = np.bincount(rank[key_index[rows]], minlength=len(key_order))
    items = list(zip(scores[rows].tolist(), labels[rows].tolist(),
                     boxes[rows, 1].tolist(), boxes[rows, 0].tolist(),
                     boxes[rows, 3].tolist(), boxes[rows, 2].tolist()))
    ordered, start = [], 0
    for n in per_key.tolist():
        heap: list = []
        for item in items[start:start + n]:
            if capacity < 1 or len(heap) < capacity:
                heapq.heappush(heap, item)
            elif item[0] > heap[0][0]:
                heapq.heapreplace(heap, item)
        ordered.append(sorted(heap, key=lambda t: -t[0]))
        start += n
    counts = np.array([len(r) for r in ordered], dtype=np.int64)
    flat = np.array([t for r in ordered for t in r],
                    dtype=np.float64).reshape(-1, 6)
    return AVABoxes(
        keys=[keys[i] for i in key_order.tolist()],
        key_index=np.repeat(np.arange(len(key_order)), counts),
        boxes=flat[:, 2:6].copy(),
        labels=flat[:, 1].astype(np.int64),
        scores=flat[:, 0].copy(),
        dropped_labels=dropped)


def check_readable(path: Optional[str], what: str) -> None:
    if path and not os.path.isfile(path):
        raise FileNotFoundError(f'{what} not found: {path}')
