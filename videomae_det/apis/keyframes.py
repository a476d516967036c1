"""Keyframe clips from a video read once, front to back.

A detector config's test pipeline samples a clip around each keyframe
(``SampleAVAFrames``), decodes it (``RawFrameDecode``/``AVAVideoDecode``),
resizes it (``Resize``) and packs it. Reading a video that way seeks and
decodes every clip separately; here the video is decoded once, each frame
exactly once, and only the frames a pending clip still needs are held,
already resized with the config's own ``Resize`` step (a ring buffer:
memory is flat in the video's length). The clip and its boxes then go
through the config's remaining steps, so a keyframe's inputs equal what
``tools/test.py`` feeds the model for the same video, keyframe and boxes.

Conventions (AVA's, as the data sets use them): keyframe ``t`` is the frame
at ``t`` seconds; frames are numbered as the extracted JPEGs are, at the
data set's ``fps``, and looked up by time in the video at its own rate, as
:class:`~videomae_det.datasets.AVAVideoDecode` does.
"""
import copy
from dataclasses import dataclass
from typing import Callable, Dict, Iterator, List, Optional, Tuple

import av
import numpy as np
from mmengine.dataset import Compose

from videomae_det_core.errors import InputError

from ..datasets.video_frames import ForwardDecoder, frame_at, frame_shape, rgb
from ..utils import type_name

DECODE_STEPS = ('RawFrameDecode', 'AVAVideoDecode', 'DecordDecode')
FRAME_STEPS = ('Resize',)  # deterministic, frame by frame


class VideoError(InputError, OSError):
    """A video that cannot be read; the message names the file."""


@dataclass
class Keyframe:
    """One keyframe: its time, the video frames of its clip (in clip
    order) and the frame shown for it (at ``second``)."""
    second: float
    frames: np.ndarray  # (clip_len,) video frame indices
    centre: int

    @property
    def last(self) -> int:
        return int(max(self.frames.max(), self.centre))


def split_pipeline(pipeline: List[dict]) -> Tuple[dict, dict, List[dict],
                                                    List[dict]]:
    """A detector test pipeline -> (sample step, decode step, frame-wise
    steps after the decode, the remaining steps).

    Raises:
        InputError: No ``SampleAVAFrames`` or decode step.
    """
    types = [type_name(step['type']) for step in pipeline]
    if 'SampleAVAFrames' not in types or not set(DECODE_STEPS) & set(types):
        raise InputError(f'the test pipeline {types} has no SampleAVAFrames '
                         f'and decode ({"/".join(DECODE_STEPS)}) steps: not '
                         'an AVA detector config')
    sample = pipeline[types.index('SampleAVAFrames')]
    i = max(types.index(t) for t in DECODE_STEPS if t in types) + 1
    decode = pipeline[i - 1]
    frame_steps = []
    while i < len(pipeline) and types[i] in FRAME_STEPS:
        frame_steps.append(pipeline[i])
        i += 1
    return sample, decode, frame_steps, list(pipeline[i:])


class KeyframePlan:
    """Which video frames each keyframe's clip takes.

    Args:
        sample: The config's ``SampleAVAFrames`` step.
        num_frames, video_fps: The video's frame count and rate.
        interval: Seconds between keyframes (AVA: 1).
        start: First keyframe, in seconds.
        data_fps: Frame rate the sampler counts in (the data set's ``fps``).
        start_index: The data set's frame numbering start (AVA: 1).
    """

    def __init__(self, sample: dict, num_frames: int, video_fps: float,
                 interval: float = 1.0, start: float = 0.0,
                 data_fps: int = 30, start_index: int = 1) -> None:
        from mmaction.datasets.transforms import SampleAVAFrames
        step = {k: v for k, v in sample.items() if k != 'type'}
        sampler = SampleAVAFrames(**dict(step, test_mode=True))
        duration = num_frames / video_fps
        shot = (0, int(round(duration * data_fps)))
        self.keyframes: List[Keyframe] = []
        t = start
        while t < duration - 1e-9:
            # centre frame fps * t + start_index, as the sampler computes
            # it, with t in frames so that t need not be whole seconds
            inds = sampler(dict(fps=1, timestamp=int(round(t * data_fps)),
                                timestamp_start=0, start_index=start_index,
                                shot_info=shot))['frame_inds']
            seconds = (np.asarray(inds) - start_index) / data_fps
            frames = np.round(seconds * video_fps).astype(np.int64).clip(
                0, num_frames - 1)
            centre = min(int(round(t * video_fps)), num_frames - 1)
            self.keyframes.append(Keyframe(float(t), frames, centre))
            t = round(t + interval, 6)


class FrameStream:
    """Decode a video front to back, each frame once.

    Iterating gives ``(index, RGB (H, W, 3) array)`` (see :meth:`frames`).
    ``decoded`` counts the frames decoded so far. A video
    that ends early (truncated) stops the iteration; ``stopped_at`` then
    says where.
    """

    def __init__(self, path: str) -> None:
        import decord
        self.path = path
        try:
            self.reader = decord.VideoReader(path, num_threads=1)
            self.num_frames = len(self.reader)
            self.fps = float(self.reader.get_avg_fps())
        except Exception as err:  # decord raises its own error types
            raise VideoError(f'{path}: not a readable video ({err})') \
                from None
        if self.num_frames < 1 or not self.fps > 0:
            raise VideoError(f'{path}: the video has no frames')
        self.decoded, self.stopped_at = 0, None

    def __iter__(self) -> Iterator[Tuple[int, np.ndarray]]:
        return self.frames()

    def frames(self, yuv: bool = False) -> Iterator[Tuple[int, object]]:
        """``(index, frame)`` in order: decord's RGB arrays (decoded and
        converted in a thread of decord's), or with ``yuv`` PyAV's frames
        (:mod:`videomae_det.datasets.video_frames`, for callers that convert
        only what they use) up to the first one PyAV does not number as
        decord's index does, if any, and decord's from there."""
        start = 0
        if yuv:
            try:
                starts = self.reader.get_frame_timestamp(
                    range(self.num_frames))[:, 0]
                forward = ForwardDecoder(self.path, starts, threads=2)
                while start < self.num_frames:
                    i, frame = next(forward)
                    if i != start:
                        break
                    self.decoded += 1
                    yield start, frame
                    start += 1
            except (LookupError, StopIteration, av.FFmpegError, OSError):
                pass  # decord goes on from there, or says where it stops
        for index in range(start, self.num_frames):
            try:
                if index == start > 0:
                    self.reader.seek_accurate(index)
                frame = self.reader.next().asnumpy()
            except Exception:  # a truncated or corrupt stream
                self.stopped_at = index
                return
            self.decoded += 1
            yield index, frame


class KeyframeClips:
    """Keyframe clips of a video decoded once, built by the config's own
    test pipeline steps.

    Args:
        pipeline: The config's test pipeline (``SampleAVAFrames``, a decode
            step, ``Resize``, ``FormatShape``, ``PackActionInputs``).
        interval, start, data_fps, start_index: See :class:`KeyframePlan`.
    """

    def __init__(self, pipeline: List[dict], interval: float = 1.0,
                 start: float = 0.0, data_fps: int = 30,
                 start_index: int = 1) -> None:
        self.sample, decode, frame_steps, rest = split_pipeline(pipeline)
        from mmaction.datasets.transforms import Resize
        from mmaction.registry import TRANSFORMS
        # AVAVideoDecode(scale=...) converts at that size: as it does
        scale = decode.get('scale')
        self.decode_resize = None if scale is None else Resize(scale=scale)
        self.after_decode = Compose([TRANSFORMS.build(copy.deepcopy(step))
                                     for step in frame_steps])
        self.frame_steps = Compose(  # shapes and boxes of the whole chain
            ([] if scale is None else [Resize(scale=scale)]) +
            list(self.after_decode.transforms))
        self.rest = Compose([TRANSFORMS.build(copy.deepcopy(step))
                             for step in rest])
        self.interval, self.start = interval, start
        self.data_fps, self.start_index = data_fps, start_index
        self.peak_buffered = 0  # most resized frames held at once

    def resize(self, frame) -> np.ndarray:
        """A frame (PyAV's, or an RGB array) as the test pipeline's decode
        and frame-wise steps make it."""
        img = frame_at(frame, self.decode_resize)
        if not self.after_decode.transforms:
            return img
        out = self.after_decode(dict(imgs=[img], img_shape=img.shape[:2],
                                     modality='RGB'))
        return out['imgs'][0]

    def pack(self, frames: List[np.ndarray], shape: Tuple[int, int],
             boxes: np.ndarray) -> dict:
        """Model inputs for one clip and its person boxes (normalised,
        ``(N, 4)``), as the test pipeline makes them."""
        h, w = shape
        results = dict(imgs=[], img_shape=(h, w), original_shape=(h, w),
                       modality='RGB', num_clips=1, clip_len=len(frames),
                       proposals=(np.asarray(boxes, np.float64)[:, :4] *
                                  [w, h, w, h]).astype(np.float32),
                       # PackActionInputs packs proposals only beside
                       # groundtruth: none here
                       gt_bboxes=np.zeros((0, 4), np.float32),
                       gt_labels=np.zeros((0, 0), np.float32))
        results = self.frame_steps(results)  # boxes and shapes only
        results['imgs'] = list(frames)
        return self.rest(results)

    def __call__(self, stream: FrameStream,
                 sink: Optional[Callable[[int, np.ndarray], None]] = None
                 ) -> Iterator[Tuple[Keyframe, np.ndarray, Callable]]:
        """Yield ``(keyframe, centre frame at full size, pack)`` in time
        order, where ``pack(boxes)`` gives the model inputs. Every decoded
        frame is also handed to ``sink`` (for an annotated video)."""
        plan = KeyframePlan(self.sample, stream.num_frames, stream.fps,
                            self.interval, self.start, self.data_fps,
                            self.start_index)
        last_use: Dict[int, int] = {}  # clip frame -> last keyframe using it
        for i, key in enumerate(plan.keyframes):
            for f in key.frames.tolist():
                last_use[f] = i
        centres = {k.centre for k in plan.keyframes}
        buffer: Dict[int, np.ndarray] = {}  # resized frames still needed
        full: Dict[int, np.ndarray] = {}  # centre frames, full size
        shape = None
        pending = iter(enumerate(plan.keyframes))
        current = next(pending, None)
        # a decode step converting at the pipeline's size: PyAV's frames
        for index, frame in stream.frames(self.decode_resize is not None):
            img = None if sink is None else rgb(frame)
            if sink is not None:
                sink(index, img)
            shape = frame_shape(frame)
            if index in last_use:
                buffer[index] = self.resize(frame)
                self.peak_buffered = max(self.peak_buffered, len(buffer))
            if index in centres:
                full[index] = rgb(frame) if img is None else img
            while current is not None and index >= current[1].last:
                yield from self._emit(current, buffer, full, shape)
                current = self._evict(current, pending, buffer, last_use)
        # a truncated video ends here: keyframes whose frames were not all
        # decoded are not scored (the caller reads ``stream.stopped_at``)

    def _emit(self, current, buffer, full, shape):
        _, key = current
        frames = [buffer[f] for f in key.frames.tolist()]
        yield key, full.pop(key.centre), (
            lambda boxes: self.pack(frames, shape, boxes))

    @staticmethod
    def _evict(current, pending, buffer, last_use):
        i, _ = current
        for f in [f for f in buffer if last_use.get(f, -1) <= i]:
            del buffer[f]
        return next(pending, None)
