"""Test and validation loops for bf16 autocast on the CPU.

mmengine's loops autocast the whole ``test_step`` when ``fp16=True``; on a
CPU that is bf16, and the metrics' ``tensor.numpy()`` has no bfloat16. These
loops cast predictions back to float32 before the evaluator sees them.
"""
from typing import Any

import torch
from mmengine.registry import LOOPS
from mmengine.runner import TestLoop, ValLoop
from mmengine.structures import BaseDataElement


def to_float32(obj: Any) -> Any:
    """Cast bf16 tensors in (nested) predictions to float32, in place for
    data elements."""
    if isinstance(obj, torch.Tensor):
        return obj.float() if obj.dtype == torch.bfloat16 else obj
    if isinstance(obj, BaseDataElement):
        for key in obj.keys():
            setattr(obj, key, to_float32(getattr(obj, key)))
        return obj
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_float32(o) for o in obj)
    if isinstance(obj, dict):
        return {k: to_float32(v) for k, v in obj.items()}
    return obj


class _Float32Predictions:
    """Mixin: wrap the evaluator so it receives float32 predictions."""

    def _cast_predictions(self) -> None:
        process = self.evaluator.process

        def process_float32(data_samples, data_batch=None):
            return process(to_float32(data_samples), data_batch)

        self.evaluator.process = process_float32


@LOOPS.register_module()
class CPUAmpTestLoop(_Float32Predictions, TestLoop):
    """``TestLoop`` with bf16 autocast on the CPU."""

    def __init__(self, runner, dataloader, evaluator, fp16: bool = True):
        super().__init__(runner, dataloader, evaluator, fp16=fp16)
        self._cast_predictions()


@LOOPS.register_module()
class CPUAmpValLoop(_Float32Predictions, ValLoop):
    """``ValLoop`` with bf16 autocast on the CPU."""

    def __init__(self, runner, dataloader, evaluator, fp16: bool = True):
        super().__init__(runner, dataloader, evaluator, fp16=fp16)
        self._cast_predictions()
