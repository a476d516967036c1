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

from .loops import to_float32


@MODEL_WRAPPERS.register_module()
class CPUDistributedDataParallel(MMDistributedDataParallel):
    """``MMDistributedDataParallel`` for CPU processes (gloo): no device
    ids, gradients all-reduced exactly as on GPUs."""

    def __init__(self, module: torch.nn.Module, device_ids=None,
                 **kwargs) -> None:
        super().__init__(module=module, device_ids=None, **kwargs)


def run_in_fp32(module: torch.nn.Module) -> None:
    """Run ``module``'s forward outside autocast, on float32 inputs.

    Heads are cheap, their losses and metrics want float32, and mmaction2's
    accuracy metrics call ``tensor.numpy()``, which has no bfloat16.
    """
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


@OPTIM_WRAPPERS.register_module()
class CPUAmpOptimWrapper(OptimWrapper):
    """Mixed precision on the CPU: bf16 autocast in the forward pass.

    bf16 keeps fp32's exponent range, so no loss scaling is needed (unlike
    fp16 on GPUs, where ``AmpOptimWrapper`` scales the loss).

    Args:
        dtype: ``'bfloat16'`` (fast on AVX-512 BF16 CPUs) or ``'float16'``.
        fp32_modules: Sub-modules of the model (dotted names; absent ones
            are skipped) that run in float32, as AMP recipes keep the heads.
    """

    def __init__(self, dtype: str = 'bfloat16',
                 fp32_modules: Sequence[str] = ('cls_head',
                                                'roi_head.bbox_head'),
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.cast_dtype = getattr(torch, dtype)
        self.fp32_modules = tuple(fp32_modules)

    @contextmanager
    def optim_context(self, model: torch.nn.Module):
        model = getattr(model, 'module', model)  # under DDP
        for name in self.fp32_modules:
            try:
                head = model.get_submodule(name)
            except AttributeError:
                continue
            if not getattr(head, '_fp32_forward', False):
                run_in_fp32(head)
        with super().optim_context(model), torch.autocast(
                'cpu', dtype=self.cast_dtype):
            yield
