"""The pieces of the VideoMAE paper's own AVA detector (its test protocol,
from MCG-NJU/VideoMAE-Action-Detection and AlphAction) that mmaction2's
detector lacks; the rest is mmaction2's ``AVARoIHead`` with
``SingleRoIExtractor3D(output_size=7, aligned=False)`` and a dropout-free
``BBoxHeadAVA`` with spatial max pooling.

- :class:`PaddedActionDataPreprocessor`: normalise, then zero-pad the
  normalised batch on the right and bottom to a multiple of 16.
- :class:`OfficialAVARoIHead`: pool each person box enlarged (10 % in
  width, 5 % in height, clamped to the frame) but return the box itself,
  and multiply the action scores by the person detector's score.
"""
from typing import List, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmaction.models.data_preprocessors import ActionDataPreprocessor
from mmaction.models.roi_heads import AVARoIHead
from mmaction.registry import MODELS
from mmdet.registry import MODELS as MMDET_MODELS
from mmdet.structures.bbox import bbox2roi
from torch import Tensor


@MODELS.register_module()
class PaddedActionDataPreprocessor(ActionDataPreprocessor):
    """``ActionDataPreprocessor`` (same arguments), whose normalised
    ``(B, C, T, H, W)`` batch is then zero-padded on the right and bottom
    to multiples of ``pad_size_divisor`` (AlphAction's collate; the
    official model then sees zeros, not normalised black). The boxes and
    ``img_shape`` stay those of the unpadded frames."""

    def __init__(self, pad_size_divisor: int = 16, **kwargs) -> None:
        super().__init__(**kwargs)
        self.pad_size_divisor = pad_size_divisor

    def forward_onesample(self, data, training: bool = False) -> dict:
        data = super().forward_onesample(data, training)
        x = data['inputs']
        h, w = x.shape[-2:]
        d = self.pad_size_divisor
        pad_h, pad_w = -h % d, -w % d
        if pad_h or pad_w:
            data['inputs'] = F.pad(x, (0, pad_w, 0, pad_h))
        return data


def enlarge_boxes(boxes: Tensor, img_shape: Tuple[int, int],
                  ratio: Sequence[float] = (0.1, 0.05)) -> Tensor:
    """Boxes ``(K, 4)`` x1, y1, x2, y2 in pixels grown by ``ratio`` of
    their width and height (half on each side; widths counted with +1 as
    the official ``BoxList.extend``), then clamped to ``[0, W - 1] x
    [0, H - 1]`` of the ``img_shape = (H, W)`` frame."""
    h, w = img_shape
    bw = boxes[:, 2] - boxes[:, 0] + 1
    bh = boxes[:, 3] - boxes[:, 1] + 1
    grow = torch.stack([-bw, -bh, bw, bh], 1) * boxes.new_tensor(
        [ratio[0], ratio[1], ratio[0], ratio[1]]) / 2
    out = boxes + grow
    out[:, 0::2] = out[:, 0::2].clamp(0, w - 1)
    out[:, 1::2] = out[:, 1::2].clamp(0, h - 1)
    return out


@MMDET_MODELS.register_module()  # FastRCNN configs build in mmdet's scope
@MODELS.register_module()
class OfficialAVARoIHead(AVARoIHead):
    """``AVARoIHead`` with the official detector's test protocol.

    Args:
        enlarge: Width and height growth of the pooled box (0.1, 0.05);
            the returned box is the proposal itself.
        score_by_detector: Multiply the action scores (columns 1..) by the
            proposal's person-detector score (``proposals.scores``, kept by
            ``PackAVAInputs``; 1 where a sample has none).
    """

    def __init__(self, *args, enlarge: Sequence[float] = (0.1, 0.05),
                 score_by_detector: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.enlarge, self.score_by_detector = tuple(enlarge), \
            score_by_detector

    def predict_bbox(self, x: Tuple[Tensor], batch_img_metas: List[dict],
                     rpn_results_list: list, rcnn_test_cfg) -> list:
        proposals = [res.bboxes for res in rpn_results_list]
        pooled = bbox2roi([
            enlarge_boxes(p, meta['img_shape'], self.enlarge)
            for p, meta in zip(proposals, batch_img_metas)])
        cls_scores = self._bbox_forward(x, pooled, batch_img_metas)[
            'cls_score']
        counts = tuple(len(p) for p in proposals)
        results = self.bbox_head.predict_by_feat(
            rois=bbox2roi(proposals).split(counts, 0),
            cls_scores=cls_scores.split(counts, 0),
            batch_img_metas=batch_img_metas, rcnn_test_cfg=rcnn_test_cfg)
        if self.score_by_detector:
            for res, rpn in zip(results, rpn_results_list):
                if 'scores' in rpn:
                    res.scores[:, 1:] *= rpn.scores.to(res.scores)[:, None]
        return results
