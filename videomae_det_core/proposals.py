"""AVA person proposals (``dict`` of ``'video,time'`` -> ``(N, 4|5)``
arrays in [0, 1]) read without running code, checked key by key.

A proposals ``.pkl`` is a pickle, so it is as untrusted as a checkpoint:
only dicts, lists, tuples, numbers, strings and numpy arrays unpickle; any
other global is refused naming the file. mmaction2's ``AVADataset`` loads
its proposals through this reader (see :mod:`videomae_det.compat`).
"""
import io
import pickle
from typing import Dict

import numpy as np

from .ava.io import AVAFormatError
from .plain_pickle import NUMPY_NAMES


class _NumpyOnly(pickle.Unpickler):

    def find_class(self, module: str, name: str):
        # _codecs.encode: how protocol 0-2 pickles from Python 3 spell bytes
        if f'{module}.{name}' in NUMPY_NAMES or (module, name) == (
                '_codecs', 'encode'):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f'global {module}.{name} is not allowed')


def load_plain(path: str, what: str = 'a proposals pickle'):
    """Unpickle a file that may hold only plain data and numpy arrays
    (Python 2 pickles too: their byte strings read as latin-1, as the
    official tube annotations need).

    Raises:
        AVAFormatError: Anything else, naming the file.
    """
    with open(path, 'rb') as f:
        data = f.read()
    try:
        try:
            return _NumpyOnly(io.BytesIO(data)).load()
        except UnicodeDecodeError:  # a Python 2 pickle of numpy arrays
            return _NumpyOnly(io.BytesIO(data), encoding='latin1').load()
    except Exception as err:  # any unpickling failure: say which file
        raise AVAFormatError(f'{path}: not {what} of plain data '
                             f'({type(err).__name__}: {err})') from None


def read_proposals(path: str, allow_seconds: bool = False
                   ) -> Dict[str, np.ndarray]:
    """Load and check a proposals file (``allow_seconds``: integer keys,
    seconds of one video, are accepted too).

    Raises:
        AVAFormatError: Not a pickle of plain data, not a dict, or an entry
            whose key is not ``video,time`` or whose boxes are not an
            ``(N, 4|5)`` array with coordinates in [0, 1]; the message
            names the file and the key.
    """
    proposals = load_plain(path)
    if not isinstance(proposals, dict):
        raise AVAFormatError(f'{path}: expected a dict of "video,time" -> '
                             f'array (N, 4|5), got {type(proposals).__name__}')
    for key, boxes in proposals.items():
        video, _, time = str(key).rpartition(',')
        if allow_seconds and isinstance(key, int):
            pass
        elif not isinstance(key, str) or not video or not time.isdigit():
            raise AVAFormatError(f'{path}: key {key!r} is not "video,time"')
        try:
            arr = np.asarray(boxes, dtype=np.float32)
        except (TypeError, ValueError):
            arr = np.zeros((0, 0))
        if arr.ndim != 2 or arr.shape[1] not in (4, 5) or \
                not np.isfinite(arr).all() or (arr[:, :4] < 0).any() or \
                (arr[:, :4] > 1).any():
            raise AVAFormatError(
                f'{path}: {key!r} holds {type(boxes).__name__} of shape '
                f'{getattr(arr, "shape", "?")}; need an (N, 4|5) array with '
                'boxes in [0, 1]')
        flipped = (arr[:, 2] < arr[:, 0]) | (arr[:, 3] < arr[:, 1])
        if flipped.any():
            raise AVAFormatError(
                f'{path}: {key!r} box {int(flipped.argmax())} '
                f'{arr[flipped.argmax(), :4].tolist()} has x2 < x1 or '
                'y2 < y1 (boxes are x1, y1, x2, y2)')
        proposals[key] = arr
    return proposals
