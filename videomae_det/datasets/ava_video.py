"""AVA straight from the videos: decode the frames around each keyframe
with decord instead of reading hundreds of GB of extracted JPEGs."""
from collections import OrderedDict
from typing import Optional

import decord
import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform


@TRANSFORMS.register_module()
class AVAVideoDecode(BaseTransform):
    """Drop-in replacement for ``RawFrameDecode`` after ``SampleAVAFrames``.

    ``SampleAVAFrames`` numbers frames as the extracted JPEGs are numbered:
    index ``k`` is the frame at ``timestamp_start + (k - start_index) /
    fps`` seconds. Here that time is looked up in the video at its own frame
    rate, so every machine decodes with the same pinned decoder.

    Streaming: the video stays open between samples, and when a sample's
    frames lie ahead of the last one's (a test pass reads a video's
    keyframes in order), the decoder moves forward instead of seeking, and
    frames shared with the previous clip come from a window of recently
    decoded ones: every frame of a video is then decoded once per pass (per
    loader worker); a jump ahead past one of the stream's keyframes (where a
    loader worker's stretch of :class:`ContiguousSampler` begins) seeks to
    it instead. Anything else (another video, an earlier time) seeks, as
    before. ``decoded`` counts the frames decoded by this instance.

    Args:
        suffix: Appended to ``frame_dir`` (the dataset's ``data_prefix.img``
            joined with the video id) to name the video file.
        video_start: Time in seconds of the video's first frame: None for
            AVA's cut 15-minute segments (the dataset's
            ``timestamp_start``), 0 for whole movies.
        num_threads: decord decoding threads.
        stream: Keep the video open and decode forward (see above).
        units: ``'seconds'`` (AVA: frame indices are times, as above) or
            ``'frames'`` (the tube datasets: ``frame_inds - start_index``
            are the video's own 0-based frames).
    """

    def __init__(self, suffix: str = '.mp4',
                 video_start: Optional[float] = None,
                 num_threads: int = 1, stream: bool = True,
                 units: str = 'seconds') -> None:
        if units not in ('seconds', 'frames'):
            raise ValueError(f"units={units!r}: 'seconds' or 'frames'")
        self.suffix, self.video_start, self.units = suffix, video_start, units
        self.num_threads, self.stream = num_threads, stream
        self.decoded = 0
        self._path, self._reader, self._next = None, None, 0
        self._keys = None  # the stream's keyframe indices, when needed
        self._window: OrderedDict = OrderedDict()  # index -> frame

    @property
    def window_bytes(self) -> int:
        """Memory of the decoded frames the window holds."""
        return sum(f.nbytes for f in self._window.values())

    def _open(self, path: str):
        try:
            reader = decord.VideoReader(path, num_threads=self.num_threads)
        except Exception as err:
            raise OSError(f'cannot open AVA video {path}: {err}') from None
        if self.stream:
            self._path, self._reader, self._next = path, reader, 0
            self._keys = None
            self._window.clear()
        return reader

    def _key_before(self, index: int) -> int:
        """The last keyframe (of the open stream) at or before ``index``:
        decoding can start there without the frames before it."""
        if self._keys is None:
            self._keys = np.asarray(self._reader.get_key_indices())
        return int(self._keys[max(np.searchsorted(
            self._keys, index, side='right') - 1, 0)])

    def _frames(self, path: str, wanted: np.ndarray) -> np.ndarray:
        """Frames ``wanted`` (sorted, unique) of the video at ``path``."""
        reader = self._reader if path == self._path else self._open(path)
        behind = [i for i in wanted.tolist() if i < self._next and
                  i not in self._window]
        if not self.stream or behind:  # seek
            self.decoded += len(wanted)
            if self.stream:  # the reader's position moved: reopen next time
                self._path = None
            return reader.get_batch(wanted.tolist()).asnumpy()
        keep_from = int(wanted[0])
        last = int(wanted[-1])
        if keep_from > self._next:  # skip ahead without keeping frames
            key = self._key_before(keep_from)
            if key > self._next:  # (a loader worker's stretch begins)
                reader.seek_accurate(keep_from)  # decodes from that key
                self.decoded += keep_from - key
            else:
                reader.skip_frames(keep_from - self._next)
                self.decoded += keep_from - self._next
            self._next = keep_from
        while self._next <= last:
            self._window[self._next] = reader.next().asnumpy()
            self.decoded += 1
            self._next += 1
        out = np.stack([self._window[i] for i in wanted.tolist()])
        # the next clip starts later: keep the span of this one
        span = last - keep_from + 1
        while self._window and next(iter(self._window)) < last - span:
            self._window.popitem(last=False)
        return out

    def transform(self, results: dict) -> dict:
        # a sample may name its own (KineticsAVADataset: the clip's)
        path = results['frame_dir'] + results.get('suffix', self.suffix)
        if path != self._path:
            reader = self._open(path)
        else:
            reader = self._reader
        inds = np.asarray(results['frame_inds']).reshape(-1)
        inds = inds - results.get('start_index', 0)
        if self.units == 'seconds':
            start = results['timestamp_start']
            origin = start if self.video_start is None else self.video_start
            inds = np.round((start + inds / results['fps'] - origin) *
                            reader.get_avg_fps())
        frames = inds.astype(np.int64).clip(0, len(reader) - 1)
        unique, inverse = np.unique(frames, return_inverse=True)
        imgs = self._frames(path, unique)[inverse]
        results['imgs'] = list(imgs)
        results['original_shape'] = results['img_shape'] = imgs.shape[1:3]
        h, w = imgs.shape[1:3]
        scale = np.array([w, h, w, h])
        if 'gt_bboxes' in results:  # normalised -> pixels, as RawFrameDecode
            for key in ('gt_bboxes', 'proposals'):
                if results.get(key) is not None:
                    results[key] = (results[key] * scale).astype(np.float32)
        return results
