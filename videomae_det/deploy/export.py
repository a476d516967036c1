"""Export a model to ONNX, check it in onnxruntime, optionally quantize it.

Opsets: 23 writes ``scaled_dot_product_attention`` as one ``Attention`` op
and LayerNorm as ``LayerNormalization``. The detector's graph stops at 21:
onnxruntime (1.32) implements ``RoiAlign`` only up to its opset-16
definition, and an ONNX model imports one version of the standard opset;
below 23, attention is written as onnxruntime's ``MultiHeadAttention``
contrib op (its CPU flash kernel; ``fused_attention=False``: the standard
MatMul-Softmax-MatMul, for other runtimes).

The token grid is fixed at export: the position table is resampled for the
exported ``T x H x W`` (as the PyTorch model does for that input) and
stored in the graph, so clips must have that size. The box count is always
dynamic, the batch with ``dynamic=True``.
"""
import contextlib
import json
import os
import os.path as osp
import time
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.config import Config
from torch import Tensor, nn

from videomae_det_core.errors import InputError

from .graphs import GRAPHS, head_activation, translation_table
from .graphs import fused_attention as fusing
from .runtime import META, OrtModel

OPSET = 23
ROI_OPSET = 21  # the newest opset whose RoiAlign onnxruntime runs
TOLERANCE = 1e-4  # max abs diff, fp32, ONNX vs PyTorch
# protobuf's 2 GB limit: bigger models keep their weights beside the graph
EXTERNAL_DATA_BYTES = 1_800_000_000


def load_model(config: Union[str, Config], checkpoint: Optional[str],
               device: str = 'cpu') -> Tuple[Config, nn.Module]:
    """Build the config's model in eval mode with the checkpoint's weights
    (any format the safe loader reads; ``None``: random weights)."""
    from mmaction.registry import MODELS
    from mmaction.utils import register_all_modules

    from ..checkpoint.load import load_weights
    cfg = Config.fromfile(config) if isinstance(config, str) else \
        config.copy()
    cfg.model.backbone.init_cfg = None  # the checkpoint has it all
    register_all_modules()
    model = MODELS.build(cfg.model)
    if checkpoint is not None:
        load_weights(model, checkpoint)
    return cfg, model.to(device).eval()


def task_of(model: nn.Module) -> str:
    if hasattr(model, 'roi_head'):
        return 'detection'
    if hasattr(model, 'cls_head'):
        return 'recognition'
    return 'backbone'


def default_shape(cfg: Config) -> Tuple[int, int, int]:
    """``(T, H, W)``: the backbone's ``num_frames`` and ``img_size``."""
    bb = cfg.model.backbone
    size = bb.get('img_size', 224)
    return bb.get('num_frames', 16), size, size


def sample_inputs(task: str, shape: Sequence[int], batch: int = 1,
                  num_rois: int = 3, seed: int = 0) -> Tuple[Tensor, ...]:
    """A normalised random clip ``(batch, 3, T, H, W)`` and, for detection,
    ``num_rois`` boxes ``(K, 5)`` inside the frame, spread over the batch."""
    g = torch.Generator().manual_seed(seed)
    T, H, W = shape
    clip = torch.randn(batch, 3, T, H, W, generator=g)
    if task != 'detection':
        return (clip,)
    size = torch.tensor([W, H, W, H], dtype=torch.float32)
    a, b = torch.rand(2, num_rois, 2, generator=g)
    xy1, xy2 = torch.minimum(a, b) * 0.9, torch.maximum(a, b) * 0.9 + 0.1
    boxes = torch.cat([xy1, xy2], 1) * size
    index = (torch.arange(num_rois) % batch).float()[:, None]
    return clip, torch.cat([index, boxes], 1)


def reference(model: nn.Module, task: str, inputs: Sequence[Tensor]
              ) -> Tensor:
    """The PyTorch model's own forward for what the graph computes (mmcv's
    RoIAlign and mmaction2's head for detection)."""
    with torch.no_grad():
        if task == 'detection':
            clip, rois = inputs
            feats = model.extract_feat(clip)
            score = model.roi_head._bbox_forward(feats, rois, [])['cls_score']
            return head_activation(score, 'sigmoid' if
                                   model.roi_head.bbox_head.multilabel else
                                   'softmax')
        if task == 'recognition':
            feats = model.extract_feat(inputs[0][:, None], test_mode=True)
            head = model.cls_head  # its own view averaging, of one view
            return head.average_clip(head(feats[0]), num_segs=1)
        return model.backbone(inputs[0])


def _names(task: str) -> Tuple[List[str], List[str]]:
    inputs = ['clip', 'rois'] if task == 'detection' else ['clip']
    return inputs, ['features' if task == 'backbone' else 'scores']


def export(model: nn.Module, out: str, task: Optional[str] = None,
           shape: Optional[Sequence[int]] = None, dynamic: bool = False,
           opset: Optional[int] = None, config_name: str = '',
           fused_attention: bool = True) -> Dict:
    """Write ``model`` as one ONNX graph to ``out`` and check it.

    Returns:
        dict: ``task``, ``opset``, ``shape``, ``dynamic``, ``seconds``,
        ``external_data``, ``attention`` (the op attention became).
    """
    import onnx
    from torch.export import Dim
    task = task or task_of(model)
    if task not in GRAPHS:
        raise ValueError(f'task must be one of {sorted(GRAPHS)}, got {task}')
    if task != task_of(model) and task != 'backbone':
        raise InputError(f'--task {task} does not fit the config\'s model '
                         f'({type(model).__name__}, a {task_of(model)} '
                         'model)')
    graph = GRAPHS[task](model).eval()
    shape = tuple(shape)
    # dynamic dims need an example other than 1 (torch.export specialises 1)
    inputs = sample_inputs(task, shape, batch=2 if dynamic else 1)
    in_names, out_names = _names(task)
    # the box count is always dynamic; the batch with ``dynamic``
    dynamic_shapes = {'clip': {0: Dim('batch')} if dynamic else {}}
    if task == 'detection':
        dynamic_shapes['rois'] = {0: Dim('rois')}
    opset = opset or (ROI_OPSET if task == 'detection' else OPSET)
    big = sum(p.numel() * p.element_size() for p in graph.parameters()) > \
        EXTERNAL_DATA_BYTES
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    num_classes = 0 if task == 'backbone' else int(
        reference(model, task, inputs).shape[-1])
    start = time.perf_counter()
    fuse = fused_attention and opset < 23  # from 23 ONNX has Attention
    with torch.no_grad(), (fusing(graph) if fuse else
                           contextlib.nullcontext()) as fused:
        program = torch.onnx.export(
            graph, inputs, input_names=in_names, output_names=out_names,
            dynamic_shapes=dynamic_shapes, opset_version=opset,
            custom_translation_table=translation_table(), dynamo=True,
            optimize=True, verbose=False)
    meta = dict(task=task, clip_shape=json.dumps([3, *shape]),
                dynamic=json.dumps(dynamic), config=config_name,
                num_classes=str(num_classes),
                attention=_attention_op(fused, opset))
    program.model.metadata_props.update(
        {META + k: v for k, v in meta.items()})
    program.save(out, external_data=big)
    onnx.checker.check_model(out)
    return dict(task=task, opset=opset, shape=shape, dynamic=dynamic,
                external_data=big, seconds=time.perf_counter() - start,
                attention=meta['attention'])


def _attention_op(fused: Optional[int], opset: int) -> str:
    """``fused``: the attention modules swapped for the contrib op."""
    if fused:
        return 'com.microsoft.MultiHeadAttention'
    return 'Attention' if opset >= 23 else 'MatMul-Softmax-MatMul'


def verify(model: nn.Module, onnx_file: str, task: str,
           shape: Sequence[int], dynamic: bool = False) -> float:
    """Max abs difference between onnxruntime and PyTorch on random
    inputs: batch 1 with 3, 1 and 7 boxes, and with ``dynamic`` also batch
    2 and 3."""
    session = OrtModel(onnx_file)
    sizes = [(1, 3), (1, 1), (1, 7)] if task == 'detection' else [(1, 3)]
    sizes += [(2, 1), (3, 7)] if dynamic else []
    worst = 0.
    for seed, (batch, rois) in enumerate(sizes):
        inputs = sample_inputs(task, shape, batch, rois, seed=seed + 1)
        ours = session(*inputs)
        theirs = reference(model, task, inputs)
        worst = max(worst, float((ours - theirs).abs().max()))
    return worst


def quantize(onnx_file: str, out: str) -> str:
    """onnxruntime's dynamic int8 quantization of the linear layers
    (MatMul / Gemm weights int8, activations quantized per call)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic
    quantize_dynamic(onnx_file, out, op_types_to_quantize=['MatMul', 'Gemm'],
                     weight_type=QuantType.QInt8)
    return out
