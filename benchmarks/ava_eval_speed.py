"""AVA frame-mAP evaluation speed: ours against mmaction2's ``ava_eval``.

    python benchmarks/ava_eval_speed.py [--scale 1.0] [--seed 0]

A synthetic input of AVA-val size (scale 1: 64 videos x 897 keyframes =
57,408 keyframes, about 290k groundtruth rows and 700k detections, the 60
evaluated classes, each with groundtruth so that mmaction2's evaluator
runs), written as official CSV files; both evaluators read the same files
in the same process. Prints both mAPs, our wall time and our peak traced
memory, then the whole-process time of ``tools/eval_ava.py`` on the same
files (start-up included: it imports numpy only, no torch). Last line:
``speedup_vs_mmaction2=<x>``.

The mAPs differ by design: mmaction2's ``ava_eval`` keeps every detection
(no cap of 50 per keyframe), ignores detections on keyframes without
groundtruth, and counts groundtruth on excluded keyframes.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc

import numpy as np

import videomae_det  # noqa: F401  (before mmaction.models: compat fixes)

# isort: split
from mmaction.evaluation.functional.ava_utils import ava_eval

from videomae_det.evaluation.ava import evaluate_files

AVA60 = sorted(set(range(1, 81)) - {2, 16, 18, 19, 21, 23, 25, 31, 32, 33,
                                    35, 39, 40, 42, 44, 50, 53, 55, 71, 75})


def write_rows(path, videos, stamps, boxes, labels, last, last_fmt):
    with open(path, 'w') as f:
        f.writelines(
            f'{v},{t:04d},{b[0]:.3f},{b[1]:.3f},{b[2]:.3f},{b[3]:.3f},{c},'
            f'{s:{last_fmt}}\n'
            for v, t, b, c, s in zip(videos, stamps, boxes, labels, last))


def synthesise(folder: str, scale: float, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    n_videos = max(1, round(64 * scale))
    vids = np.array([f'video-{i:03d}_x' for i in range(n_videos)])
    frames = np.stack(np.meshgrid(np.arange(n_videos), np.arange(902, 1799)),
                      -1).reshape(-1, 2)
    # ~5 groundtruth rows per keyframe: 2-3 people with 1-3 actions
    n_gt = rng.poisson(5, len(frames)).clip(1, 12)
    g_frame = np.repeat(np.arange(len(frames)), n_gt)
    xy = rng.uniform(0, 0.6, (len(g_frame), 2))
    wh = rng.uniform(0.1, 0.4, (len(g_frame), 2))
    g_box = np.concatenate([xy, np.minimum(xy + wh, 1)], 1)
    g_lab = rng.choice(AVA60, len(g_frame))
    g_lab[:len(AVA60)] = AVA60  # every class has groundtruth
    # ~12 detections per keyframe: jittered truths plus random boxes
    n_det = rng.poisson(12, len(frames)).clip(1, 60)
    d_frame = np.repeat(np.arange(len(frames)), n_det)
    src = rng.integers(0, len(g_frame), len(d_frame))
    near = rng.random(len(d_frame)) < 0.5
    jitter = rng.normal(0, 0.03, (len(d_frame), 4))
    d_box = np.where(near[:, None], g_box[src] + jitter,
                     np.concatenate([xy[src] * 0.5, xy[src] * 0.5 + 0.3],
                                    1))
    # sort (x1, x2) and (y1, y2) so every box is well formed
    d_box = np.sort(d_box.clip(0, 1).reshape(-1, 2, 2), axis=1).reshape(-1,
                                                                        4)
    d_lab = np.where(near, g_lab[src], rng.choice(AVA60, len(d_frame)))
    d_frame = np.where(near, g_frame[src], d_frame)
    scores = np.round(rng.beta(2, 5, len(d_frame)) + near * 0.2, 4)
    paths = {k: os.path.join(folder, f'{k}.csv')
             for k in ('gt', 'det', 'excluded')}
    write_rows(paths['gt'], vids[frames[g_frame, 0]], frames[g_frame, 1],
               g_box, g_lab, np.zeros(len(g_frame), int), 'd')
    write_rows(paths['det'], vids[frames[d_frame, 0]], frames[d_frame, 1],
               d_box, d_lab, scores, '.4f')
    excluded = frames[rng.choice(len(frames), len(frames) // 200)]
    with open(paths['excluded'], 'w') as f:
        f.writelines(f'{vids[v]},{t:04d}\n' for v, t in excluded)
    paths['labels'] = os.path.join(folder, 'labels.pbtxt')
    with open(paths['labels'], 'w') as f:
        f.writelines(f'item {{\n  name: "action {c}"\n  id: {c}\n}}\n'
                     for c in AVA60)
    return dict(paths, keyframes=len(frames), gt_rows=len(g_frame),
                det_rows=len(d_frame))


def whole_process(args: tuple) -> float:
    """Wall time of ``tools/eval_ava.py`` in a fresh interpreter."""
    det, gt, labels, excluded = args
    tool = os.path.join(os.path.dirname(__file__), '..', 'tools',
                        'eval_ava.py')
    start = time.perf_counter()
    subprocess.run([sys.executable, tool, det, '--gt', gt, '--labels',
                    labels, '--exclusions', excluded], check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--scale', type=float, default=1.0)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        data = synthesise(folder, args.scale, args.seed)
        print(f'{data["keyframes"]} keyframes, {data["gt_rows"]} groundtruth'
              f' rows, {data["det_rows"]} detections, {len(AVA60)} classes')
        args_ = (data['det'], data['gt'], data['labels'], data['excluded'])
        start = time.perf_counter()
        ours = evaluate_files(*args_)
        t_ours = time.perf_counter() - start
        tracemalloc.start()  # a second, traced run: tracing slows it down
        evaluate_files(*args_)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        start = time.perf_counter()
        theirs = ava_eval(data['det'], 'mAP', data['labels'], data['gt'],
                          data['excluded'], verbose=False)
        t_mm = time.perf_counter() - start
        t_cli = whole_process(args_)
    print(f'ours:      mAP {ours["mAP"]:.6f} in {t_ours:.2f} s, peak traced '
          f'memory {peak / 2**20:.0f} MiB')
    print(f'tools/eval_ava.py whole process: {t_cli:.2f} s '
          f'({t_cli - t_ours:+.2f} s over the evaluation)')
    print(f'mmaction2: mAP {theirs["overall"]:.6f} in {t_mm:.2f} s')
    print(f'speedup_vs_mmaction2={t_mm / t_ours:.2f}')


if __name__ == '__main__':
    main()
