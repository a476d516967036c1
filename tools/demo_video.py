"""Who does what when in a video or a live stream: person tracks with their
actions, once per keyframe, from a trained AVA detector.

    python tools/demo_video.py VIDEO|CAMERA|URL CONFIG CHECKPOINT \
        [--boxes BOXES.{csv,pkl} [--boxes-start 900] |
         --det-config C --det-checkpoint W]  (default: packaged SSD people)
        [--out-dir DIR] [--out-video a.mp4] [--out-json a.json]
        [--out-csv a.csv] [--out-timeline a.png]
        [--out-jsonl a.jsonl|-] [--out-stream URL] [--realtime] [--show]
        [--labels LABELS.pbtxt] [--topk 3] [--thr 0.3 [label=0.5 ...]|FILE]
        [--interval 1]
        [--device cpu|cuda:0] [--amp] [--no-track] [--cfg-options k=v ...]
        [--backend pytorch|onnxruntime]  (onnxruntime: CHECKPOINT is a
                                          detector exported to ONNX)

The video is decoded once, front to back, and each keyframe's clip is built
by the config's own test pipeline steps, so the scores equal
``tools/test.py``'s for the same clip and boxes. Person boxes come from a
file (CSV rows ``second,x1,y1,x2,y2[,score]`` or a proposals pickle,
normalised to [0, 1]), an mmdet detector, or by default the packaged
SSD-MobileNet-v2 COCO detector (offline; OpenCV's HOG with --hog or when
its package is missing: docs/video_demo.md). Boxes are linked
into tracks (mmdet's ByteTracker). Outputs: an annotated video, a JSON and
a CSV of actions per track per keyframe (written as it goes), and a
timeline chart; with no --out-* option all of them go to --out-dir (default
work_dirs/demo_video/<video name>). Exit codes: 0 done, 1 bad input (named),
2 usage.

Live: a camera index (``0``), an RTSP/HTTP URL, or a file with
``--realtime`` (delivered at its frame rate) is read by a capture thread
into a window of one clip; at each keyframe interval the newest complete
clip is scored and keyframes the model was too slow for are skipped
(counted, shown), so latency stays bounded (videomae_det.apis.live).
Results stream out as they come: JSON lines (``--out-jsonl -``: stdout),
the CSV, the annotated video, a window (``--show``). Ctrl-C or the end of
the stream closes every output complete.
"""
import argparse
import os
import os.path as osp
import signal
import sys
import time

from mmengine.config import Config, DictAction

import videomae_det  # noqa: F401  (before mmaction.models: compat fixes)
from videomae_det.apis import (
    AnnotatedStream,
    AnnotatedVideo,
    AVADetInferencer,
    ResultWriter,
    build_people,
    default_people,
    plot_timeline,
)
from videomae_det_core.errors import InputError, exit_code

OUTPUTS = dict(out_video='annotated.mp4', out_json='actions.json',
               out_csv='actions.csv', out_timeline='timeline.png')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('video', help='a video file, a camera index or a '
                        'stream URL (live)')
    parser.add_argument('config')
    parser.add_argument('checkpoint', help='weights, or with --backend '
                        'onnxruntime the exported detector (.onnx)')
    people = parser.add_argument_group(
        'person boxes (default: the packaged SSD-MobileNet-v2 COCO detector)')
    people.add_argument('--boxes', help='CSV or proposals pickle, normalised')
    people.add_argument('--boxes-start', type=int, default=0,
                        help="the video's first frame in the file's seconds "
                        '(900 for AVA proposals of a cut segment)')
    people.add_argument('--det-config', help='mmdet detector config')
    people.add_argument('--det-checkpoint', help='its weights')
    people.add_argument('--hog', action='store_true',
                        help="OpenCV's HOG people detector (weak)")
    people.add_argument('--det-thr', type=float, default=None,
                        help='minimum person score (boxes file: 0, mmdet '
                        'and SSD: 0.5, HOG: 0.3)')
    people.add_argument('--det-nms', type=float, default=None,
                        help='NMS IoU of the person boxes (SSD: 0.5, HOG: '
                        '0.4, boxes file and mmdet: none)')
    parser.add_argument('--no-track', action='store_true',
                        help='no track ids (people per keyframe only)')
    parser.add_argument('--out-dir', help='folder for every output not given '
                        'below (default work_dirs/demo_video/<video name>)')
    for key, name in OUTPUTS.items():
        parser.add_argument('--' + key.replace('_', '-'), help=f'({name})')
    parser.add_argument('--labels', help='label map (default: the config\'s)')
    parser.add_argument('--topk', type=int, default=3)
    parser.add_argument('--out-jsonl', help='a JSON line per keyframe as it '
                        'is scored (- for stdout)')
    parser.add_argument('--out-stream', help='live: the annotated frames '
                        'encoded to rtsp://, rtmp://, udp://, tcp:// or a '
                        'file (ffmpeg, the live extra)')
    parser.add_argument('--realtime', action='store_true',
                        help='deliver a file at its frame rate and score it '
                        'live (cameras and URLs always are)')
    parser.add_argument('--show', action='store_true',
                        help='a window with the annotated frames (live)')
    parser.add_argument('--thr', nargs='+', default=['0.3'],
                        help='list actions scoring at least this: one value, '
                        'label=value pairs, a thresholds file '
                        '(tools/analysis/thresholds.py), or a mix')
    parser.add_argument('--interval', type=float, default=1.0,
                        help='seconds between keyframes')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--compile', action='store_true',
                        help='compile the backbone (torch.compile); the '
                        'first clip pays it, reported')
    parser.add_argument('--amp', action='store_true',
                        help='bf16 on CPUs, fp16 on GPUs')
    parser.add_argument('--backend', default='pytorch',
                        choices=['pytorch', 'onnxruntime'])
    parser.add_argument('--allow-partial', action='store_true',
                        help='run a checkpoint that does not fit the config '
                        '(what does not fit stays random, listed)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args()
    if sum(map(bool, (args.det_config, args.boxes, args.hog))) > 1:
        parser.error('give one of --boxes, --det-config, --hog')
    return args


def person_source(args):
    name = osp.splitext(osp.basename(args.video))[0]
    settings = (args.det_thr, args.det_nms)
    if args.boxes:
        return build_people('boxes', *settings, path=args.boxes, video=name,
                            start=args.boxes_start)
    if args.det_config:
        return build_people('mmdet', *settings, config=args.det_config,
                            checkpoint=args.det_checkpoint,
                            device=args.device)
    if args.hog:
        return build_people('hog', *settings)
    return default_people(*settings)


class Progress:
    """Frames decoded, frames/s, keyframes scored: a bar on a terminal, a
    line every 10% in a log."""

    def __init__(self, total: int) -> None:
        self.total, self.start, self.shown = total, time.perf_counter(), -1
        self.tty = sys.stdout.isatty()
        self.last, self.said = -1, None  # keyframes in the last line

    def finish(self, keyframes: int) -> None:
        """The last line again, with every keyframe counted (the last
        ones are scored after their frames were read)."""
        if keyframes != self.said:
            self.shown = None
            self(self.last, keyframes)

    def __call__(self, index: int, keyframes: int) -> None:
        self.last = index
        done = index + 1
        step = done * (40 if self.tty else 10) // self.total
        if step == self.shown and done != self.total:
            return
        self.shown, self.said = step, keyframes
        rate = done / max(time.perf_counter() - self.start, 1e-9)
        text = (f'{done}/{self.total} frames, {rate:.1f} frames/s, '
                f'{keyframes} keyframes')
        if self.tty:
            print(f'\r[{"#" * step:<40}] {text}', end='', flush=True)
        else:
            print(text, flush=True)


def is_live(args) -> bool:
    return args.realtime or args.video.isdigit() or '://' in args.video


def output_paths(args) -> dict:
    """The --out-* paths; all of them in one folder when none is given."""
    outputs = {k: getattr(args, k) for k in OUTPUTS}
    if not any(outputs.values()) and not args.out_jsonl or args.out_dir:
        name = (f'camera{args.video}' if args.video.isdigit() else
                osp.splitext(osp.basename(args.video.rstrip('/')))[0])
        folder = args.out_dir or osp.join('work_dirs', 'demo_video', name)
        os.makedirs(folder, exist_ok=True)
        outputs = {k: v or osp.join(folder, OUTPUTS[k])
                   for k, v in outputs.items()}
    return outputs


def run(args: argparse.Namespace) -> None:
    jsonl = args.out_jsonl
    if jsonl == '-':  # stdout is the JSON lines' alone: the rest to stderr
        jsonl = os.fdopen(os.dup(sys.stdout.fileno()), 'w')
        sys.stdout.flush()
        os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if args.out_stream and not is_live(args):
        raise InputError('--out-stream is for live sources (a camera, a '
                         'URL, or a file with --realtime)')
    if args.show and not (os.environ.get('DISPLAY') or
                          os.environ.get('WAYLAND_DISPLAY')):
        raise InputError('--show needs a display (no DISPLAY here): write '
                         '--out-video or --out-jsonl instead')
    inferencer = AVADetInferencer(
        cfg, args.checkpoint, device=args.device, amp=args.amp,
        track=not args.no_track, interval=args.interval,
        labels=args.labels, thr=args.thr, topk=args.topk,
        allow_partial=args.allow_partial, backend=args.backend,
        compile=args.compile)
    inferencer.people = person_source(args)
    outputs = output_paths(args)
    writer = ResultWriter(outputs['out_csv'], outputs['out_json'],
                          jsonl=jsonl)
    try:
        (run_live if is_live(args) else run_file)(args, inferencer, outputs,
                                                  writer)
    finally:
        writer.close()
    if outputs['out_timeline'] and writer.results:
        plot_timeline(writer.results, outputs['out_timeline'],
                      float(inferencer.thr.min()), osp.basename(args.video),
                      writer.duration)
    for key, path in outputs.items():
        if path:
            codec = getattr(writer, 'codec', None)
            extra = f' ({codec})' if key == 'out_video' and codec else ''
            print(f'{key[4:]}: {path}{extra}')


def run_file(args, inferencer, outputs, writer) -> None:
    from videomae_det.apis import FrameStream
    from videomae_det.apis.corpus import score_video
    total = FrameStream(args.video)
    video = AnnotatedVideo(outputs['out_video'], total.fps,
                           args.interval) if outputs['out_video'] else None
    progress = Progress(total.num_frames)
    del total
    try:
        info = score_video(inferencer, args.video, writer, video, progress)
    finally:
        if video:
            video.close()
            writer.codec = video.codec
    progress.finish(info['keyframes'])
    if sys.stdout.isatty():
        print()
    if 'warning' in info:
        print(f'warning: {info["warning"]}', file=sys.stderr)
    print(f'{info["keyframes"]} keyframes, {info["people"]} person boxes '
          'scored' + ('' if info['people'] else ': no people found'))


def run_live(args, inferencer, outputs, writer) -> None:
    """Score a live source until it ends or Ctrl-C; every output closed
    complete either way."""
    import numpy as np

    from videomae_det.apis.outputs import draw_people
    video, stream, latencies, skipped, people = None, None, [], 0, 0
    results = inferencer.iter_live(args.video, keep_all=bool(
        outputs['out_video'] or args.out_stream or args.show))
    newest = None  # the newest full frame, for the window

    def interrupt(signum, frame):
        """Ctrl-C: finish the keyframe in hand, then close everything (a
        second Ctrl-C stops at once)."""
        signal.signal(signal.SIGINT, signal.default_int_handler)
        print('interrupted: closing the outputs', file=sys.stderr)
        capture = getattr(inferencer, 'capture', None)
        if capture is None:
            raise KeyboardInterrupt
        capture.stop()

    previous = signal.signal(signal.SIGINT, interrupt)
    try:
        for result in results:
            capture = inferencer.capture
            if outputs['out_video'] and video is None:
                video = AnnotatedVideo(outputs['out_video'], capture.fps,
                                       args.interval)
            if args.out_stream and stream is None:
                stream = AnnotatedStream(args.out_stream, capture.fps,
                                         args.interval)
            sinks = [s for s in (video, stream) if s]
            while capture.outgoing:
                index, frame = capture.outgoing.popleft()
                newest = frame
                for sink in sinks:
                    sink.frame(index, frame)
            skipped += result['skipped']
            people += len(result['people'])
            latencies.append(result['latency'])
            status = (f'{result["second"]:.1f} s  latency '
                      f'{result["latency"]:.2f} s  skipped {skipped}')
            for sink in sinks:
                sink.keyframe(result, status)
            writer.add(result)
            print(f'{status}  people {len(result["people"])}',
                  file=sys.stderr, flush=True)
            if args.show and newest is not None:
                import cv2
                img = draw_people(np.ascontiguousarray(newest[:, :, ::-1]),
                                  result['people'])
                cv2.imshow('videomae_det', img)
                if cv2.waitKey(1) & 0xFF in (ord('q'), 27):
                    break
    except KeyboardInterrupt:
        pass  # said by the handler
    except BrokenPipeError:  # the JSON lines' reader left (| head)
        print('JSON lines output closed: closing the others',
              file=sys.stderr)
    finally:
        signal.signal(signal.SIGINT, previous)
        results.close()  # stops the capture thread
        capture = getattr(inferencer, 'capture', None)
        sinks = [s for s in (video, stream) if s]
        while sinks and capture is not None and capture.outgoing:
            index, frame = capture.outgoing.popleft()
            for sink in sinks:
                sink.frame(index, frame)
        for sink in sinks:
            sink.close()
        if video:
            writer.codec = video.codec
        if capture is not None:
            writer.duration = (capture.newest + 1) / capture.fps
            skipped = capture.skipped  # the stream's last ones included
    lat = np.percentile(latencies, [50, 95, 100]) if latencies else [0] * 3
    print(f'{len(latencies)} keyframes scored, {skipped} skipped, {people} '
          f'person boxes; latency p50 {lat[0]:.2f} s, p95 {lat[1]:.2f} s, '
          f'max {lat[2]:.2f} s')


def main() -> int:
    return exit_code(run, parse_args())


if __name__ == '__main__':
    sys.exit(main())
