"""Start-up checks that an AVA-style config agrees with itself.

The label map, the classes the dataset encodes, the detection head's score
columns and the evaluator's class mapping must agree; in mmaction2 they can
silently disagree and training then scores mAP 0. ``check_ava_config``
raises naming the config keys and values that disagree.
"""
from typing import List, Optional

from mmengine.config import Config

from videomae_det_core.ava.io import read_label_map
from videomae_det_core.errors import InputError

from ..utils import type_name


class AVAConfigError(InputError, ValueError):
    """The AVA parts of a config disagree; the message names the keys."""


def _leaves(dataset) -> list:
    """The datasets inside wrappers (``dataset``) and concatenations
    (``datasets``: AVA-Kinetics)."""
    while dataset is not None and 'dataset' in dataset:
        dataset = dataset['dataset']
    if dataset is not None and 'datasets' in dataset:
        return [leaf for d in dataset['datasets'] for leaf in _leaves(d)]
    return [dataset] if dataset else []


def _ava_datasets(cfg: Config) -> List[tuple]:
    found = []
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        for dataset in _leaves((cfg.get(loader) or {}).get('dataset')):
            if 'label_file' in dataset and 'proposal_file' in dataset:
                found.append((f'{loader}.dataset', dataset))
    return found


def check_ava_config(cfg: Config) -> Optional[int]:
    """Check label map, dataset, head and evaluator class settings.

    Returns:
        The number of score columns (background included), or None when the
        config has no AVA-style dataset.

    Raises:
        AVAConfigError: Naming what disagrees and how to fix it.
    """
    datasets = _ava_datasets(cfg)
    if not datasets:
        return None
    head = cfg.model.get('roi_head', {}).get('bbox_head', {})
    head_n = head.get('num_classes', 81)
    problems = []
    for where, ds in datasets:
        n = ds.get('num_classes', 81)
        custom = ds.get('custom_classes')
        if n != head_n:
            problems.append(f'{where}.num_classes={n} but '
                            f'model.roi_head.bbox_head.num_classes={head_n}')
        try:
            _, ids = read_label_map(ds['label_file'])
        except FileNotFoundError:
            continue  # checked when the data set loads
        if custom:
            if len(custom) + 1 != n:
                problems.append(f'{where}.custom_classes has {len(custom)} '
                                f'ids, so num_classes must be '
                                f'{len(custom) + 1}, not {n}')
            missing = sorted(set(custom) - ids)
            if missing:
                problems.append(f'{where}.custom_classes {missing} are not '
                                f'in the label map {ds["label_file"]}')
        elif max(ids) >= n:
            problems.append(
                f'{where}: the label map {ds["label_file"]} has action id '
                f'{max(ids)}, which needs num_classes >= {max(ids) + 1} '
                f'(ids index the score columns; background is 0), got {n};'
                ' or list the ids in custom_classes')
    for key in ('val_evaluator', 'test_evaluator'):
        evaluator = cfg.get(key) or {}
        if type_name(evaluator.get('type')) not in ('AVAFrameMAP',
                                                    'AVAMetric'):
            continue
        n = evaluator.get('num_classes', 81)
        if n != head_n:
            problems.append(f'{key}.num_classes={n} but '
                            f'model.roi_head.bbox_head.num_classes={head_n}')
        for where, ds in datasets:
            if where.startswith(key[:3]) and ds.get('custom_classes') != \
                    evaluator.get('custom_classes'):
                problems.append(f'{key}.custom_classes='
                                f'{evaluator.get("custom_classes")} but '
                                f'{where}.custom_classes='
                                f'{ds.get("custom_classes")}')
    topk = head.get('topk', (3, 5))  # mmaction2's default
    topk = (topk, ) if isinstance(topk, int) else tuple(topk or ())
    if any(k >= head_n for k in topk):
        fit = tuple(k for k in (1, 3, 5) if k < head_n) or None
        problems.append(f'model.roi_head.bbox_head.topk={topk} (mmaction2\'s '
                        'training accuracy) needs each k below num_classes='
                        f'{head_n}: set topk={fit}')
    if problems:
        raise AVAConfigError('AVA class settings disagree: ' +
                             '; '.join(problems))
    return head_n
