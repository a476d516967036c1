"""Live input with bounded latency: a camera, a stream URL, or a file
delivered at its frame rate as a camera would (``realtime``).

A capture thread reads the source at the source's own pace into a window
that holds only what a clip can still need: the frames of one clip span,
already resized by the config's ``Resize`` step, and the full-size frames
of the keyframes in it. The inference loop takes, each time it is free,
the newest keyframe whose clip is complete; keyframes that came and went
while the model was busy are skipped (never queued) and counted, so the
delay stays one keyframe interval plus one inference at most, and memory
stays flat however long the stream runs.

Clips are sampled as :class:`~.keyframes.KeyframePlan` samples them
(``SampleAVAFrames`` around the keyframe, frames looked up by time at the
source's rate, clamped to the stream's start and end), so a file scored
live gives the scores the offline path gives for the same keyframes.
"""
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable, Deque, Dict, Iterator, Optional, Tuple, Union

import numpy as np

from .keyframes import KeyframeClips, VideoError


def clip_offsets(sample: dict, data_fps: int = 30,
                 start_index: int = 1) -> np.ndarray:
    """The seconds, relative to the keyframe, of the frames the config's
    ``SampleAVAFrames`` step takes (16x4 at 30 fps: -1.07 ... +0.93)."""
    from mmaction.datasets.transforms import SampleAVAFrames
    step = {k: v for k, v in sample.items() if k != 'type'}
    sampler = SampleAVAFrames(**dict(step, test_mode=True))
    far = 1 << 20  # a keyframe far from both ends: nothing clamped
    inds = sampler(dict(fps=1, timestamp=far, timestamp_start=0,
                        start_index=start_index, shot_info=(0, 4 * far)))[
                            'frame_inds']
    return (np.asarray(inds) - start_index - far) / data_fps


def to_rgb(bgr: np.ndarray) -> np.ndarray:
    """OpenCV's BGR frame in the RGB order the pipelines train on."""
    return np.ascontiguousarray(bgr[:, :, ::-1])


def open_source(source: Union[int, str]):
    """``cv2.VideoCapture`` of a camera index, a URL or a file."""
    import cv2
    if isinstance(source, str) and source.isdigit():
        source = int(source)
    cap = cv2.VideoCapture(source)
    if not cap.isOpened():
        raise VideoError(f'{source}: cannot open (not a camera index, a '
                         'reachable stream URL or a readable video)')
    return cap


class Capture(threading.Thread):
    """Reads a source into a bounded window of frames, in its own thread.

    Args:
        source: Camera index, URL or file.
        offsets: Clip frame times relative to the keyframe (seconds).
        interval: Seconds between keyframes.
        prepare: Applied to each RGB frame as it arrives (the config's
            resize), so the window holds model-sized frames.
        realtime: Deliver a file's frame ``i`` at ``i / fps`` after the
            first, as a camera would (a camera or stream paces itself).
        keep_all: Also hand every full-size frame to :attr:`outgoing` (for
            an annotated video or a window); the reader drains it.
        fps: The source's rate when it does not say (cameras may not).
    """

    def __init__(self, source: Union[int, str], offsets: np.ndarray,
                 interval: float = 1.0, prepare: Callable = lambda f: f,
                 realtime: bool = True, keep_all: bool = False,
                 fps: Optional[float] = None) -> None:
        import cv2
        super().__init__(daemon=True, name='capture')
        self.source, self.cap = source, open_source(source)
        said = self.cap.get(cv2.CAP_PROP_FPS)
        self.fps = float(said if said and 0 < said < 1000 else fps or 30)
        self.offsets, self.interval = np.asarray(offsets), interval
        self.prepare, self.realtime, self.keep_all = prepare, realtime, \
            keep_all
        self.cond = threading.Condition()
        self.frames: Dict[int, np.ndarray] = {}  # index -> prepared frame
        self.full: Dict[int, np.ndarray] = {}  # keyframe centres, full size
        self.stamps: Dict[int, float] = {}  # index -> time it was delivered
        self.outgoing: Deque[Tuple[int, np.ndarray]] = deque()
        self.newest, self.ended, self.error = -1, False, None
        self.newest_full: Optional[np.ndarray] = None
        self.peak = 0  # most frames held at once
        self.skipped = 0  # keyframes skipped so far
        self._halt = threading.Event()
        back = self.offsets.max() - self.offsets.min()
        self.keep = int(np.ceil(back * self.fps)) + 2  # one clip span

    def centre(self, second: float) -> int:
        return int(round(second * self.fps))

    def clip(self, second: float, last: Optional[int] = None) -> np.ndarray:
        """Frame indices of the keyframe's clip (clamped to the stream)."""
        inds = np.round((second + self.offsets) * self.fps).astype(np.int64)
        return inds.clip(0, None if last is None else last)

    def run(self) -> None:
        try:
            self._read()
        except Exception as err:  # shown by the reader, never lost
            self.error = err
        finally:
            self.cap.release()
            with self.cond:
                self.ended = True
                self.cond.notify_all()

    def _read(self) -> None:
        start, index = None, 0
        while not self._halt.is_set():
            ok, bgr = self.cap.read()
            if not ok:
                return
            now = time.monotonic()
            if start is None:
                start = now
            if self.realtime:
                due = start + index / self.fps
                if due > now:
                    time.sleep(due - now)
                    now = due
            rgb = to_rgb(bgr)
            small = self.prepare(rgb)
            centre = index == self.centre(round(
                index / self.fps / self.interval) * self.interval)
            with self.cond:
                self.frames[index] = small
                self.stamps[index] = now
                if centre:
                    self.full[index] = rgb
                if self.keep_all:
                    self.outgoing.append((index, rgb))
                self.newest, self.newest_full = index, rgb
                for old in [i for i in self.frames if i <= index - self.keep]:
                    del self.frames[old], self.stamps[old]
                    self.full.pop(old, None)
                self.peak = max(self.peak, len(self.frames))
                self.cond.notify_all()
            index += 1

    def stop(self) -> None:
        """Stop reading; the keyframe loop returns at its next step."""
        self._halt.set()
        with self.cond:
            self.cond.notify_all()

    @property
    def stopped(self) -> bool:
        return self._halt.is_set()


@dataclass
class LiveKey:
    """A keyframe taken live: its second, the keyframes skipped just before
    it, and when its centre frame and its clip's last frame arrived
    (``time.monotonic()``)."""
    second: float
    skipped: int
    captured: float
    ready: float


def live_keyframes(capture: Capture, clips: KeyframeClips
                   ) -> Iterator[Tuple[LiveKey, np.ndarray, Callable]]:
    """Yield ``(key, centre frame, pack)`` for the newest complete keyframe
    each time the caller comes back, until the source ends (then the
    keyframes completed only by its end, in order) or the capture is
    stopped (at once)."""
    taken = -1  # the last keyframe index yielded or skipped
    lost = 0  # skipped since the last yield
    step = capture.interval
    while True:
        with capture.cond:
            while True:
                if capture.stopped:
                    return
                if capture.error is not None:
                    raise VideoError(f'{capture.source}: reading stopped: '
                                     f'{capture.error}')
                last, ended = capture.newest, capture.ended
                k = _newest_complete(capture, last, taken)
                if k is None and ended and last >= 0:
                    # after the end: the rest in order, clamped to it (a
                    # keyframe before the stream's duration, as offline)
                    nxt = taken + 1
                    k = nxt if nxt * step < (last + 1) / capture.fps - 1e-9 \
                        else None
                    if k is None:
                        return
                    inds = capture.clip(k * step, last)
                    if not all(i in capture.frames for i in inds.tolist()):
                        taken, lost = k, lost + 1  # evicted while busy
                        capture.skipped += 1
                        continue
                if k is not None:
                    break
                if ended:
                    return
                capture.cond.wait(0.5)
            second = round(k * step, 6)
            inds = capture.clip(second, last)
            frames = [capture.frames[i] for i in inds.tolist()]
            centre = min(capture.centre(second), last)
            capture.skipped += k - taken - 1
            key = LiveKey(second, lost + k - taken - 1,
                          capture.stamps[centre],
                          capture.stamps[int(inds.max())])
            lost = 0
            full = capture.full.get(centre, capture.newest_full)
            shape = full.shape[:2]
        taken = k
        yield key, full, (lambda boxes, frames=frames, shape=shape:
                          clips.pack(frames, shape, boxes))


def _newest_complete(capture: Capture, last: int, taken: int
                     ) -> Optional[int]:
    """The newest keyframe after ``taken`` whose clip has fully arrived."""
    if last < 0:
        return None
    step = capture.interval
    k = int(np.floor((last / capture.fps - capture.offsets.max()) / step +
                     1e-9))
    while k > taken and capture.clip(k * step).max() > last:
        k -= 1
    if k <= taken or k < 0:
        return None
    if not all(i in capture.frames for i in capture.clip(k * step).tolist()):
        return None
    return k
