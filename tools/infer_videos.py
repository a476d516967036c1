"""The AVA detector over many videos: one output set per video, a merged
CSV, resumable, failures listed; worker processes on one machine, ranks
across GPUs and nodes.

    python tools/infer_videos.py LIST_OR_FOLDER CONFIG CHECKPOINT \
        --out-dir D [--workers N] [--video] [--timeline]
        [--det-config C --det-checkpoint W | --hog] [--det-thr T]
        [--thr 0.3 ...] [--topk 3] [--interval 1] [--labels L.pbtxt]
        [--device cpu|cuda] [--amp] [--launcher none|pytorch|slurm]

    tools/dist_infer.sh LIST CONFIG CHECKPOINT GPUS --out-dir D   # torchrun
    tools/slurm_run.sh PARTITION JOB infer_videos.py LIST CONFIG CHECKPOINT \
        --out-dir D                                               # slurm

LIST_OR_FOLDER is a folder (its videos, recursively) or a text file with
one path per line. Every video gets ``D/<name>/`` with ``actions.json``,
``actions.csv`` (and ``annotated.mp4``, ``timeline.png``), written under
``<name>.part`` and renamed when complete; the same command again skips
what is done and redoes the rest. Videos that fail are listed in
``D/failed.csv`` with the reason and never stop the run. At the end
``D/actions.csv`` merges every done video in AVA's columns (video, second,
x1, y1, x2, y2, action id, score). Videos are dealt to ``ranks x workers``
shards (every n-th video). Exit codes: 0 done (failures listed), 1 bad
input, 2 usage.
"""
import argparse
import os
import sys
import time

import videomae_det  # noqa: F401  (before mmaction.models: compat fixes)
from videomae_det_core.errors import exit_code


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('source', help='a folder of videos or a list file')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--out-dir', required=True)
    parser.add_argument('--workers', type=int, default=1,
                        help='processes on this machine (per rank)')
    parser.add_argument('--video', action='store_true',
                        help='also the annotated video of each')
    parser.add_argument('--timeline', action='store_true',
                        help='also the timeline chart of each')
    people = parser.add_argument_group(
        'person boxes (default: the packaged SSD-MobileNet-v2 COCO detector)')
    people.add_argument('--det-config', help='mmdet detector config')
    people.add_argument('--det-checkpoint', help='its weights')
    people.add_argument('--hog', action='store_true')
    people.add_argument('--det-thr', type=float, default=None)
    people.add_argument('--det-nms', type=float, default=None)
    parser.add_argument('--thr', nargs='+', default=['0.3'],
                        help='one value, label=value pairs, or a file')
    parser.add_argument('--topk', type=int, default=3)
    parser.add_argument('--interval', type=float, default=1.0)
    parser.add_argument('--labels', help="label map (default: the config's)")
    parser.add_argument('--device', default='cpu',
                        help='cpu, or cuda (each rank takes its local GPU)')
    parser.add_argument('--compile', action='store_true',
                        help='compile the backbone (torch.compile); the '
                        'first clip pays it, reported')
    parser.add_argument('--amp', action='store_true')
    parser.add_argument('--launcher', default='none',
                        choices=['none', 'pytorch', 'slurm', 'mpi'])
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if args.det_config and args.hog:
        parser.error('give one of --det-config, --hog')
    if args.workers < 1:
        parser.error('--workers must be at least 1')
    return args


def corpus(args):
    from videomae_det.apis.corpus import Corpus, list_videos
    outputs = ['json', 'csv'] + ['video'] * args.video + \
        ['timeline'] * args.timeline
    return Corpus(list_videos(args.source), args.out_dir, outputs)


def work(args: argparse.Namespace, shard: int, shards: int, device: str,
         threads: int) -> dict:
    """One shard: its own inferencer, its videos."""
    import torch

    from videomae_det.apis import AVADetInferencer, build_people
    torch.set_num_threads(threads)
    inferencer = AVADetInferencer(
        args.config, args.checkpoint, device=device, amp=args.amp,
        interval=args.interval, labels=args.labels, thr=args.thr,
        topk=args.topk, compile=args.compile)
    settings = (args.det_thr, args.det_nms)
    inferencer.people = (
        build_people('mmdet', *settings, config=args.det_config,
                     checkpoint=args.det_checkpoint, device=device)
        if args.det_config else build_people('hog' if args.hog else 'ssd',
                                             *settings))
    return corpus(args).run(inferencer, shard, shards,
                            log=lambda text: print(text, flush=True))


def distributed(launcher: str):
    """(rank, world size, local rank) after mmengine's setup (gloo on CPU,
    as tools/train.py)."""
    if launcher == 'none':
        return 0, 1, 0
    from mmengine.config import Config
    from mmengine.dist import get_dist_info

    from videomae_det.engine.runner_setup import init_cpu_distributed
    cfg = Config(dict(launcher=launcher, env_cfg=dict()))
    import torch
    if torch.cuda.is_available():
        from mmengine.dist import init_dist
        init_dist(launcher)
    else:
        init_cpu_distributed(cfg)
    rank, world = get_dist_info()
    return rank, world, int(os.environ.get('LOCAL_RANK', 0))


def run(args: argparse.Namespace) -> None:
    start = time.perf_counter()
    videos = corpus(args)  # checks the list before any model is built
    os.makedirs(args.out_dir, exist_ok=True)
    rank, world, local = distributed(args.launcher)
    device = f'cuda:{local}' if args.device == 'cuda' else args.device
    shards = world * args.workers
    first = rank * args.workers
    threads = max(1, (os.cpu_count() or 1) // args.workers)
    if rank == 0:
        left = sum(not videos.done(i) for i in range(len(videos.videos)))
        print(f'{len(videos.videos)} videos, {left} to do, {shards} '
              f'shard(s) ({world} rank(s) x {args.workers} worker(s))',
              flush=True)
    if args.workers == 1:
        counts = [work(args, first, shards, device, threads)]
    else:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor
        with ProcessPoolExecutor(args.workers,
                                 mp_context=mp.get_context('spawn')) as pool:
            counts = list(pool.map(
                work, [args] * args.workers,
                range(first, first + args.workers), [shards] * args.workers,
                [device] * args.workers, [threads] * args.workers))
    if world > 1:
        from mmengine.dist import barrier
        barrier()
    if rank == 0:
        from videomae_det.apis.inferencer import label_ids
        merged = videos.merge(label_ids(args.config, args.labels))
        print(f'{merged["done"]} of {len(videos.videos)} videos done, '
              f'{merged["failed"]} failed (failed.csv), {merged["rows"]} '
              f'rows in {os.path.join(args.out_dir, "actions.csv")}; this '
              f'run: {sum(c["done"] for c in counts)} scored here, '
              f'{sum(c["skipped"] for c in counts)} skipped as done, '
              f'{time.perf_counter() - start:.1f} s', flush=True)
    if world > 1:
        from videomae_det.engine.runner_setup import close_distributed
        close_distributed()


def main() -> int:
    return exit_code(run, parse_args())


if __name__ == '__main__':
    sys.exit(main())
