"""Person boxes for every frame of a tube benchmark's videos, written as
the proposal files ``TubeDataset`` reads (``{'<video>,<frame:05d>': (n, 5)
normalised x1, y1, x2, y2, score}``), by any detector: a run writes each
video as it finishes and a killed run resumes where it stopped."""
import os
import os.path as osp
import pickle
from typing import Callable, Dict, Iterator, List, Optional

import numpy as np

from .io import proposal_key


def read_frames(root: str, video: str, nframes: int,
                filename_tmpl: str = '{:05d}.jpg',
                video_suffix: Optional[str] = None,
                every: int = 1) -> Iterator[tuple]:
    """``(frame, RGB image)`` for frames ``1, 1 + every, ...`` of a frame
    folder (1-based files) or a video."""
    import cv2
    wanted = range(1, nframes + 1, every)
    if video_suffix:
        import decord
        reader = decord.VideoReader(osp.join(root, video) + video_suffix)
        for f in wanted:
            yield f, reader[min(f, len(reader)) - 1].asnumpy()
        return
    for f in wanted:
        path = osp.join(root, video, filename_tmpl.format(f))
        img = cv2.imread(path)
        if img is None:
            raise OSError(f'cannot read frame {path}')
        yield f, img[:, :, ::-1]


def _done(partial: str) -> Dict[str, dict]:
    """Videos already in a partial file (a run killed mid-write loses at
    most the video it was writing)."""
    done = {}
    if osp.isfile(partial):
        with open(partial, 'rb') as f:
            while True:
                try:
                    video, boxes = pickle.load(f)
                except (EOFError, pickle.UnpicklingError):
                    break
                done[video] = boxes
    return done


def write_person_boxes(videos: List[str], frames: Callable[[str], Iterator],
                       detect: Callable[[np.ndarray], np.ndarray],
                       out: str, progress: Callable[[], None] = None
                       ) -> Dict[str, np.ndarray]:
    """Run ``detect`` (RGB image -> ``(n, 5)`` normalised boxes and scores)
    on ``frames(video)`` of every video, appending each finished video to
    ``out + '.partial'``; then write ``out`` and remove the partial file.
    Videos already in the partial file are not run again."""
    partial = out + '.partial'
    done = _done(partial)
    with open(partial, 'ab') as f:
        for video in videos:
            if video not in done:
                done[video] = {proposal_key(video, i): np.asarray(
                    detect(img), np.float32).reshape(-1, 5)
                    for i, img in frames(video)}
                pickle.dump((video, done[video]), f)
                f.flush()
            if progress:
                progress()
    boxes = {k: v for video in videos for k, v in done[video].items()}
    tmp = out + '.tmp'
    with open(tmp, 'wb') as f:
        pickle.dump(boxes, f)
    os.replace(tmp, out)
    os.remove(partial)
    return boxes
