"""AVA straight from the videos: decode the frames around each keyframe
with decord instead of reading hundreds of GB of extracted JPEGs."""
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

    Args:
        suffix: Appended to ``frame_dir`` (the dataset's ``data_prefix.img``
            joined with the video id) to name the video file.
        video_start: Time in seconds of the video's first frame: None for
            AVA's cut 15-minute segments (the dataset's
            ``timestamp_start``), 0 for whole movies.
        num_threads: decord decoding threads.
    """

    def __init__(self, suffix: str = '.mp4',
                 video_start: Optional[float] = None,
                 num_threads: int = 1) -> None:
        self.suffix, self.video_start = suffix, video_start
        self.num_threads = num_threads

    def transform(self, results: dict) -> dict:
        path = results['frame_dir'] + self.suffix
        try:
            reader = decord.VideoReader(path, num_threads=self.num_threads)
        except Exception as err:
            raise OSError(f'cannot open AVA video {path}: {err}') from None
        inds = np.asarray(results['frame_inds']).reshape(-1)
        start = results['timestamp_start']
        seconds = start + (inds - results.get('start_index', 0)) / results[
            'fps']
        origin = start if self.video_start is None else self.video_start
        frames = np.round((seconds - origin) * reader.get_avg_fps())
        frames = frames.astype(np.int64).clip(0, len(reader) - 1)
        unique, inverse = np.unique(frames, return_inverse=True)
        imgs = reader.get_batch(unique.tolist()).asnumpy()[inverse]
        results['imgs'] = list(imgs)
        results['original_shape'] = results['img_shape'] = imgs.shape[1:3]
        h, w = imgs.shape[1:3]
        scale = np.array([w, h, w, h])
        if 'gt_bboxes' in results:  # normalised -> pixels, as RawFrameDecode
            for key in ('gt_bboxes', 'proposals'):
                if results.get(key) is not None:
                    results[key] = (results[key] * scale).astype(np.float32)
        return results
