"""Human-facing output of the AVA evaluator: table, JSON, bar chart."""
import json
import math
from typing import Dict, Sequence


def format_table(result: Dict) -> str:
    """Per-class AP with action names, groundtruth and detection counts,
    then the mAP and any ignored action ids."""
    lines = [f'{"id":>4}  {"action":40s} {"AP":>8} {"gt":>7} {"det":>8}']
    for cid, ap in result['per_class'].items():
        name = result['categories'].get(cid, '')
        shown = 'n/a' if math.isnan(ap) else f'{ap:8.4f}'
        lines.append(f'{cid:>4}  {name[:40]:40s} {shown:>8} '
                     f'{result["num_gt"][cid]:>7} {result["num_det"][cid]:>8}')
    scored = sum(not math.isnan(v) for v in result['per_class'].values())
    lines.append(f'mAP@0.5IoU = {result["mAP"]:.6f} over {scored} classes '
                 'with groundtruth')
    ties = result.get('tie_range') or {}
    if ties:
        low, high = result['mAP_range']
        lines.append(
            f'tied scores straddle true and false positives in {len(ties)} '
            f'class(es) ({", ".join(map(str, sorted(ties)))}): over the '
            f'orders of ties the mAP lies in [{low:.6f}, {high:.6f}] (the '
            "figure above follows numpy's sort, as the official evaluator)")
    if 'chance' in result:
        c = result['chance']
        lines.append(f'chance (random scores on the true boxes, {len(c)} '
                     f'draws): {c.mean():.4f} +- {c.std():.4f}')
    for side, dropped in result.get('dropped', {}).items():
        if dropped:
            ids = ', '.join(f'{k} ({v})' for k, v in sorted(dropped.items()))
            row = dict(detections='detection').get(side, side)
            lines.append(f'ignored {sum(dropped.values())} {row} row(s) '
                         f'with action ids not in the label map: {ids}')
    return '\n'.join(lines)


def to_json(result: Dict) -> Dict:
    """``{"mAP": float, "per_class": {"<id>": float or null},
    "mAP_tie_range": [low, high], "tie_range": {"<id>": [low, high]}}``
    (the classes whose AP depends on the order of tied scores), plus
    ``"chance": [mAP per draw]`` when it was measured."""
    out = dict(mAP=result['mAP'], per_class={
        str(k): None if math.isnan(v) else v
        for k, v in result['per_class'].items()
    })
    if 'mAP_range' in result:
        out['mAP_tie_range'] = list(result['mAP_range'])
        out['tie_range'] = {str(k): list(v)
                            for k, v in result['tie_range'].items()}
    if 'chance' in result:
        out['chance'] = result['chance'].tolist()
    return out


def write_json(result: Dict, path: str) -> None:
    with open(path, 'w') as f:
        json.dump(to_json(result), f, indent=2)


def plot_per_class(result: Dict, path: str) -> None:
    """Horizontal bars of per-class AP, sorted, with groundtruth counts."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    rows = sorted(((ap, cid) for cid, ap in result['per_class'].items()
                   if not math.isnan(ap)), reverse=True)
    fig, ax = plt.subplots(figsize=(8, 0.22 * len(rows) + 1.2))
    names = [f'{result["categories"].get(c, c)} (gt {result["num_gt"][c]})'
             for _, c in rows]
    ax.barh(range(len(rows)), [ap for ap, _ in rows], color='tab:blue')
    ax.set_yticks(range(len(rows)), names, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel('AP @ 0.5 IoU')
    ax.set_title(f'AVA frame-mAP {result["mAP"]:.4f}')
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def read_map(path: str) -> float:
    """The mAP of a ``tools/eval_ava.py --json`` file."""
    with open(path) as f:
        return json.load(f)['mAP']


def seed_summary(arms: Dict[str, Sequence[str]], read=read_map,
                 what: str = 'mAP') -> str:
    """One line per arm: each run's figure (``read(file)``, default the
    mAP of a ``map.json``), their mean and spread."""
    import numpy as np
    lines = []
    for arm, files in arms.items():
        values = [read(f) for f in files]
        if not values:
            raise FileNotFoundError(f'{arm}: no file given')
        runs = ' '.join(f'{v:.4f}' for v in values)
        lines.append(f'{arm} {what}: {runs}  mean {np.mean(values):.4f} +- '
                     f'{np.std(values):.4f} ({len(values)} runs)')
    return '\n'.join(lines)
