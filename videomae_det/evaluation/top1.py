"""Top-1 accuracy of a recognizer's dumped predictions
(``tools/test.py --dump``)."""
import pickle

import numpy as np

from videomae_det_core.errors import InputError


def top1_of_dump(path: str) -> float:
    """Share of samples whose best ``pred_score`` is the ``gt_label``."""
    try:
        with open(path, 'rb') as f:
            rows = pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError) as err:
        raise InputError(f'cannot read predictions {path}: {err}') from err
    try:
        hits = [int(np.argmax(np.asarray(r['pred_score']))) ==
                int(np.asarray(r['gt_label']).reshape(-1)[0]) for r in rows]
    except (KeyError, TypeError, IndexError) as err:
        raise InputError(f'{path}: not a recognizer dump (pred_score, '
                         f'gt_label): {err}') from err
    if not hits:
        raise InputError(f'{path}: no predictions')
    return float(np.mean(hits))
