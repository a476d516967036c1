"""Per-class action score thresholds: one value for every class,
``label=value`` pairs over a default, or a file of such lines (what
``tools/analysis/thresholds.py`` writes; ``#`` starts a comment).

Labels are the label map's names (or its numeric ids); an unknown label
is an error naming it, never a threshold silently unused.
"""
import os.path as osp
from typing import List, Sequence, Union

import numpy as np

from videomae_det_core.errors import InputError

Spec = Union[None, float, str, Sequence[Union[str, float]], dict]


def read_threshold_file(path: str) -> List[tuple]:
    """``(where, "label=value")`` for each line of a thresholds file."""
    items = []
    with open(path, encoding='utf-8') as f:
        for lineno, line in enumerate(f, 1):
            text = line.split('#', 1)[0].strip()
            if not text:
                continue
            if '=' not in text:
                raise InputError(f'{path}:{lineno}: expected label=value, '
                                 f'got {text!r}')
            items.append((f'{path}:{lineno}', text))
    return items


def class_thresholds(spec: Spec, names: Sequence[str], ids: Sequence[int],
                     default: float = 0.3) -> np.ndarray:
    """Thresholds ``(len(names),)`` from ``spec``: a number, a dict of
    label -> value, or a list of numbers (the default), ``label=value``
    pairs and thresholds files, later items overriding earlier ones."""
    out = np.full(len(names), float(default))
    if spec is None:
        return out
    if isinstance(spec, (int, float)):
        return np.full(len(names), float(spec))
    if isinstance(spec, dict):
        spec = [f'{k}={v}' for k, v in spec.items()]
    if isinstance(spec, str):
        spec = [spec]
    index = {name: i for i, name in enumerate(names)}
    index.update({str(i): k for k, i in enumerate(ids)})
    items = []
    for item in spec:
        if isinstance(item, str) and '=' not in item and osp.isfile(item):
            items.extend(read_threshold_file(item))
        else:
            items.append(('--thr', str(item)))
    for where, text in items:
        label, _, value = text.rpartition('=')
        try:
            number = float(value)
        except ValueError:
            raise InputError(f'{where}: {text!r}: the threshold is not a '
                             'number (a missing file?)') from None
        if not label:
            out[:] = number
            continue
        label = label.strip()
        if label not in index:
            raise InputError(f'{where}: {label!r} is not a class of the '
                             f'model (its classes: {", ".join(names[:8])}'
                             f'{", ..." if len(names) > 8 else ""})')
        out[index[label]] = number
    return out


def write_threshold_file(path: str, names: Sequence[str],
                         values: Sequence[float],
                         notes: Sequence[str] = (), header: str = '') -> None:
    """A thresholds file the demo reads: a line ``name=value`` per class,
    each with its note as a comment."""
    lines = [f'# {line}' for line in header.splitlines()]
    notes = list(notes) or [''] * len(names)
    for name, value, note in zip(names, values, notes):
        lines.append(f'{name}={value:.4f}' + (f'  # {note}' if note else ''))
    with open(path, 'w', encoding='utf-8') as f:
        f.write('\n'.join(lines) + '\n')
