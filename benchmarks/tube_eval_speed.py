"""Frame-mAP and video-mAP with linking: ours against the official code,
each as a whole process on the same files.

    python benchmarks/tube_eval_speed.py [--scale 0.1] [--seed 0]
        [--only ucf-jhmdb|multisports]

Two synthetic cases in the official formats (an ACT annotation pickle and
an (N, 8) float32 detection pickle):

- UCF101-24-sized (scale 1): 24 classes, 900 test videos of 60-240
  frames (150 on average), 320x240, one class and 1-2 people per video,
  tubes over part of the video (untrimmed); about 10 detections per
  frame (the true class and four others per person, a bystander seen
  doing one wrong class).
- MultiSports-sized (scale 1): 66 classes (6 excluded by the protocol),
  800 videos of 300-700 frames, 1280x720, 4 players each doing a run of
  short actions (20-80 frames) with pauses; about 10 detections per frame.

Ours: ``tools/eval_tubes.py GT DETS --protocol P --link --json``.
Official, run with ``--official P``:

- multisports: mmaction2's ``multisports_utils`` (frameAP, link_tubes,
  videoAP at 0.2, 0.5 and at each threshold of videoAP_all's ranges),
  with the two fixes without which it cannot be compared: its
  ``iou3dt_voc`` made numpy-2 safe (it raises TypeError) and
  ``link_tubes`` given each row's own score (see docs/evaluation.md).
- ucf-jhmdb: ACT-detector / MOC-Detector are not on PyPI and this machine
  reaches no GitHub, so their rules run as the plain loops of the tests
  (``official_rules``, ``act_video_ap``: one Python step per detection and
  per tube pair, as theirs) and MOC's linking as mmaction2's loop with
  ACT's +1 IoU (the same loop). A stand-in for their cost, not their code.

Results are checked equal first (the official code reports percents, so
to 1e-12 relative). Prints the time of each process and ours in-process by
stage; last line ``speedup_vs_official=<x>`` (the smaller of the two).
"""
import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXCLUDED = ['aerobic kick jump', 'aerobic off axis jump',
            'aerobic butterfly jump', 'aerobic balance turn',
            'basketball save', 'basketball jump ball']


def _box_track(rng, frames, w, h, size):
    """A person's boxes over ``frames``: a random walk, clipped."""
    bw, bh = size
    x = rng.uniform(0, w - bw) + np.cumsum(rng.normal(0, 1.5, len(frames)))
    y = rng.uniform(0, h - bh) + np.cumsum(rng.normal(0, 0.8, len(frames)))
    x, y = x.clip(0, w - bw - 1), y.clip(0, h - bh - 1)
    return np.stack([frames, x, y, x + bw, y + bh], 1)


def _noisy(rng, rows, sd):
    out = rows.copy()
    out[:, 1:5] += rng.normal(0, sd, (len(rows), 4))
    out[:, 3:5] = np.maximum(out[:, 3:5], out[:, 1:3] + 1)
    return out


def synthesise(kind: str, scale: float, seed: int):
    """The annotation dict and the (N, 8) float32 detections."""
    rng = np.random.default_rng(seed)
    if kind == 'ucf-jhmdb':
        n_videos, n_classes, (h, w) = round(900 * scale), 24, (240, 320)
        labels = [f'Class{i:02d}' for i in range(n_classes)]
    else:
        n_videos, n_classes, (h, w) = round(800 * scale), 66, (720, 1280)
        labels = EXCLUDED + [f'sport action {i:02d}' for i in range(60)]
    videos = [f'{labels[i % n_classes].split()[0]}/v{i:04d}'
              for i in range(max(n_classes if kind == 'ucf-jhmdb' else 2,
                                 n_videos))]
    gttubes, nframes, dets = {}, {}, []
    for iv, video in enumerate(videos):
        gttubes[video] = {}
        people = []  # (track, [(first, last, label)])
        if kind == 'ucf-jhmdb':
            n = nframes[video] = int(rng.integers(60, 241))
            label = iv % n_classes  # every class has ground truth
            for _ in range(rng.integers(1, 3)):
                a = int(rng.integers(1, n // 2))
                b = int(rng.integers(a + n // 3, n + 1))
                people.append((_box_track(rng, np.arange(1, n + 1), w, h,
                                          (60, 120)), [(a, b, label)]))
            per_box = 5
        else:
            n = nframes[video] = int(rng.integers(300, 701))
            for _ in range(4):
                track = _box_track(rng, np.arange(1, n + 1), w, h, (90, 220))
                spans, f = [], int(rng.integers(1, 40))
                while f < n - 20:
                    end = min(n, f + int(rng.integers(20, 81)))
                    spans.append((f, end, int(rng.integers(n_classes))))
                    f = end + int(rng.integers(5, 60))
                people.append((track, spans))
            per_box = 2
        for track, spans in people:
            # every frame of the person, ``per_box`` rows: in an action
            # its class scored higher, other classes lower; boxes jittered
            seen = _noisy(rng, track, 3.0)
            rows = np.repeat(seen, per_box, 0)
            lab = rng.integers(0, n_classes, len(rows))
            score = rng.beta(1, 6, len(rows))
            first = np.arange(len(rows)) % per_box == 0
            for a, b, label in spans:
                gttubes[video].setdefault(label, []).append(track[a - 1:b])
                true = first & (rows[:, 0] >= a) & (rows[:, 0] <= b)
                lab[true] = label
                score[true] = rng.beta(5, 2, true.sum())
            dets.append(np.column_stack([np.full(len(rows), iv), rows[:, 0],
                                         lab, score, rows[:, 1:5]]))
        # a bystander in every frame, seen doing one wrong class (scored
        # lower) and a random one: false tubes
        false = _box_track(rng, np.arange(1, n + 1), w, h, (60, 120))
        rows = np.repeat(false, 2, 0)
        lab = rng.integers(0, n_classes, len(rows))
        lab[::2] = rng.integers(0, n_classes)
        dets.append(np.column_stack([
            np.full(len(rows), iv), rows[:, 0], lab,
            rng.beta(1, 4, len(rows)), rows[:, 1:5]]))
    gt = dict(labels=labels, gttubes=gttubes, nframes=nframes,
              train_videos=[[]], test_videos=[videos],
              resolution={v: (h, w) for v in videos})
    return gt, np.concatenate(dets).astype(np.float32)


def official(protocol: str, gt_path: str, det_path: str, out: str) -> None:
    """The official pipeline (stand-in for ucf-jhmdb) as one process."""
    sys.path.insert(0, os.path.join(ROOT, 'tests'))
    import mmaction.evaluation.functional.multisports_utils as ms
    from test_tube_eval import act_iou3dt, act_video_ap, official_rules
    from test_tube_link import act_iou2d, frames_by_row
    with open(gt_path, 'rb') as f:
        gt = pickle.load(f)
    with open(det_path, 'rb') as f:
        dets = pickle.load(f)
    videos, labels = gt['test_videos'][0], gt['labels']
    ms.track = lambda x, description=None: x
    if protocol == 'multisports':
        ms.iou3dt_voc = lambda a, b: act_iou3dt(a, b, one=0.0)
        ms.Dataset.get_vid_dets = frames_by_row(np.float64)
        frame = ms.frameAP(gt, dets, 0.5, print_info=False) / 100
        tubes = ms.link_tubes(gt, dets)

        def vmap(thr):
            return ms.videoAP(gt, tubes, thr, print_info=False) / 100
        # videoAP_all's ranges, unrounded (it rounds to 4 digits)
        video = {'0.2': vmap(0.2), '0.5': vmap(0.5),
                 '0.05:0.45': sum(vmap(0.05 + 0.05 * i)
                                  for i in range(9)) / 9,
                 '0.1:0.9': sum(vmap(0.1 + 0.1 * i) for i in range(9)) / 9,
                 '0.5:0.95': sum(vmap(0.5 + 0.05 * i)
                                 for i in range(10)) / 10}
    else:
        ms.Dataset.get_vid_dets = frames_by_row(dets.dtype)
        ms.iou2d_voc = act_iou2d
        frame = float(np.mean(list(official_rules(
            dets.astype(np.float64), gt['gttubes'], videos,
            labels).values())))
        tubes = ms.link_tubes(gt, dets)

        def vmap(thr):
            return float(np.mean(list(act_video_ap(
                tubes, gt['gttubes'], videos, labels, thr).values())))
        video = {'0.2': vmap(0.2), '0.5': vmap(0.5), '0.75': vmap(0.75),
                 '0.5:0.95': float(np.mean([vmap(0.5 + 0.05 * i)
                                            for i in range(10)]))}
    with open(out, 'w') as f:
        json.dump(dict(frame_mAP=frame, video_mAP=video), f)


def timed(cmd):
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def stages(gt, dets, protocol):
    """Ours in-process, by stage (seconds)."""
    sys.path.insert(0, ROOT)
    from videomae_det_core.tubes import frame_ap, link_tubes
    from videomae_det_core.tubes.evaluate import VIDEO_THRESHOLDS
    from videomae_det_core.tubes.video_ap import video_aps
    videos, labels = gt['test_videos'][0], gt['labels']
    t = [time.perf_counter()]
    frame_ap(dets, gt['gttubes'], videos, labels, protocol)
    t.append(time.perf_counter())
    tubes = link_tubes(dets, videos, gt['nframes'], len(labels), protocol)
    t.append(time.perf_counter())
    video_aps(tubes, gt['gttubes'], videos, labels, protocol,
              [t for ts in VIDEO_THRESHOLDS[protocol].values() for t in ts])
    t.append(time.perf_counter())
    return dict(zip(('frame-AP', 'linking', 'video-AP'), np.diff(t)))


def compare(ours: dict, theirs: dict, protocol: str) -> None:
    pairs = [('frame_mAP', ours['frame_mAP'], theirs['frame_mAP'])] + [
        (f'video_mAP@{k}', ours['video_mAP'][k], v)
        for k, v in theirs['video_mAP'].items()]
    for name, a, b in pairs:
        if not np.isclose(a, b, rtol=1e-12, atol=0):
            sys.exit(f'{protocol}: {name} differs: ours {a!r}, official '
                     f'{b!r}')
        print(f'  {name:18s} {100 * a:8.4f}  (official {100 * b:8.4f})')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--scale', type=float, default=0.1)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--only', choices=('ucf-jhmdb', 'multisports'))
    parser.add_argument('--official', nargs=4, metavar=('PROTOCOL', 'GT',
                                                        'DETS', 'OUT'),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.official:
        official(*args.official)
        return
    ratios = []
    for protocol in [args.only] if args.only else ['ucf-jhmdb',
                                                   'multisports']:
        gt, dets = synthesise(protocol, args.scale, args.seed)
        n_frames = sum(gt['nframes'].values())
        print(f'{protocol}: {len(gt["nframes"])} videos, {n_frames} frames, '
              f'{len(dets)} detections ({len(dets) / n_frames:.1f} per '
              f'frame), {len(gt["labels"])} classes')
        with tempfile.TemporaryDirectory() as tmp:
            paths = [os.path.join(tmp, n) for n in (
                'gt.pkl', 'dets.pkl', 'ours.json', 'official.json')]
            with open(paths[0], 'wb') as f:
                pickle.dump(gt, f)
            with open(paths[1], 'wb') as f:
                pickle.dump(dets, f)
            ours_s = timed([sys.executable, os.path.join(
                ROOT, 'tools/eval_tubes.py'), *paths[:2], '--protocol',
                protocol, '--link', '--json', paths[2]])
            theirs_s = timed([sys.executable, __file__, '--official',
                              protocol, paths[0], paths[1], paths[3]])
            with open(paths[2]) as f, open(paths[3]) as g:
                compare(json.load(f), json.load(g), protocol)
        by_stage = stages(gt, dets, protocol)
        print('  ours in-process: ' + ', '.join(
            f'{k} {v:.2f} s' for k, v in by_stage.items()))
        print(f'  whole process: ours {ours_s:.2f} s, official '
              f'{theirs_s:.2f} s: {theirs_s / ours_s:.1f}x')
        ratios.append(theirs_s / ours_s)
    print(f'speedup_vs_official={min(ratios):.1f}')


if __name__ == '__main__':
    main()
