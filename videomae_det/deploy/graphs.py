"""The models as plain tensor functions, ready for ``torch.onnx.export``.

Each graph takes what the data preprocessor outputs (mean and std applied)
and returns scores, as mmaction2's ``export_onnx_stdet.py`` does for its
detectors:

- :class:`DetectorGraph`: ``clip (B, 3, T, H, W)``, ``rois (K, 5)`` (batch
  index, x1, y1, x2, y2 in input pixels, as mmcv's RoIAlign takes them) ->
  ``(K, num_classes)`` probabilities, background column first.
- :class:`RecognizerGraph`: ``clip (B, 3, T, H, W)`` -> ``(B, num_classes)``,
  one view per clip (probabilities where the head averages probabilities).
- :class:`BackboneGraph`: ``clip`` -> the backbone's output.

mmcv's RoIAlign is a compiled op the exporter cannot see through; during
export it becomes the custom op ``videomae_det::roi_align`` (same kernel in
PyTorch), which :func:`roi_align_onnx` writes as ONNX's ``RoiAlign``. The
head's adaptive pools do not export, so :class:`DetectorGraph` pools with
``mean``/``amax``, which is what they compute for a fixed output of 1.

The detector's graph stops at opset 21 (see :mod:`.export`), below ONNX's
``Attention``; with ``fused_attention`` each backbone attention is written
as onnxruntime's ``com.microsoft.MultiHeadAttention`` on ``(B, N, D)``
queries, keys and values (its CPU flash kernel, no head transposes) through
the custom op ``videomae_det::mha``.
"""
import contextlib
import copy

import torch
import torch.nn.functional as F
from torch import Tensor, nn

ROI_ALIGN = 'videomae_det::roi_align'
MHA = 'videomae_det::mha'


@torch.library.custom_op(ROI_ALIGN, mutates_args=())
def roi_align(x: Tensor, rois: Tensor, output_height: int,
              output_width: int, spatial_scale: float, sampling_ratio: int,
              aligned: bool) -> Tensor:
    """mmcv's average RoIAlign: ``x (B, C, H, W)``, ``rois (K, 5)`` ->
    ``(K, C, output_height, output_width)``."""
    from mmcv.ops import roi_align as mmcv_roi_align
    return mmcv_roi_align(x, rois, (output_height, output_width),
                          spatial_scale, sampling_ratio, 'avg', aligned)


@roi_align.register_fake
def _roi_align_shape(x, rois, output_height, output_width, spatial_scale,
                     sampling_ratio, aligned):
    return x.new_empty(rois.shape[0], x.shape[1], output_height,
                       output_width)


def roi_align_onnx(x, rois, output_height: int, output_width: int,
                   spatial_scale: float, sampling_ratio: int,
                   aligned: bool):
    """ONNX ``RoiAlign`` (opset 16 semantics) for :func:`roi_align`: mmcv's
    ``aligned=True`` is ONNX's ``half_pixel`` (coordinates shifted by half a
    pixel, boxes not clamped to 1 pixel), ``aligned=False`` its
    ``output_half_pixel``."""
    from onnxscript import INT64
    from onnxscript import opset18 as op
    index = op.Cast(op.Gather(rois, op.Constant(value_int=0), axis=1),
                    to=INT64.dtype)
    boxes = op.Slice(rois, op.Constant(value_ints=[1]),
                     op.Constant(value_ints=[5]), op.Constant(value_ints=[1]))
    return op.RoiAlign(
        x, boxes, index, mode='avg', output_height=output_height,
        output_width=output_width, sampling_ratio=sampling_ratio,
        spatial_scale=spatial_scale,
        coordinate_transformation_mode='half_pixel' if aligned else
        'output_half_pixel')


@torch.library.custom_op(MHA, mutates_args=())
def mha(q: Tensor, k: Tensor, v: Tensor, num_heads: int) -> Tensor:
    """Softmax attention of ``(B, N, D)`` queries, keys and values in
    ``num_heads`` heads (scale ``(D / heads) ** -0.5``) -> ``(B, N, D)``."""
    def heads(x):  # (B, heads, N, D / heads)
        return x.unflatten(-1, (num_heads, -1)).transpose(1, 2)

    out = F.scaled_dot_product_attention(heads(q), heads(k), heads(v))
    return out.transpose(1, 2).flatten(2)


@mha.register_fake
def _mha_shape(q, k, v, num_heads):
    return torch.empty_like(q)


def _mha_schema():
    """The part of onnxruntime's ``com.microsoft.MultiHeadAttention`` (v1)
    :func:`mha_onnx` writes, registered with onnx (which has none) for
    onnxscript and the checker."""
    from onnx import defs
    if not defs.has('MultiHeadAttention', 'com.microsoft'):
        param = defs.OpSchema.FormalParameter
        defs.register_schema(defs.OpSchema(
            'MultiHeadAttention', 'com.microsoft', 1,
            inputs=[param(n, 'T') for n in ('query', 'key', 'value')],
            outputs=[param('output', 'T')],
            type_constraints=[('T', ['tensor(float)', 'tensor(float16)'],
                               '')],
            attributes=[defs.OpSchema.Attribute(
                'num_heads', defs.OpSchema.AttrType.INT, 'heads')]))


def mha_onnx(q, k, v, num_heads: int):
    """onnxruntime's ``MultiHeadAttention`` for :func:`mha`."""
    from onnxscript.values import Opset
    _mha_schema()
    return Opset('com.microsoft', 1).MultiHeadAttention(
        q, k, v, num_heads=num_heads)


def translation_table() -> dict:
    """``custom_translation_table`` for ``torch.onnx.export``."""
    return {torch.ops.videomae_det.roi_align.default: roi_align_onnx,
            torch.ops.videomae_det.mha.default: mha_onnx}


class FusedAttention(nn.Module):
    """A backbone ``Attention`` through :func:`mha` (same weights); token
    dropout's ranking call (with ``query_weight``) stays the original."""

    def __init__(self, attn: nn.Module) -> None:
        super().__init__()
        self.attn = attn

    def forward(self, x: Tensor, query_weight=None):
        if query_weight is not None:
            return self.attn(x, query_weight)
        q, k, v = self.attn.qkv_proj(x).chunk(3, -1)
        return self.attn.proj(mha(q, k, v, self.attn.num_heads))


@contextlib.contextmanager
def fused_attention(model: nn.Module):
    """Within the block, every VideoMAE ``Attention`` of ``model`` is a
    :class:`FusedAttention`; the model is restored on exit."""
    from ..models.backbones.videomae import Attention
    swapped = [(parent, name, child) for parent in model.modules()
               for name, child in parent.named_children()
               if type(child) is Attention]
    for parent, name, child in swapped:
        setattr(parent, name, FusedAttention(child))
    try:
        yield len(swapped)
    finally:
        for parent, name, child in swapped:
            setattr(parent, name, child)


class RoIAlignOp(nn.Module):
    """mmcv's ``RoIAlign`` module, through :func:`roi_align`."""

    def __init__(self, layer: nn.Module) -> None:
        super().__init__()
        if getattr(layer, 'pool_mode', 'avg') != 'avg':
            raise ValueError('ONNX export needs RoIAlign with pool_mode='
                             f"'avg', got {layer.pool_mode!r}")
        self.output_size = tuple(layer.output_size)
        self.spatial_scale = float(layer.spatial_scale)
        self.sampling_ratio = int(layer.sampling_ratio)
        self.aligned = bool(layer.aligned)

    def forward(self, x: Tensor, rois: Tensor) -> Tensor:
        return roi_align(x, rois, *self.output_size, self.spatial_scale,
                         self.sampling_ratio, self.aligned)


def head_activation(scores: Tensor, kind: str) -> Tensor:
    """``'sigmoid'``, ``'softmax'`` (over the last dim) or ``'none'``."""
    if kind == 'sigmoid':
        return scores.sigmoid()
    if kind == 'softmax':
        return scores.softmax(-1)
    return scores


def no_neck(model: nn.Module) -> None:
    if getattr(model, 'with_neck', False):
        raise ValueError('ONNX export of a model with a neck is not '
                         'supported (the VideoMAE configs have none)')


class DetectorGraph(nn.Module):
    """An mmaction2 ``FastRCNN`` + ``AVARoIHead`` detector:
    ``(clip (B, 3, T, H, W), rois (K, 5))`` -> ``(K, num_classes)``."""

    def __init__(self, detector: nn.Module) -> None:
        super().__init__()
        roi_head = detector.roi_head
        if getattr(roi_head, 'with_shared_head', False):
            raise ValueError('ONNX export of an RoI head with a shared head '
                             '(e.g. ACRN) is not supported')
        head = roi_head.bbox_head
        no_neck(detector)
        self.backbone = detector.backbone
        # a copy, so that the model itself keeps mmcv's RoIAlign
        self.extractor = copy.deepcopy(roi_head.bbox_roi_extractor)
        self.extractor.roi_layer = RoIAlignOp(self.extractor.roi_layer)
        self.fc_cls = head.fc_cls
        self.temporal_pool = head.temporal_pool_type
        self.spatial_pool = head.spatial_pool_type
        self.activation = 'sigmoid' if head.multilabel else 'softmax'

    @staticmethod
    def _pool(x: Tensor, kind: str, dims) -> Tensor:
        return x.mean(dims, keepdim=True) if kind == 'avg' else x.amax(
            dims, keepdim=True)

    def forward(self, clip: Tensor, rois: Tensor) -> Tensor:
        feats, _ = self.extractor(self.backbone(clip), rois)  # (K, C, T, h, w)
        feats = self._pool(feats, self.temporal_pool, 2)
        feats = self._pool(feats, self.spatial_pool, (3, 4))
        return head_activation(self.fc_cls(feats.flatten(1)),
                               self.activation)


def recognizer_activation(recognizer: nn.Module) -> str:
    """What the recognizer's head applies before averaging views."""
    average = getattr(recognizer.cls_head, 'average_clips', None)
    return {'prob': 'softmax', 'score': 'none',
            'sigmoid': 'sigmoid'}.get(average, 'none')


class RecognizerGraph(nn.Module):
    """An mmaction2 ``Recognizer3D``, one view per clip:
    ``clip (B, 3, T, H, W)`` -> ``(B, num_classes)``."""

    def __init__(self, recognizer: nn.Module) -> None:
        super().__init__()
        no_neck(recognizer)
        self.backbone = recognizer.backbone
        self.cls_head = recognizer.cls_head
        self.activation = recognizer_activation(recognizer)

    def forward(self, clip: Tensor) -> Tensor:
        return head_activation(self.cls_head(self.backbone(clip)),
                               self.activation)


class BackboneGraph(nn.Module):
    """The backbone alone: ``clip (B, 3, T, H, W)`` -> its ``out_type``."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.backbone = model.backbone

    def forward(self, clip: Tensor) -> Tensor:
        return self.backbone(clip)


GRAPHS = dict(detection=DetectorGraph, recognition=RecognizerGraph,
              backbone=BackboneGraph)
