"""Exported graphs in onnxruntime: a session wrapper and the detector as an
mmengine model, so that ``tools/test.py --backend onnxruntime`` evaluates an
ONNX file with the config's data pipeline, preprocessor and metric."""
import json
import os.path as osp
from typing import List, Optional

import torch
from mmaction.registry import MODELS
from mmengine.model import BaseModel
from torch import Tensor

from videomae_det_core.errors import InputError

META = 'videomae_det.'  # prefix of our keys in the model's metadata


def _session(onnx_file: str, device: str = 'cpu', threads: int = 0):
    try:
        import onnxruntime as ort
    except ImportError as err:  # the optional extra
        raise InputError('the onnxruntime backend needs onnxruntime: pip '
                         'install "videomae_det[deploy]"') from err
    if not osp.isfile(onnx_file):
        raise InputError(f'ONNX model not found: {onnx_file}')
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    providers = ['CPUExecutionProvider']
    if device.startswith('cuda'):
        providers.insert(0, 'CUDAExecutionProvider')
    try:
        return ort.InferenceSession(onnx_file, options, providers=providers)
    except Exception as err:  # onnxruntime raises its own classes
        raise InputError(f'{onnx_file}: onnxruntime cannot load it: {err}') \
            from err


class OrtModel:
    """An exported graph in an onnxruntime session.

    Args:
        onnx_file: Written by ``tools/deployment/export_onnx.py``.
        device: ``'cpu'``, or ``'cuda:N'`` with onnxruntime-gpu.
        threads: onnxruntime's intra-op threads (0: its default).
    """

    def __init__(self, onnx_file: str, device: str = 'cpu',
                 threads: int = 0) -> None:
        self.file = onnx_file
        self.session = _session(onnx_file, device, threads)
        meta = self.session.get_modelmeta().custom_metadata_map
        if META + 'task' not in meta:
            raise InputError(f'{onnx_file}: not exported by videomae_det '
                             '(no videomae_det.task in its metadata)')
        self.task = meta[META + 'task']
        self.clip_shape = tuple(json.loads(meta[META + 'clip_shape']))
        self.dynamic = json.loads(meta[META + 'dynamic'])
        self.input_names = [i.name for i in self.session.get_inputs()]

    def check(self, clip: Tensor) -> None:
        if tuple(clip.shape[1:]) != self.clip_shape:
            c, t, h, w = self.clip_shape
            raise InputError(
                f'{self.file} was exported for clips of {t} frames at '
                f'{h}x{w}, got {tuple(clip.shape[2:])} (T, H, W): export '
                'again with --shape for this input')

    def __call__(self, clip: Tensor, rois: Optional[Tensor] = None
                 ) -> Tensor:
        """``clip (B, 3, T, H, W)`` [, ``rois (K, 5)``] -> the graph's
        output; a graph exported without ``dynamic`` runs per clip."""
        self.check(clip)
        if not self.dynamic and len(clip) != 1:
            return self._per_clip(clip, rois)
        feed = dict(clip=clip.detach().float().cpu().numpy())
        if self.task == 'detection':
            if rois is None:
                raise ValueError('a detector graph needs rois')
            if not len(rois):
                raise ValueError('a detector graph needs at least one box')
            feed['rois'] = rois.detach().float().cpu().numpy()
        return torch.from_numpy(self.session.run(None, feed)[0])

    def _per_clip(self, clip: Tensor, rois: Optional[Tensor]) -> Tensor:
        if rois is None:
            return torch.cat([self(c[None]) for c in clip])
        out = torch.empty(len(rois), 0)
        for i in range(len(clip)):
            mine = rois[:, 0] == i
            if not mine.any():
                continue
            one = rois[mine].clone()
            one[:, 0] = 0
            scores = self(clip[i:i + 1], one)
            if out.shape[1] == 0:
                out = scores.new_zeros(len(rois), scores.shape[1])
            out[mine] = scores
        return out


@MODELS.register_module()
class ONNXDetector(BaseModel):
    """An exported AVA detector as an mmengine model (predict mode only):
    the config's data preprocessor, the graph in onnxruntime for the scores,
    and mmaction2's ``BBoxHeadAVA.predict_by_feat`` for the boxes (flip and
    crop undone, normalised), as the PyTorch detector.

    Args:
        onnx_file: The exported detector.
        bbox_head: The config's ``roi_head.bbox_head`` (post-processing
            only; its weights are unused).
        data_preprocessor: The config's.
        test_cfg: The config's ``roi_head.test_cfg``.
    """

    def __init__(self, onnx_file: str, bbox_head: dict,
                 data_preprocessor: dict, test_cfg: Optional[dict] = None,
                 device: str = 'cpu') -> None:
        super().__init__(data_preprocessor=data_preprocessor)
        from mmdet.registry import MODELS as MMDET_MODELS
        self.graph = OrtModel(onnx_file, device)
        if self.graph.task != 'detection':
            raise InputError(f'{onnx_file} is a {self.graph.task} graph; '
                             'this needs a detection graph')
        self.bbox_head = MMDET_MODELS.build(dict(bbox_head, _scope_='mmdet'))
        self.test_cfg = test_cfg

    @classmethod
    def from_config(cls, cfg, onnx_file: str, device: str = 'cpu') -> dict:
        """The model dict that replaces ``cfg.model``."""
        return dict(type='ONNXDetector', onnx_file=onnx_file,
                    bbox_head=cfg.model.roi_head.bbox_head,
                    data_preprocessor=cfg.model.data_preprocessor,
                    test_cfg=cfg.model.roi_head.get('test_cfg'),
                    device=device)

    def forward(self, inputs: Tensor, data_samples: Optional[List] = None,
                mode: str = 'predict') -> List:
        if mode != 'predict':
            raise ValueError(f'an ONNX model only predicts, got mode={mode}')
        from mmdet.structures.bbox import bbox2roi
        proposals = [ds.proposals.bboxes for ds in data_samples]
        counts = [len(p) for p in proposals]
        rois = bbox2roi(proposals)
        scores = self.graph(inputs, rois) if len(rois) else \
            torch.zeros(0, self.bbox_head.num_classes)
        metas = [ds.metainfo for ds in data_samples]
        results = self.bbox_head.predict_by_feat(
            rois=rois.split(counts), cls_scores=scores.split(counts),
            batch_img_metas=metas, rcnn_test_cfg=self.test_cfg)
        for ds, result, score in zip(data_samples, results,
                                     scores.split(counts)):
            result.scores = score  # the graph's, already activated
            ds.pred_instances = result
        return data_samples
