"""float32 islands inside bf16 autocast on the CPU.

Under ``--amp`` the backbone runs in bf16, but some parts must not:

- mmcv's CPU ``RoIAlign`` has no bf16 kernel (``"ROIAlign_forward" not
  implemented for 'BFloat16'``), so the RoI extractor reads the bf16
  feature map as float32;
- heads are cheap, their losses and metrics want float32, and mmaction2's
  accuracy calls ``tensor.numpy()``, which has no bfloat16.

Training (:class:`~videomae_det.engine.CPUAmpOptimWrapper`), the bf16
test/val loops and the inference API apply the same list.
"""
from typing import Any, Sequence

import torch
from mmengine.structures import BaseDataElement

# dotted sub-module names; absent ones are skipped
FP32_MODULES = ('cls_head', 'roi_head.bbox_roi_extractor',
                'roi_head.bbox_head')


def to_float32(obj: Any) -> Any:
    """Cast bf16/fp16 tensors in (nested) data to float32, in place for
    data elements."""
    if isinstance(obj, torch.Tensor):
        return obj.float() if obj.dtype in (torch.bfloat16,
                                            torch.float16) else obj
    if isinstance(obj, BaseDataElement):
        for key in obj.keys():
            setattr(obj, key, to_float32(getattr(obj, key)))
        return obj
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_float32(o) for o in obj)
    if isinstance(obj, dict):
        return {k: to_float32(v) for k, v in obj.items()}
    return obj


def run_in_fp32(module: torch.nn.Module) -> None:
    """Run ``module``'s forward outside CPU autocast, on float32 inputs
    (once per module: a second call does nothing)."""
    if getattr(module, '_fp32_forward', False):
        return
    contexts = []

    def enter(mod, args, kwargs):
        contexts.append(torch.autocast('cpu', enabled=False))
        contexts[-1].__enter__()
        return to_float32(args), to_float32(kwargs)

    def leave(mod, args, output):
        contexts.pop().__exit__(None, None, None)

    module.register_forward_pre_hook(enter, with_kwargs=True)
    module.register_forward_hook(leave, always_call=True)
    module._fp32_forward = True


def fp32_submodules(model: torch.nn.Module,
                    names: Sequence[str] = FP32_MODULES) -> list:
    """``model``'s sub-modules ``names`` that exist (``model`` may be
    wrapped in DDP)."""
    model = getattr(model, 'module', model)
    found = []
    for name in names:
        try:
            found.append(model.get_submodule(name))
        except AttributeError:
            continue
    return found


def keep_fp32(model: torch.nn.Module,
              names: Sequence[str] = FP32_MODULES) -> None:
    """:func:`run_in_fp32` for each of ``model``'s sub-modules ``names``
    (``model`` may be wrapped in DDP)."""
    for module in fp32_submodules(model, names):
        run_in_fp32(module)
