"""Generate a small labelled video-classification set, deterministically.

    python tools/data/make_toy_cls.py OUT_DIR [--seed 0] [--per-class 60]

Five motions that a single frame cannot tell apart (the order of frames
decides) and that a horizontal flip leaves unchanged: rise, fall, grow,
shrink, flash. Each clip (32 frames, 64x64, mp4) has a textured shape of
random colour, size, position and speed on a noisy background, plus a
distractor drifting sideways. Written as mmaction2 video lists:

    OUT_DIR/videos/<class>_<i>.mp4
    OUT_DIR/toy_cls_{train,val}.txt     "videos/<file> <label>" per line
    OUT_DIR/toy_cls_classes.txt         class names, one per line
"""
import argparse
import os
import os.path as osp

import cv2
import numpy as np

CLASSES = ('rise', 'fall', 'grow', 'shrink', 'flash')
FRAMES, SIZE = 32, 64


def render(label: int, rng: np.random.Generator) -> list:
    noise = rng.integers(0, 60, (8, 8, 3), dtype=np.uint8)
    background = cv2.resize(noise, (SIZE, SIZE)) + rng.integers(40, 120, 3,
                                                                 dtype=np.uint8)
    color = rng.integers(60, 255, 3)
    cx, cy = rng.uniform(20, 44, 2)
    size = rng.uniform(8, 14)
    speed = rng.uniform(0.5, 1.0)
    dx, dy = rng.uniform(5, 59), rng.uniform(5, 59)
    drift = rng.choice([-1, 1]) * rng.uniform(0.5, 1.5)
    frames = []
    for t in range(FRAMES):
        img = background.copy()
        y, s, c = cy, size, color
        if label == 0:
            y = cy + (FRAMES / 2 - t) * speed
        elif label == 1:
            y = cy - (FRAMES / 2 - t) * speed
        elif label == 2:
            s = size * (0.6 + 0.8 * t / FRAMES)
        elif label == 3:
            s = size * (1.4 - 0.8 * t / FRAMES)
        elif (t // 4) % 2:  # flash
            c = 255 - color
        x1, y1 = int(cx - s / 2), int(y - s / 2)
        x2, y2 = int(cx + s / 2), int(y + s / 2)
        cv2.rectangle(img, (x1, y1), (x2, y2), c.tolist(), -1)
        for yy in range(y1 + 1, y2, 4):  # stripes that move with the shape
            cv2.line(img, (x1, yy), (x2, yy), (c * 0.5).tolist(), 1)
        px = int(dx + drift * t) % SIZE
        cv2.circle(img, (px, int(dy)), 3, (230, 230, 230), -1)
        frames.append(img)
    return frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('out_dir')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--per-class', type=int, default=60)
    parser.add_argument('--val-fraction', type=float, default=0.25)
    args = parser.parse_args()
    from mmengine.utils import ProgressBar
    rng = np.random.default_rng(args.seed)
    os.makedirs(osp.join(args.out_dir, 'videos'), exist_ok=True)
    n_val = max(1, round(args.per_class * args.val_fraction))
    lists = {'train': [], 'val': []}
    bar = ProgressBar(len(CLASSES) * args.per_class)
    for i in range(args.per_class):
        for label, name in enumerate(CLASSES):
            rel = f'videos/{name}_{i:03d}.mp4'
            writer = cv2.VideoWriter(osp.join(args.out_dir, rel),
                                     cv2.VideoWriter_fourcc(*'mp4v'), 15,
                                     (SIZE, SIZE))
            for frame in render(label, rng):
                writer.write(frame)
            writer.release()
            split = 'val' if i < n_val else 'train'
            lists[split].append(f'{rel} {label}\n')
            bar.update()
    for split, lines in lists.items():
        with open(osp.join(args.out_dir, f'toy_cls_{split}.txt'), 'w') as f:
            f.writelines(lines)
    with open(osp.join(args.out_dir, 'toy_cls_classes.txt'), 'w') as f:
        f.writelines(f'{c}\n' for c in CLASSES)
    print(f'\nwrote {len(lists["train"])} training and {len(lists["val"])} '
          f'validation clips ({len(CLASSES)} classes) to {args.out_dir}')


if __name__ == '__main__':
    main()
