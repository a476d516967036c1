"""Frame-mAP and video-mAP of one run, in one call (the CLI's)."""
from typing import Dict, List, Optional

import numpy as np

from .frame_ap import frame_ap
from .video_ap import video_aps

# video-mAP thresholds each protocol's papers report; ranges are means
VIDEO_THRESHOLDS = {
    'ucf-jhmdb': {'0.2': [0.2], '0.5': [0.5], '0.75': [0.75],
                  '0.5:0.95': list(np.arange(10) * 0.05 + 0.5)},
    'multisports': {'0.2': [0.2], '0.5': [0.5],
                    '0.05:0.45': list(np.arange(9) * 0.05 + 0.05),
                    '0.1:0.9': list(np.arange(9) * 0.1 + 0.1),
                    '0.5:0.95': list(np.arange(10) * 0.05 + 0.5)},
}


def _mean_range(aps: Dict[str, Optional[float]], ranges: dict) -> list:
    """[lowest, highest] mean AP over the orders of tied scores."""
    scored = [k for k, v in aps.items() if k != 'mAP' and v is not None]
    if not scored:
        return [None, None]
    return [float(np.mean([ranges.get(k, (aps[k],) * 2)[end]
                           for k in scored])) for end in (0, 1)]


def evaluate(gt: dict, videos: List[str], dets: np.ndarray,
             protocol: str, tubes: Optional[dict] = None) -> dict:
    """``frame_mAP``, per-class ``frame_AP``, and with ``tubes`` the
    ``video_mAP`` (keyed by threshold or range) and per-class
    ``video_AP``; fractions in [0, 1], None where the protocol leaves a
    class out. Beside each mAP its ``..._tie_range``: the lowest and
    highest value over the orders of tied scores (equal unless ties
    straddle hits and misses; the mAP itself follows numpy's sort, as the
    official code)."""
    labels = list(gt['labels'])
    ranges: dict = {}
    frame = frame_ap(dets, gt['gttubes'], videos, labels, protocol,
                     ranges=ranges)
    out: Dict[str, object] = dict(
        protocol=protocol, frame_mAP=frame['mAP'],
        frame_mAP_tie_range=_mean_range(frame, ranges))
    out['frame_AP'] = {k: v for k, v in frame.items() if k != 'mAP'}
    if tubes is None:
        return out
    video_map, per_class, tie_range = {}, {}, {}
    levels = VIDEO_THRESHOLDS[protocol]
    flat = [float(t) for thresholds in levels.values() for t in thresholds]
    ranges = [{} for _ in flat]
    runs = iter(zip(video_aps(tubes, gt['gttubes'], videos, labels,
                              protocol, flat, ranges), ranges))
    for key, thresholds in levels.items():
        mine = [next(runs) for _ in thresholds]
        maps = [r.pop('mAP') for r, _ in mine]
        ends = [_mean_range(r, rng) for r, rng in mine]
        video_map[key] = None if None in maps else float(np.mean(maps))
        tie_range[key] = [None, None] if None in maps else [
            float(np.mean([e[0] for e in ends])),
            float(np.mean([e[1] for e in ends]))]
        if len(thresholds) == 1:
            per_class[key] = mine[0][0]
    out.update(video_mAP=video_map, video_mAP_tie_range=tie_range,
               video_AP=per_class)
    return out


def plot(res: dict, path: str) -> None:
    """Per-class frame-AP and video-AP@0.5 side by side, classes sorted by
    frame-AP (left out by the protocol: not drawn)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    video = res.get('video_AP', {}).get('0.5', {})
    rows = sorted(((ap, label) for label, ap in res['frame_AP'].items()
                   if ap is not None), reverse=True)
    fig, ax = plt.subplots(figsize=(8, 0.3 * len(rows) + 1.4))
    y = np.arange(len(rows))
    ax.barh(y - 0.2, [ap for ap, _ in rows], 0.4, label='frame-AP@0.5')
    if video:
        ax.barh(y + 0.2, [video.get(label) or 0 for _, label in rows], 0.4,
                label='video-AP@0.5')
    ax.set_yticks(y, [label for _, label in rows], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.legend(loc='lower right', fontsize=8)
    title = f'{res["protocol"]}: frame-mAP {res["frame_mAP"] or 0:.4f}'
    if video:
        title += f', video-mAP@0.5 {res["video_mAP"]["0.5"] or 0:.4f}'
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def annotated_frames(gt: dict, videos: list, dets: np.ndarray) -> np.ndarray:
    """Which rows of ``(N, 8)`` frame detections lie on a frame with a
    ground-truth box (the lenient frame-mAP protocol of YOWO and
    mmaction2's MultiSports validation)."""
    keys = {(i, int(f)) for i, v in enumerate(videos)
            for tubes in gt['gttubes'].get(v, {}).values()
            for tube in tubes for f in np.asarray(tube)[:, 0]}
    return np.array([(int(i), int(f)) in keys for i, f in dets[:, :2]],
                    bool).reshape(-1)


def chance_frame_maps(gt: dict, videos: list, dets: np.ndarray,
                      protocol: str, draws: int, seed: int = 0) -> list:
    """The floor to beat: frame-mAP of the same boxes and labels with
    scores drawn uniformly at random, ``draws`` times."""
    rng = np.random.default_rng(seed)
    maps = []
    for _ in range(draws):
        shuffled = dets.copy()
        shuffled[:, 3] = rng.random(len(dets))
        maps.append(evaluate(gt, videos, shuffled, protocol)['frame_mAP'])
    return maps


def plot_tubes(gt: dict, video: str, tubes: dict, path: str,
               top: int = 6) -> None:
    """Linked tubes of one video over time: the horizontal centre of each
    box against the frame, the ``top`` best tubes coloured by class (line
    width by score), the ground-truth tubes as wide grey bands."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    labels = list(gt['labels'])
    fig, ax = plt.subplots(figsize=(9, 3.6))
    for label, items in gt['gttubes'].get(video, {}).items():
        for t in items:
            t = np.asarray(t)
            ax.plot(t[:, 0], (t[:, 1] + t[:, 3]) / 2, color='0.6', lw=9,
                    alpha=0.5, solid_capstyle='butt')
            ax.text(t[0, 0], (t[0, 1] + t[0, 3]) / 2, f' truth: '
                    f'{labels[label]}', fontsize=7, va='center')
    mine = sorted(((score, label, np.asarray(t)) for label, items in
                   tubes.items() for v, score, t in items if v == video),
                  key=lambda x: -x[0])[:top]
    colors = plt.get_cmap('tab10')
    shown = set()
    for score, label, t in mine:
        ax.plot(t[:, 0], (t[:, 1] + t[:, 3]) / 2, color=colors(label % 10),
                lw=0.8 + 3 * score, label=None if label in shown else
                labels[label])
        shown.add(label)
    ax.set_xlim(1, gt['nframes'][video])
    ax.set_ylim(0, gt['resolution'][video][1])
    ax.set_xlabel('frame')
    ax.set_ylabel('box centre x (px)')
    ax.set_title(f'{video}: the {len(mine)} best linked tubes (width: '
                 'score) over the ground truth (grey)', fontsize=9)
    if shown:
        ax.legend(fontsize=7, loc='upper right')
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
