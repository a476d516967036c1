"""Generate a small labelled video-classification set, deterministically.

    python tools/data/make_toy_cls.py OUT_DIR [--seed 0] [--per-class 60]
        [--unlabelled 0]

Five motions that a single frame cannot tell apart (the order of frames
decides) and that a horizontal flip leaves unchanged: rise, fall, grow,
shrink, flash. Each clip (32 frames, 64x64, mp4) has a shape with a random
texture, colour, size, position and speed on a smooth colour ramp, plus a
distractor drifting sideways. No flat colour: VideoMAE's per-cube
normalised target is compression noise there. Written as mmaction2 video
lists:

    OUT_DIR/videos/<class>_<i>.mp4
    OUT_DIR/toy_cls_{train,val}.txt     "videos/<file> <label>" per line
    OUT_DIR/toy_cls_classes.txt         class names, one per line
    OUT_DIR/toy_cls_pretrain.txt        training clips + ``--unlabelled``
                                        extra clips, no labels (for
                                        self-supervised pre-training)
"""
import argparse
import os
import os.path as osp

import cv2
import numpy as np

CLASSES = ('rise', 'fall', 'grow', 'shrink', 'flash')
FRAMES, SIZE = 32, 64


def texture(rng: np.random.Generator, size: int, cells: int,
            spread: int) -> np.ndarray:
    """A smooth random ``(size, size, 3)`` float32 texture in [0, spread)."""
    noise = rng.integers(0, spread, (cells, cells, 3)).astype(np.float32)
    return cv2.resize(noise, (size, size), interpolation=cv2.INTER_LINEAR)


def render(label: int, rng: np.random.Generator) -> list:
    # a smooth colour ramp: predictable from its visible cubes, as most of
    # a real scene is
    angle = rng.uniform(0, 2 * np.pi)
    ramp = np.cos(angle) * np.arange(SIZE)[None] + np.sin(angle) * np.arange(
        SIZE)[:, None]
    ramp = (ramp - ramp.min()) / np.ptp(ramp)
    ends = rng.integers(20, 140, (2, 3))
    background = (ends[0] + ramp[..., None] * (ends[1] - ends[0])).astype(
        np.uint8)
    size = int(rng.integers(16, 23))
    skin = texture(rng, 32, 6, 120) + rng.integers(60, 136, 3)
    cx = rng.uniform(20, 44)
    travel = rng.uniform(0.8, 1.2) * FRAMES  # pixels over the clip
    cy = rng.uniform(12 + travel / 2, SIZE - 12 - travel / 2) if label < 2 \
        else rng.uniform(22, 42)
    dx, dy = rng.uniform(5, 59), rng.uniform(5, 59)
    drift = rng.choice([-1, 1]) * rng.uniform(0.5, 1.5)
    frames = []
    for t in range(FRAMES):
        img = background.copy()
        u = t / (FRAMES - 1) - 0.5  # -0.5 .. 0.5 over the clip
        y, s, colours = cy, size, skin
        if label == 0:
            y = cy - u * travel
        elif label == 1:
            y = cy + u * travel
        elif label == 2:
            s = size * (1 + 0.9 * u)
        elif label == 3:
            s = size * (1 - 0.9 * u)
        elif (t // 4) % 2:  # flash
            colours = 255 - skin
        s = max(int(round(s)), 4)
        x1, y1 = int(round(cx - s / 2)), int(round(y - s / 2))
        patch = cv2.resize(colours, (s, s)).clip(0, 255).astype(np.uint8)
        ys, xs = slice(max(y1, 0), min(y1 + s, SIZE)), slice(
            max(x1, 0), min(x1 + s, SIZE))
        img[ys, xs] = patch[ys.start - y1:ys.stop - y1,
                            xs.start - x1:xs.stop - x1]
        cv2.rectangle(img, (x1, y1), (x1 + s - 1, y1 + s - 1), (20, 20, 20))
        px = int(dx + drift * t) % SIZE
        cv2.circle(img, (px, int(dy)), 3, (230, 230, 230), -1)
        frames.append(img)
    return frames


def write(path: str, frames: list) -> None:
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), 15,
                             (SIZE, SIZE))
    for frame in frames:
        writer.write(frame)
    writer.release()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('out_dir')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--per-class', type=int, default=60)
    parser.add_argument('--val-fraction', type=float, default=0.25)
    parser.add_argument('--unlabelled', type=int, default=0,
                        help='extra clips for the pre-training list only')
    args = parser.parse_args()
    from videomae_det_core.progress import ProgressBar
    rng = np.random.default_rng(args.seed)
    os.makedirs(osp.join(args.out_dir, 'videos'), exist_ok=True)
    n_val = max(1, round(args.per_class * args.val_fraction))
    lists = {'train': [], 'val': []}
    bar = ProgressBar(len(CLASSES) * args.per_class + args.unlabelled)
    for i in range(args.per_class):
        for label, name in enumerate(CLASSES):
            rel = f'videos/{name}_{i:03d}.mp4'
            write(osp.join(args.out_dir, rel), render(label, rng))
            split = 'val' if i < n_val else 'train'
            lists[split].append(f'{rel} {label}\n')
            bar.update()
    unlabelled = []
    for i in range(args.unlabelled):
        rel = f'videos/unlabelled_{i:05d}.mp4'
        write(osp.join(args.out_dir, rel),
              render(int(rng.integers(len(CLASSES))), rng))
        unlabelled.append(f'{rel}\n')
        bar.update()
    for split, lines in lists.items():
        with open(osp.join(args.out_dir, f'toy_cls_{split}.txt'), 'w') as f:
            f.writelines(lines)
    with open(osp.join(args.out_dir, 'toy_cls_pretrain.txt'), 'w') as f:
        f.writelines([line.split()[0] + '\n' for line in lists['train']]
                     + unlabelled)
    with open(osp.join(args.out_dir, 'toy_cls_classes.txt'), 'w') as f:
        f.writelines(f'{c}\n' for c in CLASSES)
    print(f'\nwrote {len(lists["train"])} training and {len(lists["val"])} '
          f'validation clips ({len(CLASSES)} classes) and '
          f'{args.unlabelled} unlabelled clips to {args.out_dir}')


if __name__ == '__main__':
    main()
