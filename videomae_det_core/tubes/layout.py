"""The files of a tube benchmark on disk, checked against its annotation
pickle before anything trains: frame folders or videos present, as long as
``nframes`` says, tubes well formed, person boxes covering the test
frames. Torch-free; every problem is one line naming the video."""
import os.path as osp
from typing import Callable, Dict, List, Optional

import numpy as np

from ..ava.timing import count_frames, probe_video
from .io import tube_problems


def video_problems(gt: dict, videos: List[str], root: str,
                   filename_tmpl: str = '{:05d}.jpg',
                   video_suffix: Optional[str] = None,
                   progress: Optional[Callable[[], None]] = None
                   ) -> List[str]:
    """A line per video whose frame folder or file is missing, unreadable
    or shorter than ``nframes`` (a longer one is fine: the clips index its
    first ``nframes`` frames)."""
    problems = []
    for video in videos:
        path = osp.join(root, video)
        n = int(gt['nframes'].get(video, 0))
        if video_suffix:
            probe = probe_video(path + video_suffix)
            if isinstance(probe, str):
                problems.append(f'{video}: video {path + video_suffix} '
                                f'{probe}')
            elif probe[0] < n:
                problems.append(f'{video}: {path + video_suffix} has '
                                f'{probe[0]} frames, nframes says {n}')
        else:
            found = count_frames(path, filename_tmpl)
            if found is None:
                problems.append(f'{video}: no frame folder {path}')
            elif not osp.isfile(osp.join(path, filename_tmpl.format(n))):
                problems.append(f'{video}: {path} holds {found} frames; '
                                f'{filename_tmpl.format(n)} (nframes={n}) '
                                'is missing')
        if progress:
            progress()
    return problems


def box_coverage(gt: dict, videos: List[str],
                 boxes: Dict[str, np.ndarray]) -> dict:
    """How person boxes cover ``videos``: frames with boxes among all
    frames and among annotated frames, and ground-truth boxes found by one
    at IoU >= 0.5 (the frame-mAP's threshold: the recall a detector built
    on these boxes cannot exceed)."""
    from .frame_ap import iou_matrix
    frames = with_boxes = annotated = covered = gt_boxes = found = 0
    for video in videos:
        h, w = gt['resolution'][video]
        truth: Dict[int, list] = {}
        for tubes in gt['gttubes'].get(video, {}).values():
            for tube in tubes:
                for row in np.asarray(tube):
                    truth.setdefault(int(row[0]), []).append(row[1:5])
        for f in range(1, int(gt['nframes'][video]) + 1):
            b = boxes.get(f'{video},{f:05d}')
            has = b is not None and len(b) > 0
            frames += 1
            with_boxes += has
            if f in truth:
                annotated += 1
                covered += has
                gt_boxes += len(truth[f])
                if has:
                    px = np.asarray(b)[:, :4] * [w, h, w, h]
                    iou = iou_matrix(np.array(truth[f]), px, False)
                    found += int((iou.max(1) >= 0.5).sum())
    return dict(frames=frames, frames_with_boxes=with_boxes,
                annotated_frames=annotated, annotated_with_boxes=covered,
                gt_boxes=gt_boxes, gt_recall=found / max(gt_boxes, 1))


def all_problems(gt: dict, videos: List[str], path: str, root: str,
                 **kwargs) -> List[str]:
    return tube_problems(gt, videos, path) + video_problems(
        gt, videos, root, **kwargs)
