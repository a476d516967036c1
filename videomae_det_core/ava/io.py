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
import codecs
import csv
import heapq
import os
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set, Tuple

import numpy as np

from ..errors import InputError

DETECTIONS_PER_KEYFRAME = 50


class AVAFormatError(InputError, ValueError):
    """Malformed AVA input; the message names the file and line."""


def image_key(video_id: str, timestamp: int) -> str:
    return f'{video_id},{int(timestamp):04d}'


def read_label_map(path: str) -> Tuple[List[dict], Set[int]]:
    """``item { name: "..." id: N }`` blocks -> (categories in file order,
    id whitelist). Like the official reader, ``label_id:`` counts as
    ``id:`` and other fields (``label_type:``) are ignored.

    Raises:
        AVAFormatError: No item, an item that is never closed or lacks its
            name or id, a field outside an item, an id that is not an
            integer, a duplicate id, or an id below 1; with the line.
    """
    categories: List[dict] = []
    opened = 0  # line of the open ``item {``, 0 outside an item
    name: Optional[str] = None
    label: Optional[int] = None
    with open(path, encoding='utf-8-sig') as f:
        for lineno, line in enumerate(f, 1):
            text = line.strip()
            if not text or text.startswith('#'):
                continue
            if text.startswith('item') and text.endswith('{'):
                if opened:
                    raise AVAFormatError(
                        f'{path}:{lineno}: a new item starts before the '
                        f'item of line {opened} is closed with "}}"')
                opened, name, label = lineno, None, None
            elif text == '}':
                if not opened:
                    raise AVAFormatError(f'{path}:{lineno}: "}}" closes no '
                                         'item')
                if name is None or label is None:
                    raise AVAFormatError(
                        f'{path}:{opened}: item has no '
                        f'{"name" if name is None else "id"}')
                categories.append(dict(id=label, name=name))
                opened = 0
            elif not opened:
                raise AVAFormatError(f'{path}:{lineno}: {text!r} is outside '
                                     'an "item { ... }" block')
            elif text.startswith('name:'):
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
                if label < 1:
                    raise AVAFormatError(f'{path}:{lineno}: id {label} < 1')
                if any(c['id'] == label for c in categories):
                    raise AVAFormatError(f'{path}:{lineno}: duplicate id '
                                         f'{label}')
    if opened:
        raise AVAFormatError(f'{path}:{opened}: "item {{" is never closed '
                             'with "}"')
    if not categories:
        raise AVAFormatError(f'{path}: no "item {{ name: ... id: ... }}" '
                             'found: not a label map')
    return categories, {c['id'] for c in categories}


def read_rows(path: str) -> List[Tuple[int, List[str]]]:
    """A CSV's non-empty rows with their line numbers; a UTF-8 byte-order
    mark (spreadsheet programs write one) is dropped."""
    with open(path, newline='', encoding='utf-8-sig') as f:
        return [(lineno, row) for lineno, row in enumerate(csv.reader(f), 1)
                if row]


def _header_hint(row: List[str], path: str, lineno: int) -> None:
    """A first row whose numeric fields are all words is a header."""
    def number(text):
        try:
            float(text)
            return True
        except ValueError:
            return False
    if lineno == 1 and len(row) > 1 and not any(map(number, row[1:])):
        raise AVAFormatError(
            f'{path}:1: looks like a header row ({",".join(row)}): AVA CSV '
            'files have none; delete line 1')


def read_exclusions(path: Optional[str]) -> Set[str]:
    """``video_id,timestamp`` rows -> set of image keys."""
    if not path:
        return set()
    keys = set()
    for lineno, row in read_rows(path):
        _header_hint(row, path, lineno)
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
    warnings: List[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.labels)


def merge_boxes(parts: List[AVABoxes], names: List[str]) -> AVABoxes:
    """One set of rows from several files (AVA-Kinetics: AVA's and the
    Kinetics part's), keyframes in file order.

    Raises:
        AVAFormatError: A keyframe in two files, naming both.
    """
    seen: Dict[str, str] = {}
    for part, name in zip(parts, names):
        for key in part.keys:
            if key in seen:
                raise AVAFormatError(f'keyframe {key} is in both {seen[key]} '
                                     f'and {name}')
            seen[key] = name
    offsets = np.cumsum([0] + [len(p.keys) for p in parts[:-1]])
    dropped: Dict[int, int] = {}
    for p in parts:
        for k, v in p.dropped_labels.items():
            dropped[k] = dropped.get(k, 0) + v
    return AVABoxes(
        keys=[k for p in parts for k in p.keys],
        key_index=np.concatenate([p.key_index + o
                                  for p, o in zip(parts, offsets)]),
        boxes=np.concatenate([p.boxes for p in parts]),
        labels=np.concatenate([p.labels for p in parts]),
        scores=np.concatenate([p.scores for p in parts]),
        dropped_labels=dropped,
        warnings=[w for p in parts for w in p.warnings])


def read_csv(path: str, whitelist: Set[int],
             capacity: int = 0) -> AVABoxes:
    """Read groundtruth (``capacity=0``: 7 or 8 columns, the 8th a person
    id) or detections (``capacity=50``: 8 columns, the 8th the score).

    Rows with an action id outside ``whitelist`` are dropped, as the
    official rules say, and counted in ``dropped_labels`` (id -> rows).
    Columns are split and converted in bulk; only when that fails are the
    rows re-read one by one with the ``csv`` module to name the first bad
    line (or to read quoted or ragged files, which the bulk path refuses).
    A byte-order mark is dropped. Detections whose scores are all integers,
    some outside [0, 1], get a warning: that is a groundtruth file's
    person-id column.
    """
    need_scores = capacity > 0
    with open(path, 'rb') as f:
        data = f.read()
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        columns = _columns(data, need_scores)
    except ValueError:
        rows = read_rows(path)
        for lineno, row in rows:
            check_row(row, path, lineno, need_scores)
        columns = _columns_from_rows([row for _, row in rows])
    boxes = group_rows(*columns, whitelist, capacity)
    scores = columns[4]
    if need_scores and len(scores) and (scores == np.round(scores)).all() \
            and ((scores < 0) | (scores > 1)).any():
        boxes.warnings.append(
            f'{path}: every score is an integer and some are outside [0, 1]'
            ': is this a groundtruth file (8th column a person id) passed as'
            ' detections?')
    return boxes


def _columns(data: bytes, need_scores: bool = False) -> tuple:
    """Split a whole CSV in bulk -> keys, key index, boxes (x1 y1 x2 y2),
    labels, scores. Raises ``ValueError`` if the file is not a plain,
    regular 7- or 8-column CSV (8 with ``need_scores``) or a field does not
    convert."""
    if b'"' in data:
        raise ValueError('quoted fields')
    lines = data.replace(b'\r', b'').rstrip(b'\n')
    if not lines:
        return _columns_from_rows([])
    width = lines.split(b'\n', 1)[0].count(b',') + 1
    fields = lines.replace(b'\n', b',').split(b',')
    rows = lines.count(b'\n') + 1
    widths = (8,) if need_scores else (7, 8)
    if width not in widths or len(fields) != width * rows:
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


def check_row(row: List[str], path: str, lineno: int,
              need_scores: bool = False) -> None:
    """Check one CSV row (a detection's with ``need_scores``); raise
    :class:`AVAFormatError` naming the line."""
    _header_hint(row, path, lineno)
    if need_scores and len(row) != 8:
        raise AVAFormatError(
            f'{path}:{lineno}: a detection row needs 8 columns (video_id, '
            f'timestamp, x1, y1, x2, y2, action_id, score), got {len(row)}'
            f': {row}')
    if len(row) not in (7, 8):
        raise AVAFormatError(
            f'{path}:{lineno}: expected 7 or 8 columns (video_id, '
            'timestamp, x1, y1, x2, y2, action_id[, score or person id]), '
            f'got {len(row)}: {row}')
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
