"""Generate a small AVA-format data set, deterministically from a seed.

    python tools/data/make_toy_ava.py OUT_DIR [--seed 0] [--videos 8]

Procedurally rendered people (head, striped shirt, trousers) in a room
(shaded wall, floor boards, furniture), framed as AVA's films mostly are:
2-3 people in a medium shot, each over half the frame tall, doing
visually distinct actions, several labels per actor, some classes rare,
written exactly as AVA is laid out on disk:

    OUT_DIR/videos/<video>.mp4                  the clips (30 fps, 10 s)
    OUT_DIR/rawframes/<video>/img_00001.jpg     extracted frames
    OUT_DIR/annotations/toy_{train,val}.csv     AVA rows (8 columns)
    OUT_DIR/annotations/toy_{train,val}_excluded_timestamps.csv
    OUT_DIR/annotations/toy_dense_proposals_{train,val}.pkl
    OUT_DIR/annotations/toy_action_list.pbtxt
    OUT_DIR/annotations/toy_pretrain_list.txt   training videos, unlabelled

``--labelled-videos N`` annotates only the first N training videos (the
rest still go to the pre-training list): the paper's setting of a little
labelled data beside more unlabelled video.

Timestamps run 900..910 as AVA's 15-minute segments do (900..1800), with
keyframes 902..908; proposals are the true boxes jittered plus false
positives, with detector-like scores.
"""
import argparse
import os
import os.path as osp
import pickle

import cv2
import numpy as np

from videomae_det_core.ava.io import image_key
from videomae_det_core.toy_scene import draw_person, make_room

ACTIONS = {  # id: (name, how often an actor does it)
    1: ('sway left-right', 0.5),
    2: ('bounce up-down', 0.5),
    3: ('flash', 0.35),
    4: ('pulse size', 0.3),
    5: ('wave arm', 0.1),  # rare
}
FPS, SECONDS, W, H = 30, 10, 128, 96
T_START, KEYFRAMES = 900, range(902, 909)


def actor_box(actor: dict, frame: int) -> np.ndarray:
    """``(x1, y1, x2, y2)`` in pixels of an actor at a frame."""
    t = frame / FPS
    cx, cy, w, h = actor['cx'], actor['cy'], actor['w'], actor['h']
    phase = actor['phase']
    if 1 in actor['labels']:
        cx += 18 * np.sin(2 * np.pi * 1.2 * t + phase)
    if 2 in actor['labels']:
        cy += 14 * np.sin(2 * np.pi * 1.5 * t + phase)
    if 4 in actor['labels']:
        s = 1 + 0.35 * np.sin(2 * np.pi * 1.0 * t + phase)
        w, h = w * s, h * s
    return np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])


def draw_figure(img: np.ndarray, actor: dict, frame: int) -> None:
    """The actor's figure, its shirt flashing and arm waving when its
    actions say so."""
    x1, y1, x2, y2 = box = actor_box(actor, frame)
    shirt = np.array(actor['color'], dtype=float)
    trousers = np.array(actor['trousers'], dtype=float)
    if 3 in actor['labels'] and (frame // 5) % 2:
        shirt, trousers = 255 - shirt, 255 - trousers
    neck = draw_person(img, box, shirt, trousers)
    if 5 in actor['labels']:
        angle = np.pi / 4 * np.sin(2 * np.pi * 2 * frame / FPS)
        end = (round(x2 + 14 * np.cos(angle)),
               round(neck - 14 * np.sin(angle)))
        cv2.line(img, (round(x2), round(neck)), end, (255, 255, 255), 3)


def render(actors: list, frame: int, background: np.ndarray) -> np.ndarray:
    img = background.copy()
    for actor in actors:
        draw_figure(img, actor, frame)
    return img


def make_video(rng: np.random.Generator) -> list:
    """2-3 actors side by side in a medium shot, as in AVA's films: each
    is over half the frame tall and spans several 16-px patches, so a
    masked patch of a person has visible neighbours on the same person."""
    actors = []
    n = rng.integers(2, 4)
    for slot in range(n):
        labels = [a for a, (_, p) in ACTIONS.items() if rng.random() < p]
        if not labels:
            labels = [int(rng.choice([1, 2]))]
        actors.append(dict(
            cx=(slot + .5) * W / n + rng.uniform(-4, 4),
            cy=rng.uniform(46, 52),
            w=rng.uniform(27, 37), h=rng.uniform(51, 65),
            phase=rng.uniform(0, 2 * np.pi), labels=labels,
            color=rng.integers(30, 230, 3).tolist(),
            trousers=rng.integers(20, 140, 3).tolist()))
    return actors


def write_split(out: str, split: str, videos: dict,
                rng: np.random.Generator) -> None:
    ann, proposals = [], {}
    for vid, actors in videos.items():
        for ts in KEYFRAMES:
            frame = (ts - T_START) * FPS
            boxes = []
            for pid, actor in enumerate(actors):
                box = actor_box(actor, frame) / [W, H, W, H]
                box = box.clip(0, 1)
                boxes.append(box)
                ann += [(vid, ts, *box.round(3), label, pid)
                        for label in actor['labels']]
            key = image_key(vid, ts)
            jitter = [b + rng.normal(0, 0.02, 4) for b in boxes]
            false = [np.sort(rng.uniform(0, 1, (2, 2)), 0).T.reshape(-1)
                     [[0, 2, 1, 3]] for _ in range(rng.integers(0, 2))]
            props = np.array(jitter + false).clip(0, 1)
            scores = np.r_[rng.uniform(0.92, 1.0, len(jitter)),
                           rng.uniform(0.3, 0.95, len(false))]
            proposals[key] = np.c_[props, scores].astype(np.float32)
    anno = osp.join(out, 'annotations')
    with open(osp.join(anno, f'toy_{split}.csv'), 'w') as f:
        f.writelines(','.join(str(v) for v in row) + '\n' for row in ann)
    with open(osp.join(anno, f'toy_dense_proposals_{split}.pkl'),
              'wb') as f:
        pickle.dump(proposals, f)
    excluded = [image_key(next(iter(videos)), KEYFRAMES[-1]) + '\n']
    with open(osp.join(anno, f'toy_{split}_excluded_timestamps.csv'),
              'w') as f:
        f.writelines(excluded)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('out_dir')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--videos', type=int, default=8)
    parser.add_argument('--val-videos', type=int, default=2)
    parser.add_argument('--labelled-videos', type=int, default=None,
                        help='annotate only this many training videos')
    args = parser.parse_args()
    if not 0 < args.val_videos < args.videos:
        parser.error(f'--val-videos {args.val_videos} must be at least 1 '
                     f'and below --videos {args.videos} (the rest train)')
    rng = np.random.default_rng(args.seed)
    out = args.out_dir
    for sub in ('videos', 'rawframes', 'annotations'):
        os.makedirs(osp.join(out, sub), exist_ok=True)
    videos = {}
    from videomae_det_core.progress import ProgressBar
    bar = ProgressBar(args.videos)
    for i in range(args.videos):
        vid = f'toy-{i:03d}_{args.seed}'
        actors = make_video(rng)
        videos[vid] = actors
        background = make_room(rng, W, H)
        frames_dir = osp.join(out, 'rawframes', vid)
        os.makedirs(frames_dir, exist_ok=True)
        writer = cv2.VideoWriter(osp.join(out, 'videos', f'{vid}.mp4'),
                                 cv2.VideoWriter_fourcc(*'mp4v'), FPS, (W, H))
        for frame in range(FPS * SECONDS):
            img = render(actors, frame, background)
            writer.write(img)
            cv2.imwrite(osp.join(frames_dir, f'img_{frame + 1:05d}.jpg'),
                        img, [cv2.IMWRITE_JPEG_QUALITY, 95])
        writer.release()
        bar.update()
    names = list(videos)
    n_val = args.val_videos
    train = names[:-n_val]
    labelled = train[:args.labelled_videos]
    write_split(out, 'train', {k: videos[k] for k in labelled}, rng)
    write_split(out, 'val', {k: videos[k] for k in names[-n_val:]}, rng)
    with open(osp.join(out, 'annotations', 'toy_action_list.pbtxt'),
              'w') as f:
        f.writelines(f'item {{\n  name: "{name}"\n  id: {i}\n}}\n'
                     for i, (name, _) in ACTIONS.items())
    with open(osp.join(out, 'annotations', 'toy_pretrain_list.txt'),
              'w') as f:
        f.writelines(f'{vid}.mp4\n' for vid in train)
    print(f'\nwrote {args.videos} videos to {out}: {len(labelled)} '
          f'labelled and {len(train) - len(labelled)} unlabelled for '
          f'training, {n_val} for validation')


if __name__ == '__main__':
    main()
