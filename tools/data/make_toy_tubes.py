"""Generate a small tube data set in the ACT format (UCF101-24's layout),
deterministically from a seed.

    python tools/data/make_toy_tubes.py OUT_DIR [--seed 0] [--videos 32]

Untrimmed videos of people walking across a room; in each video one person
performs the video's action for a few seconds (a single-label tube that
covers only those frames), sometimes beside a bystander who never acts:
frames where nobody acts and people who do not act are both part of the
test. Written as UCF101-24 is laid out on disk:

    OUT_DIR/toy_tubes_GT.pkl                      the annotation pickle
    OUT_DIR/rgb-images/<Class>/<video>/00001.jpg  frames, 1-based
    OUT_DIR/videos/<Class>/<video>.mp4            the same frames as video
    OUT_DIR/toy_tubes_proposals.pkl               person boxes, every frame

Two splits (each video tested in at most one). Proposals are every
person's box jittered, with detector-like scores, plus a few false boxes.
"""
import argparse
import os
import os.path as osp
import pickle

import cv2
import numpy as np

from videomae_det_core.progress import ProgressBar
from videomae_det_core.toy_scene import draw_person, make_room

CLASSES = ['Jump', 'Wave', 'Flash', 'Crouch']
FPS, W, H = 25, 128, 96


def person_box(p: dict, frame: int, acting: bool) -> np.ndarray:
    """``(x1, y1, x2, y2)`` in pixels: walking across, and doing the
    action while ``acting``."""
    cx = p['x0'] + p['speed'] * frame
    cy, w, h = p['cy'], p['w'], p['h']
    t = frame / FPS
    if acting and p['action'] == 'Jump':
        cy -= 20 * abs(np.sin(2 * np.pi * 1.5 * t))
    if acting and p['action'] == 'Crouch':
        s = 1 - 0.45 * abs(np.sin(2 * np.pi * 1.0 * t))
        cy, h = cy + h * (1 - s) / 2, h * s
    return np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])


def draw(img: np.ndarray, p: dict, frame: int, acting: bool) -> np.ndarray:
    box = person_box(p, frame, acting)
    shirt, trousers = np.array(p['shirt']), np.array(p['trousers'])
    if acting and p['action'] == 'Flash' and (frame // 4) % 2:
        shirt, trousers = 255 - shirt, 255 - trousers
    neck = draw_person(img, box, shirt, trousers)
    if acting and p['action'] == 'Wave':
        angle = np.pi / 3 * np.sin(2 * np.pi * 2 * frame / FPS)
        for side in (-1, 1):  # both arms, out of the body's outline
            x = round(box[2] if side > 0 else box[0])
            end = (round(x + side * 20 * np.cos(angle)),
                   round(neck - 20 * np.sin(angle)))
            cv2.line(img, (x, round(neck)), end, (255, 255, 255), 4)
    return box


def make_people(rng: np.random.Generator, action: str, n: int) -> list:
    people = []
    for i in range(n):
        h = rng.uniform(50, 64)
        direction = rng.choice([-1, 1])
        people.append(dict(
            action=action if i == 0 else None,
            x0=rng.uniform(24, 44) if direction > 0 else rng.uniform(84, 104),
            speed=direction * rng.uniform(0.2, 0.6), cy=rng.uniform(46, 52),
            w=h * rng.uniform(0.5, 0.6), h=h,
            shirt=rng.integers(30, 230, 3).tolist(),
            trousers=rng.integers(20, 140, 3).tolist()))
    return people


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('out_dir')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--videos', type=int, default=64)
    parser.add_argument('--frames', type=int, nargs=2, default=(48, 72),
                        metavar=('MIN', 'MAX'), help='video lengths')
    args = parser.parse_args()
    if args.videos < 8:
        parser.error('--videos: at least 8 (two splits of two classes)')
    rng = np.random.default_rng(args.seed)
    out = args.out_dir
    gt = dict(labels=list(CLASSES), gttubes={}, nframes={}, resolution={})
    proposals = {}
    bar = ProgressBar(args.videos)
    for i in range(args.videos):
        label = i % len(CLASSES)
        video = f'{CLASSES[label]}/v_{CLASSES[label]}_{i:03d}'
        n = int(rng.integers(args.frames[0], args.frames[1] + 1))
        length = int(rng.integers(n // 3, 2 * n // 3))
        start = int(rng.integers(1, n - length + 2))
        people = make_people(rng, CLASSES[label], int(rng.integers(1, 3)))
        room = make_room(rng, W, H)
        for sub in ('rgb-images/' + video, 'videos/' + osp.dirname(video)):
            os.makedirs(osp.join(out, sub), exist_ok=True)
        writer = cv2.VideoWriter(osp.join(out, 'videos', video + '.mp4'),
                                 cv2.VideoWriter_fourcc(*'mp4v'), FPS, (W, H))
        tube = []
        for f in range(1, n + 1):
            img = room.copy()
            boxes = []
            for p in people:
                acting = p['action'] is not None and start <= f < start + \
                    length
                box = draw(img, p, f, acting)
                boxes.append(box)
                if acting:
                    tube.append([f, *box.clip(0, [W - 1, H - 1] * 2)])
            writer.write(img)
            cv2.imwrite(osp.join(out, 'rgb-images', video, f'{f:05d}.jpg'),
                        img, [cv2.IMWRITE_JPEG_QUALITY, 95])
            jitter = [b / [W, H, W, H] + rng.normal(0, 0.015, 4)
                      for b in boxes]
            false = [np.sort(rng.uniform(0, 1, (2, 2)), 0).T.reshape(-1)
                     [[0, 2, 1, 3]] for _ in range(int(rng.random() < .1))]
            scores = np.r_[rng.uniform(0.85, 1.0, len(jitter)),
                           rng.uniform(0.2, 0.9, len(false))]
            proposals[f'{video},{f:05d}'] = np.c_[
                np.array(jitter + false).clip(0, 1), scores].astype(
                    np.float32)
        writer.release()
        gt['gttubes'][video] = {label: [np.array(tube, np.float32)]}
        gt['nframes'][video] = n
        gt['resolution'][video] = (H, W)
        bar.update()
    videos = list(gt['nframes'])
    quarter = len(videos) // 4
    tests = [videos[-quarter:], videos[:quarter]]
    gt['test_videos'] = tests
    gt['train_videos'] = [[v for v in videos if v not in t] for t in tests]
    with open(osp.join(out, 'toy_tubes_GT.pkl'), 'wb') as f:
        pickle.dump(gt, f, protocol=2)
    with open(osp.join(out, 'toy_tubes_proposals.pkl'), 'wb') as f:
        pickle.dump(proposals, f, protocol=2)
    print(f'\nwrote {args.videos} videos of {len(CLASSES)} classes to {out}: '
          f'2 splits of {len(videos) - quarter} train / {quarter} test')


if __name__ == '__main__':
    main()
