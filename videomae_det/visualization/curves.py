"""Loss and metric curves from mmengine's scalar logs
(``<work_dir>/<run>/vis_data/scalars.json``, one JSON object per line), as
mmaction2's ``analyze_logs.py`` draws them."""
import json
from typing import Dict, List, Sequence, Tuple

from videomae_det_core.errors import InputError

Series = Dict[str, List[Tuple[int, float]]]


def read_scalars(path: str) -> Series:
    """``{key: [(step, value), ...]}`` of every numeric key; training rows
    are indexed by ``iter``, validation rows by ``step`` (their epoch)."""
    series: Series = {}
    try:
        lines = open(path, encoding='utf-8').read().splitlines()
    except OSError as err:
        raise InputError(f'cannot read log {path}: {err.strerror}') from err
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise InputError(f'{path}:{number}: not JSON ({err.msg})') \
                from err
        step = row.get('iter', row.get('step'))
        for key, value in row.items():
            if key in ('iter', 'step', 'epoch') or not isinstance(
                    value, (int, float)):
                continue
            series.setdefault(key, []).append((int(step), float(value)))
    return series


def plot_curves(logs: Sequence[str], keys: Sequence[str], out: str,
                legend: Sequence[str] = ()) -> None:
    """One panel per key, one line per log; a key no log has is an error
    listing the keys there are."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    data = [read_scalars(log) for log in logs]
    known = sorted(set().union(*data))
    missing = [k for k in keys if not any(k in d for d in data)]
    if missing:
        raise InputError(f'no {", ".join(missing)} in {", ".join(logs)}; '
                         f'keys there: {", ".join(known)}')
    names = list(legend) or [f'log {i}' for i in range(len(logs))]
    fig, axes = plt.subplots(len(keys), 1, figsize=(7, 2.6 * len(keys)),
                             squeeze=False)
    for ax, key in zip(axes[:, 0], keys):
        for name, series in zip(names, data):
            if key in series:
                steps, values = zip(*series[key])
                ax.plot(steps, values, label=name, marker='.' if len(
                    steps) < 30 else None)
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
        if len(logs) > 1:
            ax.legend()
    axes[-1, 0].set_xlabel('iteration')
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def train_time(log: str) -> Dict[str, float]:
    """Mean, slowest and fastest seconds per training iteration."""
    times = [v for _, v in read_scalars(log).get('time', [])]
    if not times:
        raise InputError(f'{log}: no training iterations (no "time" key)')
    return dict(mean=sum(times) / len(times), slowest=max(times),
                fastest=min(times), iterations=len(times))
