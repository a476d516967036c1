"""A fast pre-training pipeline: decode once at reduced size, crop before
resizing, stay uint8.

mmaction2's chain (DecordInit, SampleFrames, DecordDecode, Resize,
MultiScaleCrop, Resize, Flip, FormatShape) decodes full-resolution frames,
converts them to RGB at full size and resizes every frame twice. Here
decord's own scaler decodes straight to the short side the crop needs, the
multi-scale crop is cut from that, and only the crop is resized, once, with
OpenCV on uint8. Several clips can be drawn from one decoded video
(VideoMAE V2's repeated sampling), each with its own crop and flip.
"""
import random
from functools import lru_cache
from typing import List, Sequence, Tuple

import cv2
import decord
import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform


@lru_cache(maxsize=4096)
def probe_video(path: str) -> Tuple[int, int, int]:
    """``(frames, height, width)`` of a video, cached per process."""
    try:
        reader = decord.VideoReader(path, num_threads=1)
    except Exception as err:  # decord raises a bare DECORDError
        raise OSError(f'cannot open video {path}: {err}') from None
    height, width = reader[0].shape[:2]
    return len(reader), height, width


def clip_indices(num_frames: int, clip_len: int, interval: int,
                 num_clips: int, test_mode: bool) -> np.ndarray:
    """Frame indices ``(num_clips, clip_len)``: a random start per clip
    (evenly spaced starts in test mode); indices past the end loop back to
    the start, as mmaction2's ``SampleFrames``."""
    span = (clip_len - 1) * interval + 1
    room = max(num_frames - span, 0)
    if test_mode:
        starts = np.linspace(0, room, num_clips + 2)[1:-1].round()
    else:
        # numpy's global generator, as mmaction2's SampleFrames: seeded per
        # worker by mmengine, and the same draws for the same seed
        starts = np.random.randint(0, room + 1, size=num_clips)  # noqa: NPY002
    inds = starts[:, None].astype(np.int64) + np.arange(clip_len) * interval
    return inds % num_frames


@TRANSFORMS.register_module()
class DecodeClips(BaseTransform):
    """Sample clips from ``results['filename']`` and decode them in one
    pass with decord.

    When the video is much larger than needed (``short_side / min(H, W)``
    below ``scaled_decode_below``), decord's scaler outputs frames with
    short side ``short_side`` directly, skipping full-size RGB frames;
    otherwise frames are decoded at their own size (decord's scaler costs
    more than it saves for a small reduction) and the crop, relative to the
    short side, is taken from them.

    Adds ``imgs`` (``(U, H, W, 3)`` uint8, the distinct frames),
    ``clip_frames`` (``(num_clips, clip_len)`` rows of ``imgs``),
    ``frame_inds``, ``img_shape``, ``original_shape``, ``num_clips``,
    ``clip_len``.
    """

    def __init__(self, clip_len: int = 16, frame_interval: int = 4,
                 num_clips: int = 1, short_side: int = 256,
                 scaled_decode_below: float = 0.5, num_threads: int = 1,
                 test_mode: bool = False) -> None:
        self.clip_len, self.frame_interval = clip_len, frame_interval
        self.num_clips, self.short_side = num_clips, short_side
        self.scaled_decode_below = scaled_decode_below
        self.num_threads, self.test_mode = num_threads, test_mode

    def transform(self, results: dict) -> dict:
        path = results['filename']
        num_frames, h, w = probe_video(path)
        scale = self.short_side / min(h, w)
        size = dict(width=round(w * scale), height=round(h * scale)) \
            if scale < self.scaled_decode_below else {}
        inds = clip_indices(num_frames, self.clip_len, self.frame_interval,
                            self.num_clips, self.test_mode)
        unique, inverse = np.unique(inds, return_inverse=True)
        try:
            reader = decord.VideoReader(path, num_threads=self.num_threads,
                                        **size)
            imgs = reader.get_batch(unique.tolist()).asnumpy()
        except Exception as err:
            raise OSError(f'cannot decode frames {unique.tolist()} of '
                          f'{path}: {err}') from None
        results.update(
            imgs=imgs, clip_frames=inverse.reshape(inds.shape),
            frame_inds=inds.reshape(-1), img_shape=imgs.shape[1:3],
            original_shape=(h, w), num_clips=self.num_clips,
            clip_len=self.clip_len, total_frames=num_frames)
        return results


def multiscale_crop_box(img_h: int, img_w: int, out: Tuple[int, int],
                        scales: Sequence[float],
                        max_wh_scale_gap: int) -> Tuple[int, int, int, int]:
    """``(x, y, w, h)`` by mmaction2's ``MultiScaleCrop`` rules (fixed
    corner/centre offsets, scale pairs within the gap)."""
    base = min(img_h, img_w)
    sizes = [int(base * s) for s in scales]
    pairs = [[cw, ch] for i, ch in enumerate(sizes)
             for j, cw in enumerate(sizes) if abs(i - j) <= max_wh_scale_gap]
    crop = random.choice(pairs)
    for i, target in enumerate((out[1], out[0])):  # (w, h) vs out (h, w)
        if abs(crop[i] - target) < 3:
            crop[i] = target
    cw, ch = crop
    ws, hs = (img_w - cw) // 4, (img_h - ch) // 4
    x, y = random.choice([(0, 0), (4 * ws, 0), (0, 4 * hs), (4 * ws, 4 * hs),
                          (2 * ws, 2 * hs)])
    return x, y, cw, ch


@TRANSFORMS.register_module()
class MultiScaleCropResize(BaseTransform):
    """Per clip: multi-scale crop, resize the crop to ``size`` once, flip
    with ``flip_ratio``; output ``imgs`` ``(num_clips, 3, T, H, W)`` uint8
    (the NCTHW layout mmaction2's data preprocessor stacks).

    ``scales=(1,)`` with ``test_mode`` gives a centre crop.
    """

    def __init__(self, size: int = 224,
                 scales: Sequence[float] = (1, .875, .75, .66),
                 max_wh_scale_gap: int = 1, flip_ratio: float = 0.5,
                 test_mode: bool = False) -> None:
        self.size = (size, size) if isinstance(size, int) else tuple(size)
        self.scales, self.gap = tuple(scales), max_wh_scale_gap
        self.flip_ratio, self.test_mode = flip_ratio, test_mode

    def transform(self, results: dict) -> dict:
        imgs, clip_frames = results['imgs'], results['clip_frames']
        img_h, img_w = imgs.shape[1:3]
        out_h, out_w = self.size
        clips = np.empty((len(clip_frames), len(clip_frames[0]), out_h,
                          out_w, 3), np.uint8)
        boxes: List[Tuple[int, int, int, int]] = []
        for k, rows in enumerate(clip_frames):
            if self.test_mode:
                cw, ch = min(img_w, img_h), min(img_w, img_h)
                x, y = (img_w - cw) // 2, (img_h - ch) // 2
            else:
                x, y, cw, ch = multiscale_crop_box(img_h, img_w, self.size,
                                                   self.scales, self.gap)
            flip = not self.test_mode and random.random() < self.flip_ratio
            for t, row in enumerate(rows):
                crop = imgs[row, y:y + ch, x:x + cw]
                cv2.resize(crop, (out_w, out_h), dst=clips[k, t],
                           interpolation=cv2.INTER_LINEAR)
            if flip:
                clips[k] = clips[k, :, :, ::-1]
            boxes.append((x, y, cw, ch))
        results['imgs'] = np.ascontiguousarray(clips.transpose(0, 4, 1, 2, 3))
        results['crop_boxes'] = boxes
        results['img_shape'] = self.size
        results['input_shape'] = results['imgs'].shape
        del results['clip_frames']
        return results
