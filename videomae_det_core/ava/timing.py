"""Where an AVA-format keyframe lies in its video.

mmaction2's ``AVADataset`` turns a keyframe's timestamp ``t`` into frame
index ``fps * (t - timestamp_start) + start_index`` and clamps clips to one
span, ``(timestamp_end - timestamp_start) * fps`` frames, for every video:
AVA's 15-minute segments cut at 900-1800 s. On other data those constants
are silently wrong (every clip the first frame, or the last one). Here each
video's length is learned from the video itself (the video route) or from
its frame folder's count at the stated extraction rate (the frames route),
and each keyframe is checked against it.
"""
import json
import os
import os.path as osp
from dataclasses import dataclass
from typing import Dict, Optional

from ..errors import InputError

FRAMES_META = 'frames.json'  # written by tools/data/ava/extract_frames.py


@dataclass
class Span:
    """A video as the pipeline sees it: ``frames`` frames at ``fps``, the
    first at ``origin`` seconds on the annotation's clock."""
    frames: int
    fps: float
    origin: float

    @property
    def seconds(self) -> float:
        return self.frames / self.fps

    def index_span(self, fps: float) -> int:
        """Its length in frames at the dataset's ``fps`` (the indices
        ``SampleAVAFrames`` clamps to)."""
        return max(1, int(self.seconds * fps + 1e-6))

    def describe(self) -> str:
        return f'{self.seconds:.2f} s ({self.frames} frames at ' \
            f'{self.fps:g} fps)'


def count_frames(folder: str, filename_tmpl: str) -> Optional[int]:
    """Frames of a frame folder (files with the template's extension), or
    None when the folder does not exist."""
    if not osp.isdir(folder):
        return None
    ext = osp.splitext(filename_tmpl)[1]
    return sum(1 for name in os.listdir(folder) if name.endswith(ext))


def probe_video(path: str):
    """``(frames, fps)`` of a video, or an error string."""
    if not osp.isfile(path):
        return 'missing'
    try:
        import decord
        reader = decord.VideoReader(path, num_threads=1)
        return len(reader), float(reader.get_avg_fps())
    except Exception as err:  # decord raises its own classes
        return f'does not open ({str(err).splitlines()[0][:80]})'


def recorded_fps(root: str) -> Optional[float]:
    """The rate ``extract_frames.py`` recorded for the frames under
    ``root`` (None without its ``frames.json``)."""
    path = osp.join(root, FRAMES_META)
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return json.load(f).get('fps')


def frames_rate(root: str, fps: float) -> None:
    """Check the dataset's ``fps`` against the rate the frames were
    extracted at, where the extraction tool recorded it.

    Raises:
        InputError: The two differ (keyframe ``t`` would read the frame at
            another time).
    """
    rate = recorded_fps(root)
    if rate is not None and abs(float(rate) - fps) > 1e-6:
        raise InputError(
            f'{osp.join(root, FRAMES_META)}: the frames were extracted at '
            f'{rate:g} fps but the dataset says fps={fps:g}; set the '
            f"dataset's fps to {rate:g}")


def learn_spans(videos, root: str, fps: float, origin: float,
                video_suffix: Optional[str] = None,
                video_start: Optional[float] = None,
                filename_tmpl: str = 'img_{:05}.jpg'
                ) -> (Dict[str, Span], Dict[str, str]):
    """Spans of ``videos`` (ids) under ``root``, and {id: problem} for those
    that are missing or do not open: video files ``<id><video_suffix>``
    (the video route; their first frame at ``video_start``, default
    ``origin``), or frame folders at ``fps`` whose first frame is at
    ``origin``."""
    spans, bad = {}, {}
    if video_suffix is None:
        frames_rate(root, fps)
    for video in sorted(videos):
        if video_suffix is None:
            n = count_frames(osp.join(root, video), filename_tmpl)
            if not n:
                bad[video] = 'missing' if n is None else 'no frames'
            else:
                spans[video] = Span(n, fps, origin)
            continue
        probed = probe_video(osp.join(root, video) + video_suffix)
        if isinstance(probed, str):
            bad[video] = probed
        else:
            start = origin if video_start is None else video_start
            spans[video] = Span(probed[0], probed[1], start)
    return spans, bad


def missing_videos_error(bad: Dict[str, str], total: int, root: str,
                         ann_file: str) -> InputError:
    shown = ', '.join(f'{v!r} ({why})' for v, why in list(bad.items())[:5])
    more = f' and {len(bad) - 5} more' if len(bad) > 5 else ''
    return InputError(
        f'{ann_file}: {len(bad)} of {total} videos cannot be read under '
        f'{root}: {shown}{more} (skip_bad_samples=True leaves their '
        'keyframes out, counted)')
