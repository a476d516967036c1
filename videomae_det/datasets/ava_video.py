"""AVA straight from the videos: decode the frames around each keyframe
instead of reading hundreds of GB of extracted JPEGs."""
import itertools
from typing import Optional, Tuple

import av
import cv2
import decord
import mmcv
import numpy as np
from mmaction.datasets.transforms import Resize
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform


class _Forward:
    """One video decoded forward by PyAV in the caller's thread (decord
    decodes in a thread of its own: a second busy thread per loader worker,
    and every frame converted to RGB). Frames are numbered as decord's
    index numbers them, by their start times ``starts``; a frame that
    matches none (another demuxer's idea of the timeline) raises
    ``LookupError``, and the caller reads with decord instead."""

    def __init__(self, path: str, starts: np.ndarray, threads: int) -> None:
        try:
            self.container = av.open(path)
        except av.FFmpegError as err:
            raise OSError(f'cannot open AVA video {path}: {err}') from None
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
        i = int(np.abs(self.starts - frame.time).argmin())
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
    of 255 on average, tests/test_detection_toy.py)."""
    planes = [cv2.resize(np.frombuffer(p, np.uint8).reshape(
        p.height, p.line_size)[:, :p.width], size,
        interpolation=cv2.INTER_LINEAR) for p in frame.planes]
    full = frame.color_range == 2 or frame.format.name.startswith('yuvj')
    return cv2.transform(cv2.merge(planes),
                         yuv_to_rgb_matrix(frame.colorspace, full))


@TRANSFORMS.register_module()
class AVAVideoDecode(BaseTransform):
    """Drop-in replacement for ``RawFrameDecode`` after ``SampleAVAFrames``,
    and, with ``scale``, for the ``Resize`` after it.

    ``SampleAVAFrames`` numbers frames as the extracted JPEGs are numbered:
    index ``k`` is the frame at ``timestamp_start + (k - start_index) /
    fps`` seconds. Here that time is looked up in the video at its own frame
    rate, so every machine decodes with the same pinned decoder.

    Streaming: the video stays open between samples, and when a sample's
    frames lie ahead of the last one's (a test pass reads a video's
    keyframes in order), the decoder (PyAV, in this thread) moves forward
    instead of seeking, frames are converted to RGB only when a clip takes
    one, and frames shared with the previous clip come from a window of
    recent ones: every frame of a video is then decoded once per pass (per
    loader worker) and converted at most once. A frame no longer in the
    window, or past one of the stream's keyframes (where a loader worker's
    stretch of :class:`ContiguousSampler` begins), is decoded from the
    keyframe before it; so is every clip with ``stream=False``. At full
    size the frames are decord's, bit for bit (one FFmpeg decoder, one
    swscale conversion); decord reads the index, and the frames of a video
    whose time stamps PyAV and decord see differently. ``decoded`` counts
    the frames decoded by this instance.

    Args:
        suffix: Appended to ``frame_dir`` (the dataset's ``data_prefix.img``
            joined with the video id) to name the video file.
        video_start: Time in seconds of the video's first frame: None for
            AVA's cut 15-minute segments (the dataset's
            ``timestamp_start``), 0 for whole movies.
        num_threads: Decoding threads.
        stream: Keep the video open and decode forward (see above).
        units: ``'seconds'`` (AVA: frame indices are times, as above) or
            ``'frames'`` (the tube datasets: ``frame_inds - start_index``
            are the video's own 0-based frames).
        scale: Decode at the size the pipeline needs: output as
            mmaction2's ``Resize(scale=scale)`` after this step would give
            it (``img_shape``, ``scale_factor``, boxes exactly; frames
            converted from YUV at the output size by :func:`small_rgb`,
            about a level of 255 from resizing the full RGB frame), each
            frame converted once while it is in the window. None: full
            size.
    """

    def __init__(self, suffix: str = '.mp4',
                 video_start: Optional[float] = None,
                 num_threads: int = 1, stream: bool = True,
                 units: str = 'seconds',
                 scale: Optional[Tuple[int, int]] = None) -> None:
        if units not in ('seconds', 'frames'):
            raise ValueError(f"units={units!r}: 'seconds' or 'frames'")
        self.suffix, self.video_start, self.units = suffix, video_start, units
        self.num_threads, self.stream = num_threads, stream
        self.resize = None if scale is None else Resize(scale=scale)
        self.decoded = 0
        self._path, self._reader, self._next = None, None, 0
        self._keys = None  # the stream's keyframe indices, when needed
        self._forward = None  # PyAV, False where it cannot follow decord
        self._shape = None  # (h, w) of the video's frames
        self._window = {}  # index -> frame

    @property
    def window_bytes(self) -> int:
        """Memory of the frames the window holds (decoded or converted)."""
        return sum(f.nbytes if isinstance(f, np.ndarray) else
                   sum(p.buffer_size for p in f.planes)
                   for f in self._window.values())

    def _open(self, path: str):
        try:
            reader = decord.VideoReader(path, num_threads=self.num_threads)
        except Exception as err:
            raise OSError(f'cannot open AVA video {path}: {err}') from None
        self._path, self._reader, self._next = path, reader, 0
        self._keys = self._forward = None
        self._window.clear()
        return reader

    def _key_before(self, index: int) -> int:
        """The last keyframe (of the open stream) at or before ``index``:
        decoding can start there without the frames before it."""
        if self._keys is None:
            self._keys = np.asarray(self._reader.get_key_indices())
        return int(self._keys[max(np.searchsorted(
            self._keys, index, side='right') - 1, 0)])

    def _out(self, frame) -> np.ndarray:
        """A decoded frame (PyAV's, or decord's RGB array) as this step
        outputs it: RGB, at ``Resize``'s size with ``scale``."""
        if isinstance(frame, np.ndarray):
            img = frame
        elif self.resize is not None and frame.format.name in _PLANAR_YUV:
            self._shape = frame.height, frame.width
            return small_rgb(frame, self._size())
        else:  # the swscale conversion decord makes
            img = frame.to_ndarray(format='rgb24')
        self._shape = img.shape[:2]
        if self.resize is None:
            return img
        return mmcv.imresize(img, self._size(),
                             interpolation=self.resize.interpolation)

    def _size(self) -> Tuple[int, int]:
        h, w = self._shape
        return mmcv.rescale_size((w, h), self.resize.scale)

    def _frames(self, wanted: np.ndarray) -> np.ndarray:
        """Frames ``wanted`` (sorted, unique) of the open video."""
        if not self.stream:  # from the keyframe before, every time
            self._window.clear()
            self._next = len(self._reader)
        if self._forward is not False:
            try:
                return self._decode_forward(wanted)
            except (LookupError, StopIteration):  # decord's timeline
                self._forward = False
                self._window.clear()
        self.decoded += len(wanted)
        return np.stack([self._out(f) for f in self._reader.get_batch(
            wanted.tolist()).asnumpy()])

    def _decode_forward(self, wanted: np.ndarray) -> np.ndarray:
        if self._forward is None:
            starts = self._reader.get_frame_timestamp(
                range(len(self._reader)))[:, 0]
            self._forward = _Forward(self._path, starts, self.num_threads)
        first, last = int(wanted[0]), int(wanted[-1])
        missing = [i for i in wanted.tolist() if i not in self._window]
        if missing:
            key = self._key_before(missing[0])
            if missing[0] < self._next or key > self._next:
                self._forward.seek(key)  # decodes on from that keyframe
                self._next = key
        while self._next <= last:
            i, frame = next(self._forward)
            self.decoded += 1
            if i >= first and i not in self._window:  # (before: not kept)
                self._window[i] = frame
            self._next = i + 1
        if any(i not in self._window for i in wanted.tolist()):
            raise LookupError('frames of the index that PyAV did not decode')
        for i in wanted.tolist():  # converted once, for this clip and next
            if not isinstance(self._window[i], np.ndarray):
                self._window[i] = self._out(self._window[i])
        out = np.stack([self._window[i] for i in wanted.tolist()])
        for i in [i for i in self._window if i < first]:  # the next clip
            del self._window[i]  # starts later: the frames before go
        return out

    def transform(self, results: dict) -> dict:
        # a sample may name its own (KineticsAVADataset: the clip's)
        path = results['frame_dir'] + results.get('suffix', self.suffix)
        reader = self._reader if path == self._path else self._open(path)
        inds = np.asarray(results['frame_inds']).reshape(-1)
        inds = inds - results.get('start_index', 0)
        if self.units == 'seconds':
            start = results['timestamp_start']
            origin = start if self.video_start is None else self.video_start
            inds = np.round((start + inds / results['fps'] - origin) *
                            reader.get_avg_fps())
        frames = inds.astype(np.int64).clip(0, len(reader) - 1)
        unique, inverse = np.unique(frames, return_inverse=True)
        imgs = self._frames(unique)[inverse]
        results['original_shape'] = results['img_shape'] = h, w = self._shape
        if 'gt_bboxes' in results:  # normalised -> pixels, as RawFrameDecode
            for key in ('gt_bboxes', 'proposals'):
                if results.get(key) is not None:
                    results[key] = (results[key] * np.array(
                        [w, h, w, h])).astype(np.float32)
        if self.resize is not None:  # shapes, scale_factor and boxes
            self.resize.transform(results)
        results['imgs'] = list(imgs)
        return results
