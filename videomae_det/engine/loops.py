"""Test and validation loops for bf16 autocast on the CPU.

mmengine's loops autocast the whole ``test_step`` when ``fp16=True``; on a
CPU that is bf16, and the metrics' ``tensor.numpy()`` has no bfloat16. These
loops keep the RoI extractor and heads in float32 (:mod:`.precision`) and
cast predictions back to float32 before the evaluator sees them.
"""
from mmengine.registry import LOOPS
from mmengine.runner import TestLoop, ValLoop

from .precision import keep_fp32, to_float32


class _Float32Predictions:
    """Mixin: wrap the evaluator so it receives float32 predictions."""

    def _cast_predictions(self) -> None:
        keep_fp32(self.runner.model)
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
