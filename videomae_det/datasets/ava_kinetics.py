"""The Kinetics part of AVA-Kinetics, read straight from the Kinetics-700
clips.

Its annotations (``kinetics_{train,val}_v1.0.csv``: ``youtube_id,
timestamp, x1, y1, x2, y2, action_id``, no person id) time each keyframe in
seconds of the original YouTube video; the clips are named
``<youtube_id>_<start:06d>_<end:06d>.mp4`` by the seconds they were cut
from. mmaction2 re-cuts every clip with ffmpeg around its keyframes and
extracts frames at 30 fps before training; here the keyframe's clip is
found by its name and the frames around it are decoded from it
(:class:`AVAVideoDecode`, streaming), the clip's start being its
``timestamp_start``. Keyframes keep their original keys (``youtube_id``,
second), so the AVA evaluator scores them beside AVA's own: AVA-Kinetics
val is AVA val plus this part in one frame-mAP.
"""
import os
import os.path as osp
import re
from collections import defaultdict
from typing import Dict, List

from mmaction.registry import DATASETS
from mmengine.logging import print_log

from videomae_det_core.ava.io import AVAFormatError, image_key

from .ava_checks import AVAConfigError
from .ava_dataset import CheckedAVADataset

CLIP_NAME = re.compile(r'^(?P<ytid>.+)_(?P<start>\d{6})_(?P<end>\d{6})'
                       r'\.(?:mp4|mkv|webm|avi)$')


def index_clips(root: str) -> Dict[str, List[tuple]]:
    """``{youtube_id: [(start, end, path without extension, extension)]}``
    for every clip named ``<id>_<start>_<end>.<ext>`` under ``root``
    (class folders included)."""
    clips = defaultdict(list)
    for folder, _, files in os.walk(root):
        for name in files:
            m = CLIP_NAME.match(name)
            if m:
                stem, ext = osp.splitext(osp.join(folder, name))
                clips[m['ytid']].append((int(m['start']), int(m['end']),
                                         stem, ext))
    return clips


@DATASETS.register_module()
class KineticsAVADataset(CheckedAVADataset):
    """``CheckedAVADataset`` over the Kinetics part (same arguments, the
    AVA label map), each keyframe decoded from its Kinetics clip.

    Args:
        data_prefix: ``dict(img=root)`` of the clips (searched
            recursively: Kinetics' class folders may stay).
        missing_clips: A keyframe whose clip is not on disk: ``'error'``
            (naming file, line, video and the clips found for it) or
            ``'skip'`` (left out, counted).
    """

    def __init__(self, *args, missing_clips: str = 'error', **kwargs):
        if missing_clips not in ('error', 'skip'):
            raise AVAConfigError(f"missing_clips={missing_clips!r}: use "
                                 "'error' or 'skip'")
        self.missing_clips = missing_clips
        kwargs.setdefault('fps', 30)
        super().__init__(*args, **kwargs)

    def load_data_list(self) -> List[dict]:
        path, root = self.ann_file, self.data_prefix['img'] or ''
        clips = index_clips(root)
        records, missing, where = defaultdict(list), [], {}
        for lineno, record in self._rows():
            ytid, t = record['video_id'], record['timestamp']
            clip = next((c for c in clips.get(ytid, ())
                         if c[0] <= t < c[1]), None)
            if clip is None:
                missing.append((lineno, ytid, t))
                continue
            key = image_key(ytid, t)
            where[key] = clip
            records[key].append(record)
        if missing:
            lineno, ytid, t = missing[0]
            found = ', '.join(f'{s}-{e} s' for s, e, _, _ in
                              clips.get(ytid, ())) or 'none'
            message = (f'{path}:{lineno}: no clip of {ytid!r} under '
                       f'{root!r} holds its second {t} (clips named '
                       f'<id>_<start:06d>_<end:06d>.mp4; found: {found}); '
                       f'{len(missing)} rows lack their clip')
            if self.missing_clips == 'error':
                raise AVAFormatError(message + " (missing_clips='skip' "
                                     'leaves them out, counted)')
            print_log(message + ': left out', logger='current', level=30)
        data_list = []
        for key, rows in records.items():
            start, end, stem, ext = where[key]
            boxes, labels, entity_ids = self.parse_img_record(rows)
            data_list.append(dict(
                filename=stem, video_id=rows[0]['video_id'],
                timestamp=rows[0]['timestamp'], img_key=key,
                clip_start=start, suffix=ext,
                shot_info=(0, (end - start) * self._FPS), fps=self._FPS,
                ann=dict(gt_bboxes=boxes, gt_labels=labels,
                         entity_ids=entity_ids)))
        if not data_list:
            raise AVAFormatError(f'{path}: no keyframe with its clip')
        return data_list

    def _read_proposals(self):
        """The proposals under ``'<youtube_id>,<second>'``; mmaction2's
        (``fetch_proposal.py``) key them by its re-cut clip's name,
        ``'<id>_<start>_<end>,<second>'``: both are read."""
        proposals = super()._read_proposals()
        if proposals is None:
            return None
        out = {}
        for key, boxes in proposals.items():
            video, _, t = key.rpartition(',')
            m = CLIP_NAME.match(video + '.mp4')
            out[f'{m["ytid"] if m else video},{t}'] = boxes
        return out

    def get_data_info(self, idx: int) -> dict:
        """The AVA sample, timed from its clip's start."""
        info = super().get_data_info(idx)
        info['timestamp_start'] = info['clip_start']
        info['frame_dir'] = info['filename']  # AVAVideoDecode appends
        return info
