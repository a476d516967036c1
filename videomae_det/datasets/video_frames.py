"""Video frames as PyAV decodes them, numbered as decord's index numbers
them, and their conversion to RGB: in full as swscale converts them
(decord's frames, bit for bit), or at a smaller output size from the YUV
planes, at a fraction of the cost."""
import itertools
from typing import Optional, Tuple

import av
import cv2
import mmcv
import numpy as np
from mmaction.datasets.transforms import Resize


class ForwardDecoder:
    """One video decoded forward by PyAV in the caller's thread (decord
    decodes in a thread of its own: a second busy thread per loader worker,
    and every frame converted to RGB), frames left YUV. They are numbered
    as decord's index numbers them, by their start times ``starts``; a
    frame that matches none (another demuxer's idea of the timeline) raises
    ``LookupError``, and the caller reads with decord instead."""

    def __init__(self, path: str, starts: np.ndarray, threads: int) -> None:
        try:
            self.container = av.open(path)
        except av.FFmpegError as err:
            raise OSError(f'cannot open video {path}: {err}') from None
        self.stream = self.container.streams.video[0]
        self.stream.codec_context.thread_count = threads
        self.starts = starts
        self.tolerance = float(np.median(np.diff(starts))) / 2 if len(
            starts) > 1 else 0.5
        self._frames = self.container.decode(self.stream)
        first = next(self)  # both timelines start at the same frame
        if first[0] != 0:
            raise LookupError(f'the first frame is at {first[1].time} s')
        self._frames = itertools.chain([first[1]], self._frames)

    def seek(self, index: int) -> None:
        """Go on from the stream's keyframe at or before frame ``index``."""
        self.container.seek(round(self.starts[index] / self.stream.time_base),
                            stream=self.stream, backward=True)
        self._frames = self.container.decode(self.stream)

    def __next__(self) -> Tuple[int, 'av.VideoFrame']:
        """The next frame and its index (StopIteration at the end)."""
        frame = next(self._frames)
        if frame.time is None:
            raise LookupError('a frame without a time stamp')
        i = int(np.searchsorted(self.starts, frame.time))  # the nearest:
        i = min(i, len(self.starts) - 1)
        if i and frame.time - self.starts[i - 1] < self.starts[i] - frame.time:
            i -= 1
        if abs(self.starts[i] - frame.time) > self.tolerance:
            raise LookupError(f'no frame of the index at {frame.time} s')
        return i, frame


# Kr, Kb of the colour matrices FFmpeg tags frames with (AVColorSpace:
# BT.709, SMPTE 240M, BT.2020); swscale takes BT.601 for the rest
_KR_KB = {1: (0.2126, 0.0722), 7: (0.212, 0.087), 9: (0.2627, 0.0593),
          10: (0.2627, 0.0593)}
_PLANAR_YUV = {'yuv420p', 'yuvj420p', 'yuv422p', 'yuvj422p', 'yuv444p',
               'yuvj444p'}


def yuv_to_rgb_matrix(colorspace: int, full_range: bool) -> np.ndarray:
    """(3, 4) affine map of 8-bit ``(Y, U, V, 1)`` to RGB, for
    ``cv2.transform``: the matrix and range swscale converts such frames
    with."""
    kr, kb = _KR_KB.get(colorspace, (0.299, 0.114))
    kg = 1 - kr - kb
    y_gain, c_gain, y0 = (1, 1, 0) if full_range else (255 / 219,
                                                        255 / 224, 16)
    m = np.array([[1, 0, 2 * (1 - kr)],
                  [1, -2 * kb * (1 - kb) / kg, -2 * kr * (1 - kr) / kg],
                  [1, 2 * (1 - kb), 0]]) * [y_gain, c_gain, c_gain]
    return np.hstack([m, -m @ [[y0], [128], [128]]]).astype(np.float32)


def small_rgb(frame: 'av.VideoFrame', size: Tuple[int, int]) -> np.ndarray:
    """(h, w, 3) uint8 RGB of a planar 8-bit YUV frame at ``size`` (w, h):
    each plane resized (bilinear) and converted at the output size, which
    costs a fraction of converting the full frame and resizing it, and
    differs from that by rounding and chroma interpolation (about a level
    of 255 on average, tests/test_ava_video.py)."""
    planes = [cv2.resize(np.frombuffer(p, np.uint8).reshape(
        p.height, p.line_size)[:, :p.width], size,
        interpolation=cv2.INTER_LINEAR) for p in frame.planes]
    full = frame.color_range == 2 or frame.format.name.startswith('yuvj')
    return cv2.transform(cv2.merge(planes),
                         yuv_to_rgb_matrix(frame.colorspace, full))


def rgb(frame) -> np.ndarray:
    """(H, W, 3) uint8 RGB of a decoded frame (PyAV's: swscale's
    conversion, as decord's; an array is taken as RGB already)."""
    if isinstance(frame, np.ndarray):
        return frame
    return frame.to_ndarray(format='rgb24')


def frame_shape(frame) -> Tuple[int, int]:
    """(H, W) of a decoded frame, PyAV's or an array."""
    if isinstance(frame, np.ndarray):
        return frame.shape[:2]
    return frame.height, frame.width


def frame_at(frame, resize: Optional[Resize]) -> np.ndarray:
    """A decoded frame in RGB at the size mmaction2's ``resize`` would
    give it (None: full size): converted at that size from YUV where the
    frame is planar 8-bit YUV (:func:`small_rgb`), else converted in full
    and resized as ``Resize`` resizes."""
    if resize is None:
        return rgb(frame)
    h, w = frame_shape(frame)
    size = mmcv.rescale_size((w, h), resize.scale)
    if not isinstance(frame, np.ndarray) and frame.format.name in _PLANAR_YUV:
        return small_rgb(frame, size)
    return mmcv.imresize(rgb(frame), size, interpolation=resize.interpolation)
