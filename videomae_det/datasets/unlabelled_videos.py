"""Unlabelled videos for pre-training: a list file or a folder."""
import os
import os.path as osp
from typing import List

from mmaction.registry import DATASETS
from mmengine.dataset import BaseDataset

from videomae_det_core.video_files import is_video

from .bad_samples import BadSampleMixin
from .seeded import SeededSamplesMixin


@DATASETS.register_module()
class UnlabelledVideoDataset(SeededSamplesMixin, BadSampleMixin, BaseDataset):
    """Videos without labels, from a list file or a folder.

    Args:
        ann_file: A list file, one video per line, path first (Kinetics
            style ``path label``, SSv2 style ``path frames label`` and bare
            ``path`` lines all work: fields after the path are ignored). If
            empty, every video below ``data_prefix['video']`` is used.
        data_prefix: ``dict(video=ROOT)`` joined to relative paths.
        pipeline: Transforms; the first reads ``results['filename']``.
        skip_bad_samples: Skip (logged, counted) videos that fail to
            decode instead of stopping with an error naming the file.

    Raises:
        FileNotFoundError: The list or folder does not exist.
        ValueError: No video found.
    """

    def __init__(self, ann_file: str = '', data_prefix: dict = None,
                 pipeline: list = (), test_mode: bool = False,
                 **kwargs) -> None:
        super().__init__(ann_file=ann_file,
                         data_prefix=data_prefix or dict(video=''),
                         pipeline=list(pipeline), test_mode=test_mode,
                         **kwargs)

    def load_data_list(self) -> List[dict]:
        root = self.data_prefix.get('video', '')
        if self.ann_file and not osp.isdir(self.ann_file):
            data = self._read_list(self.ann_file, root)
        else:
            folder = self.ann_file or root
            if not osp.isdir(folder):
                raise FileNotFoundError(f'video folder not found: {folder}')
            data = [
                dict(filename=osp.join(d, f))
                for d, _, files in sorted(os.walk(folder))
                for f in sorted(files) if is_video(f)
            ]
        if not data:
            raise ValueError(f'no videos in {self.ann_file or root}')
        return data

    @staticmethod
    def _read_list(path: str, root: str) -> List[dict]:
        if not osp.isfile(path):
            raise FileNotFoundError(f'video list not found: {path}')
        data = []
        with open(path) as f:
            for line in f:
                fields = line.split()
                if fields:  # blank lines are allowed
                    data.append(dict(filename=osp.join(root, fields[0])))
        return data
