"""AVA straight from the videos: decode the frames around each keyframe
instead of reading hundreds of GB of extracted JPEGs."""
from typing import Optional, Tuple

import decord
import numpy as np
from mmaction.datasets.transforms import Resize
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform

from .video_frames import ForwardDecoder, frame_at, frame_shape


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
            converted from YUV at the output size by
            :func:`~videomae_det.datasets.video_frames.small_rgb`,
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
        outputs it."""
        self._shape = frame_shape(frame)
        return frame_at(frame, self.resize)

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
        """Frames ``wanted`` from the window, decoding on (from the
        keyframe before the first one missing, if behind or far ahead)."""
        if self._forward is None:
            starts = self._reader.get_frame_timestamp(
                range(len(self._reader)))[:, 0]
            self._forward = ForwardDecoder(self._path, starts,
                                           self.num_threads)
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
