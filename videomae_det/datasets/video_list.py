"""mmaction2's ``VideoDataset`` with annotation errors that name the line.

mmaction2 reads ``path label`` lines with bare ``split``/``int`` calls: a
malformed line dies as ``ValueError: too many values to unpack`` with no
file or line. This subclass reads the same format (and ``multi_class``
lists) and raises :class:`VideoListError` naming ``file:line`` and what is
wrong: a missing or non-integer label, a label outside ``num_classes``, an
empty list. A video that fails to decode is named too
(:mod:`.bad_samples`).
"""
import os.path as osp
from typing import List

from mmaction.datasets import VideoDataset
from mmaction.registry import DATASETS

from videomae_det_core.errors import InputError

from .bad_samples import BadSampleMixin
from .seeded import SeededSamplesMixin


class VideoListError(InputError, ValueError):
    """A malformed video list; the message names the file and line."""


@DATASETS.register_module()
class CheckedVideoDataset(SeededSamplesMixin, BadSampleMixin, VideoDataset):
    """``VideoDataset`` (same arguments) with line-precise errors, and
    ``skip_bad_samples`` (:mod:`.bad_samples`)."""

    def load_data_list(self) -> List[dict]:
        path = self.ann_file
        if not osp.isfile(path):
            raise FileNotFoundError(f'video list not found: {path}')
        root = self.data_prefix.get('video')
        data_list = []
        with open(path) as f:
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                fields = line.strip().split(self.delimiter)
                where = f'{path}:{lineno}'
                if not self.multi_class and len(fields) > 2:
                    raise VideoListError(
                        f'{where}: expected "path label", got {len(fields)} '
                        f'fields: {line.strip()!r}')
                try:
                    labels = [int(x) for x in fields[1:]]
                except ValueError:
                    raise VideoListError(
                        f'{where}: label is not an integer: '
                        f'{line.strip()!r}') from None
                n = self.num_classes
                bad = [x for x in labels if x < 0 or (n and x >= n)]
                if bad:
                    raise VideoListError(
                        f'{where}: label {bad[0]} outside [0, {n})')
                label = labels if self.multi_class else (
                    labels[0] if labels else -1)
                filename = fields[0]
                if root is not None:
                    filename = osp.join(root, filename)
                data_list.append(dict(filename=filename, label=label))
        if not data_list:
            raise VideoListError(f'{path}: the video list is empty')
        return data_list
