"""Model and optimiser wrappers that let mmengine's Runner train on a CPU.

Upstream assumes CUDA for both: ``MMDistributedDataParallel`` is handed
``device_ids=[LOCAL_RANK]``, which DDP rejects for a CPU module, and
``AmpOptimWrapper`` asserts a GPU. On a GPU the tools keep the upstream
wrappers; these are chosen only when CUDA is absent (see
:func:`videomae_det.engine.runner_setup.adapt_to_device`).
"""
from contextlib import contextmanager
from typing import Sequence

import torch
from mmengine.model import MMDistributedDataParallel
from mmengine.optim import OptimWrapper
from mmengine.registry import MODEL_WRAPPERS, OPTIM_WRAPPERS

from .precision import FP32_MODULES, keep_fp32


@MODEL_WRAPPERS.register_module()
class CPUDistributedDataParallel(MMDistributedDataParallel):
    """``MMDistributedDataParallel`` for CPU processes (gloo): no device
    ids, gradients all-reduced exactly as on GPUs."""

    def __init__(self, module: torch.nn.Module, device_ids=None,
                 **kwargs) -> None:
        super().__init__(module=module, device_ids=None, **kwargs)


@OPTIM_WRAPPERS.register_module()
class CPUAmpOptimWrapper(OptimWrapper):
    """Mixed precision on the CPU: bf16 autocast in the forward pass.

    bf16 keeps fp32's exponent range, so no loss scaling is needed (unlike
    fp16 on GPUs, where ``AmpOptimWrapper`` scales the loss).

    Args:
        dtype: ``'bfloat16'`` (fast on AVX-512 BF16 CPUs) or ``'float16'``.
        fp32_modules: Sub-modules of the model (dotted names; absent ones
            are skipped) that run in float32: the heads, as AMP recipes
            keep them, and the RoI extractor (see :mod:`.precision`).
    """

    def __init__(self, dtype: str = 'bfloat16',
                 fp32_modules: Sequence[str] = FP32_MODULES,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.cast_dtype = getattr(torch, dtype)
        self.fp32_modules = tuple(fp32_modules)

    @contextmanager
    def optim_context(self, model: torch.nn.Module):
        keep_fp32(model, self.fp32_modules)
        with super().optim_context(model), torch.autocast(
                'cpu', dtype=self.cast_dtype):
            yield
