"""Spatio-temporal action detection on any video, once per second.

    python tools/demo_video.py VIDEO CONFIG CHECKPOINT \
        (--boxes BOXES.{pkl,csv} | --det-config C --det-checkpoint W) \
        [--out-video out.mp4] [--out-json actions.json] [--out-csv a.csv] \
        [--labels LABELS.pbtxt] [--topk 3] [--thr 0.3]

Person boxes per second come from a file (a CSV of ``second,x1,y1,x2,y2``
or a pickle ``{second or "video,%04d": array (N, 4|5)}``, boxes normalised
to [0, 1]) or from an mmdet detector. For each second the clip around it
(the config's clip length and stride) is decoded with decord, resized as the
config's test pipeline does, and scored; the annotated video shows every
box with its top actions, and the JSON/CSV lists actions per person per
second.
"""
import argparse
import csv
import json
import os.path as osp
import sys
from typing import Dict, List

import cv2
import decord
import numpy as np
import torch
from mmengine.config import Config
from mmengine.structures import InstanceData
from mmengine.utils import ProgressBar

import videomae_det  # noqa: F401  (before mmaction.models: compat fixes)

# isort: split
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmaction.utils import register_all_modules

from videomae_det.checkpoint.fit import load_weights
from videomae_det.datasets.proposals import read_proposals
from videomae_det.errors import exit_code
from videomae_det.evaluation.ava import read_label_map


def read_boxes(path: str, video: str) -> Dict[int, np.ndarray]:
    """Second -> ``(N, 4)`` normalised boxes."""
    boxes: Dict[int, list] = {}
    if path.endswith('.csv'):
        with open(path) as f:
            for lineno, row in enumerate(csv.reader(f), 1):
                if len(row) < 5:
                    raise ValueError(f'{path}:{lineno}: expected second,x1,'
                                     f'y1,x2,y2, got {row}')
                boxes.setdefault(int(float(row[0])), []).append(
                    [float(v) for v in row[1:5]])
        return {k: np.array(v) for k, v in boxes.items()}
    data = read_proposals(path, allow_seconds=True)
    out = {}
    for key, value in data.items():
        if isinstance(key, str):
            vid, _, sec = key.rpartition(',')
            if vid and vid != video:
                continue
            key = int(sec)
        out[int(key)] = np.asarray(value)[:, :4]
    return out


def detector_boxes(config: str, checkpoint: str, frames: Dict[int, np.ndarray],
                   thr: float) -> Dict[int, np.ndarray]:
    """Person boxes from an mmdet detector (class 0 = person, COCO)."""
    from mmdet.apis import inference_detector, init_detector
    model = init_detector(config, checkpoint, device='cpu')
    out = {}
    for sec, frame in frames.items():
        pred = inference_detector(model, frame[:, :, ::-1]).pred_instances
        keep = (pred.labels == 0) & (pred.scores > thr)
        h, w = frame.shape[:2]
        out[sec] = (pred.bboxes[keep].cpu().numpy() / [w, h, w, h])
    return out


def test_settings(cfg: Config):
    """Clip length, stride and short side of the config's test pipeline."""
    steps = {s['type']: s for s in cfg.test_dataloader.dataset.pipeline}
    sample = steps['SampleAVAFrames']
    short = steps.get('Resize', {}).get('scale', (-1, 256))[1]
    return sample['clip_len'], sample['frame_interval'], short


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('video')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--boxes', help='person boxes (csv or pkl)')
    parser.add_argument('--det-config', help='mmdet person detector config')
    parser.add_argument('--det-checkpoint')
    parser.add_argument('--det-thr', type=float, default=0.9)
    parser.add_argument('--labels', help='label map (default: config)')
    parser.add_argument('--out-video')
    parser.add_argument('--out-json')
    parser.add_argument('--out-csv')
    parser.add_argument('--topk', type=int, default=3)
    parser.add_argument('--thr', type=float, default=0.3)
    parser.add_argument(
        '--allow-partial', action='store_true',
        help='run a checkpoint that does not fit the config (what does not '
        'fit stays randomly initialised, listed in the log)')
    args = parser.parse_args()
    if not args.boxes and not args.det_config:
        parser.error('give --boxes or --det-config/--det-checkpoint')
    return exit_code(run, args)


def run(args: argparse.Namespace) -> None:

    register_all_modules()
    cfg = Config.fromfile(args.config)
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model).eval()
    load_weights(model, args.checkpoint,
                 'partial' if args.allow_partial else 'exact')
    labels = args.labels or cfg.test_dataloader.dataset.label_file
    names = {c['id']: c['name'] for c in read_label_map(labels)[0]}
    custom = cfg.test_dataloader.dataset.get('custom_classes')
    column_ids = custom or list(range(1, model.roi_head.bbox_head.num_classes))

    reader = decord.VideoReader(args.video, num_threads=1)
    fps = reader.get_avg_fps()
    seconds = int(len(reader) / fps)
    clip_len, stride, short = test_settings(cfg)
    centres = {s: min(int(round((s + 0.5) * fps)), len(reader) - 1)
               for s in range(seconds)}
    if args.boxes:
        boxes = read_boxes(args.boxes,
                           osp.splitext(osp.basename(args.video))[0])
    else:
        frames = {s: reader[c].asnumpy() for s, c in centres.items()}
        boxes = detector_boxes(args.det_config, args.det_checkpoint, frames,
                               args.det_thr)

    results: List[dict] = []
    bar = ProgressBar(seconds)
    for sec, centre in centres.items():
        people = boxes.get(sec)
        bar.update()
        if people is None or not len(people):
            continue
        inds = centre + (np.arange(clip_len) - clip_len // 2) * stride
        clip = reader.get_batch(inds.clip(0, len(reader) - 1).tolist())
        clip = clip.asnumpy()
        h, w = clip.shape[1:3]
        scale = short / min(h, w)
        size = (round(w * scale), round(h * scale))
        clip = np.stack([cv2.resize(f, size) for f in clip])
        sample = ActionDataSample()
        sample.set_metainfo(dict(img_shape=clip.shape[1:3]))
        pixel = np.array([size[0], size[1], size[0], size[1]])
        sample.proposals = InstanceData(
            bboxes=torch.from_numpy((people * pixel).astype(np.float32)))
        inputs = torch.from_numpy(clip).permute(3, 0, 1, 2)  # C T H W
        with torch.no_grad():
            pred = model.test_step(
                dict(inputs=[inputs], data_samples=[sample]))[0]
        scores = pred.pred_instances.scores[:, 1:].numpy()
        for person, (box, row) in enumerate(zip(people, scores)):
            top = np.argsort(row)[::-1][:args.topk]
            actions = [(names.get(column_ids[i], str(column_ids[i])),
                        float(row[i])) for i in top if row[i] >= args.thr]
            results.append(dict(second=sec, person=person,
                                box=[float(v) for v in box[:4]],
                                actions=actions))
    print(f'\n{len(results)} person-seconds scored')
    if args.out_json:
        with open(args.out_json, 'w') as f:
            json.dump(results, f, indent=1)
    if args.out_csv:
        with open(args.out_csv, 'w', newline='') as f:
            writer = csv.writer(f)
            writer.writerow(['second', 'person', 'x1', 'y1', 'x2', 'y2',
                             'action', 'score'])
            for r in results:
                for name, score in r['actions']:
                    writer.writerow([r['second'], r['person'], *r['box'],
                                     name, f'{score:.4f}'])
    if args.out_video:
        write_video(reader, fps, results, args.out_video)


def write_video(reader, fps: float, results: List[dict], path: str) -> None:
    """Every frame of a second carries that second's boxes and actions."""
    h, w = reader[0].shape[:2]
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), fps,
                             (w, h))
    by_second: Dict[int, list] = {}
    for r in results:
        by_second.setdefault(r['second'], []).append(r)
    for i in range(len(reader)):
        frame = np.ascontiguousarray(reader[i].asnumpy()[:, :, ::-1])
        for r in by_second.get(int(i / fps), []):
            x1, y1, x2, y2 = (np.array(r['box']) * [w, h, w, h]).astype(int)
            cv2.rectangle(frame, (x1, y1), (x2, y2), (0, 255, 0), 2)
            for k, (name, score) in enumerate(r['actions']):
                text, org = f'{name} {score:.2f}', (x1 + 2, y1 + 12 + 13 * k)
                (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX,
                                              0.4, 1)
                cv2.rectangle(frame, (org[0] - 1, org[1] - th - 2),
                              (org[0] + tw + 1, org[1] + 3), (0, 0, 0), -1)
                cv2.putText(frame, text, org, cv2.FONT_HERSHEY_SIMPLEX, 0.4,
                            (0, 255, 255), 1)
        writer.write(frame)
    writer.release()


if __name__ == '__main__':
    sys.exit(main())
