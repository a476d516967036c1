"""Sharded training (FSDP) through mmengine's ``FlexibleRunner``.

A config says ``runner_type = 'FlexibleRunner'`` and
``strategy = dict(type='CheckedFSDPStrategy', ...)`` (see
``configs/_base_/fsdp.py``); each GPU then holds 1/N of the parameters,
gradients and AdamW state instead of all of them (DDP).

``CheckedFSDPStrategy`` is mmengine 0.10.7's ``FSDPStrategy`` with what it
gets wrong under torch 2.13 put right (each has a test in
``tests/test_fsdp.py``):

1. It builds the optimizer from the wrapped model, whose parameters are
   flat 1-D shards (some empty), so name- and shape-based rules (layer
   decay, no weight decay on 1-D parameters) see the wrong shapes; its
   rebuild path then fails on AdamW's ``decoupled_weight_decay``. We build
   the optimizer on the unwrapped model: with ``use_orig_params=True`` FSDP
   keeps the same ``Parameter`` objects, so the groups stay exactly those
   of a DDP run.
2. Gradient clipping goes through ``FSDP.clip_grad_norm_`` (torch's
   ``clip_grad_norm_`` would see only this rank's shards).
3. Resuming calls ``FSDP.optim_state_dict_to_load`` with the argument order
   of torch < 2.1; sharded state-dict configs are not registered; a
   non-full checkpoint is written twice by rank 0.
4. Sharded checkpoint files go through our safe loader too, with torch's
   sharded-tensor metadata classes allowed (they hold no code).
5. Without CUDA: gloo, ``device_id=cpu``, no ``torch.cuda.set_device``, and
   full state dicts gathered without CPU offload (which crashes there).
"""
import contextlib
import copy
import os.path as osp
from typing import Optional, Union
from unittest import mock

import torch
import torch.nn as nn
from mmengine._strategy import FSDPStrategy
from mmengine._strategy import fsdp as mm_fsdp
from mmengine.dist import get_rank
from mmengine.model.wrappers import MMFullyShardedDataParallel
from mmengine.optim import build_optim_wrapper
from mmengine.registry import FUNCTIONS, MODEL_WRAPPERS, STRATEGIES
from torch.distributed._shard.sharded_tensor import ShardedTensor
from torch.distributed.fsdp import FullyShardedDataParallel as FSDP
from torch.distributed.fsdp import (
    ShardedOptimStateDictConfig,
    ShardedStateDictConfig,
)
from torch.nn.modules.batchnorm import _BatchNorm

from ..checkpoint.safe_load import NESTED_CLASSES
from ..models.backbones.videomae import Block
from .precision import fp32_submodules, keep_fp32

for _cfg in (ShardedStateDictConfig, ShardedOptimStateDictConfig):
    if _cfg.__name__ not in mm_fsdp.FSDP_CONFIGS:
        mm_fsdp.FSDP_CONFIGS.register_module(module=_cfg)


@FUNCTIONS.register_module()
def vit_block_wrap_policy(module: nn.Module, recurse: bool,
                          nonwrapped_numel: int) -> bool:
    """FSDP auto-wrap policy: one FSDP unit per transformer block (encoder
    and decoder), everything else in the root unit."""
    return True if recurse else isinstance(module, Block)


@MODEL_WRAPPERS.register_module()
class DeviceFullyShardedDataParallel(MMFullyShardedDataParallel):
    """mmengine's FSDP wrapper, on the CPU too (there ``device_id`` is the
    CPU; mmengine passes the local rank, a CUDA index), with the fp32
    islands of ``--amp`` (:data:`~videomae_det.engine.precision.
    FP32_MODULES`: the RoI extractor, whose RoIAlign has no bf16 kernel,
    and the heads) kept fp32 under a bf16/fp16 ``mixed_precision``: FSDP
    leaves their parameters fp32 and their inputs are cast to fp32."""

    def __init__(self, module: nn.Module, device_id=None,
                 mixed_precision: Optional[dict] = None, **kwargs) -> None:
        if not torch.cuda.is_available():
            device_id = torch.device('cpu')
        if isinstance(mixed_precision, dict) and mixed_precision.get(
                'param_dtype') not in (None, 'float32', torch.float32):
            islands = fp32_submodules(module)
            keep_fp32(module)
            mixed_precision = dict(mixed_precision)
            mixed_precision['_module_classes_to_ignore'] = tuple(
                {type(m) for m in islands}) + tuple(mixed_precision.get(
                    '_module_classes_to_ignore', (_BatchNorm, )))
        super().__init__(module=module, device_id=device_id,
                         mixed_precision=mixed_precision, **kwargs)


def _full_cfg(offload: bool) -> dict:
    return dict(
        state_dict_type='FULL_STATE_DICT',
        state_dict_config=dict(type='FullStateDictConfig', rank0_only=True,
                               offload_to_cpu=offload),
        optim_state_dict_config=dict(type='FullOptimStateDictConfig',
                                     rank0_only=True, offload_to_cpu=offload))


SHARDED = dict(
    state_dict_type='SHARDED_STATE_DICT',
    state_dict_config=dict(type='ShardedStateDictConfig'),
    optim_state_dict_config=dict(type='ShardedOptimStateDictConfig'))


def sharded_tensor_globals() -> list:
    """The classes a sharded checkpoint pickles besides tensors: torch's
    sharded-tensor metadata and sharding specs (data classes and enums that
    run no code)."""
    from torch.distributed._shard.metadata import ShardMetadata
    from torch.distributed._shard.sharded_tensor import (
        Shard,
        ShardedTensorMetadata,
    )
    from torch.distributed._shard.sharded_tensor.metadata import (
        MEM_FORMAT_ENCODING,
        TensorProperties,
    )
    from torch.distributed._shard.sharding_spec import (
        ChunkShardingSpec,
        EnumerableShardingSpec,
    )
    from torch.distributed.remote_device import _remote_device
    return [ShardedTensor, ShardedTensor.ProcessGroupState, Shard,
            ShardMetadata, ShardedTensorMetadata, TensorProperties,
            MEM_FORMAT_ENCODING, ChunkShardingSpec, EnumerableShardingSpec,
            _remote_device, torch.device]


# a sharded tensor pickles its process-group record by name
NESTED_CLASSES.setdefault(ShardedTensor, set()).add('ProcessGroupState')


@STRATEGIES.register_module()
class CheckedFSDPStrategy(FSDPStrategy):
    """mmengine's ``FSDPStrategy``, put right (module docstring).

    Args:
        state_dict_cfg: ``'full'`` (one consolidated file, gathered on rank
            0: readable by every tool), ``'sharded'`` (a folder of one file
            per rank, each with its shards: fast and small, resumable on the
            same number of ranks), ``'local'`` or mmengine's dict form.
        model_wrapper: As mmengine's; the wrapper defaults to
            ``DeviceFullyShardedDataParallel`` and ``use_orig_params`` to
            True (required: per-parameter lr and weight decay).
    """

    def __init__(self, *, model_wrapper: Optional[dict] = None,
                 state_dict_cfg: Union[str, dict] = 'full',
                 **kwargs) -> None:
        if state_dict_cfg == 'full':
            state_dict_cfg = _full_cfg(offload=torch.cuda.is_available())
        elif state_dict_cfg == 'sharded':
            state_dict_cfg = copy.deepcopy(SHARDED)
        model_wrapper = dict(model_wrapper or {})
        model_wrapper.setdefault('type', 'DeviceFullyShardedDataParallel')
        if not model_wrapper.setdefault('use_orig_params', True):
            raise ValueError(
                'strategy.model_wrapper.use_orig_params=False flattens the '
                'parameters, so per-parameter lr and weight decay (layer '
                'decay, no decay on norms and biases) cannot hold')
        super().__init__(model_wrapper=model_wrapper,
                         state_dict_cfg=state_dict_cfg, **kwargs)

    def _setup_distributed(self, launcher: str = 'pytorch',
                           backend: str = 'nccl', **kwargs) -> None:
        if torch.cuda.is_available():
            return super()._setup_distributed(launcher, backend, **kwargs)
        with mock.patch('torch.cuda.set_device', lambda *_: None):
            super()._setup_distributed(launcher, 'gloo', **kwargs)

    def prepare(self, model, *, optim_wrapper=None, **kwargs):
        if not self._prepared and isinstance(optim_wrapper, dict):
            # the groups of the unwrapped model (fix 1)
            model = self.build_model(model)
            optim_wrapper = build_optim_wrapper(model,
                                                copy.deepcopy(optim_wrapper))
            self._built_optim_wrapper = optim_wrapper
        return super().prepare(model, optim_wrapper=optim_wrapper, **kwargs)

    def build_optim_wrapper(self, optim_wrapper, model=None):
        if optim_wrapper is getattr(self, '_built_optim_wrapper', None):
            wrapper = optim_wrapper
        else:
            wrapper = super().build_optim_wrapper(optim_wrapper, model)
        if getattr(wrapper, 'clip_func', None) is \
                torch.nn.utils.clip_grad_norm_:  # fix 2
            wrapper.clip_func = self._clip_sharded
        return wrapper

    def _clip_sharded(self, params, **kwargs) -> torch.Tensor:
        return self.model.clip_grad_norm_(**kwargs)

    def load_optim_state_dict(self, state_dict: dict) -> None:
        self.optim_wrapper.load_state_dict(FSDP.optim_state_dict_to_load(
            self.model, self.optim_wrapper.optimizer, state_dict))

    def save_checkpoint(self, filename: str, **kwargs) -> None:
        if self._is_full_state_dict():
            return super().save_checkpoint(filename, **kwargs)
        # each rank writes its own file; not rank 0's a second time
        with mock.patch.object(mm_fsdp, 'is_main_process', lambda: False):
            super().save_checkpoint(filename, **kwargs)

    def resume(self, filename: str, **kwargs) -> dict:
        with self._reading(filename):
            return super().resume(filename, **kwargs)

    def load_checkpoint(self, filename: str, **kwargs) -> dict:
        with self._reading(filename):
            return super().load_checkpoint(filename, **kwargs)

    @contextlib.contextmanager
    def _reading(self, filename: str):
        """Read ``filename`` in its own form, whatever this run saves: a
        file is a full checkpoint, a folder one file per rank (sharded
        tensors then allowed to the safe loader)."""
        saved = self._state_dict_cfgs()
        if osp.isdir(filename):
            if not osp.isfile(osp.join(filename, f'rank{get_rank()}.pth')):
                raise FileNotFoundError(
                    f'{filename}: no rank{get_rank()}.pth in this sharded '
                    'checkpoint: resume it on as many ranks as saved it')
            if self._is_full_state_dict():
                self._init_state_dict_cfg(copy.deepcopy(SHARDED))
            allowed = sharded_tensor_globals()
        else:
            if not self._is_full_state_dict():
                self._init_state_dict_cfg(
                    _full_cfg(offload=torch.cuda.is_available()))
            allowed = []
        switched = saved[0] != self.state_dict_type
        model = getattr(self, 'model', None)  # set by prepare()
        if switched and model is not None:
            FSDP.set_state_dict_type(model, *self._state_dict_cfgs())
        try:
            with torch.serialization.safe_globals(allowed):
                yield
        finally:
            if switched:
                (self.state_dict_type, self.state_dict_config,
                 self.optim_state_dict_config) = saved
                if model is not None:
                    FSDP.set_state_dict_type(model,
                                             *self._state_dict_cfgs())

    def _state_dict_cfgs(self) -> tuple:
        return (self.state_dict_type, self.state_dict_config,
                self.optim_state_dict_config)


# bytes per parameter of fp32 weights, gradients and AdamW's two moments
STATE_BYTES = dict(weights=4, gradients=4, adamw=8)


def memory_table(gpus: int = 8) -> str:
    """README's table: per-GPU memory of the training state (weights,
    gradients, AdamW moments; fp32, as mixed precision keeps them) under DDP
    (all of it on every GPU) and under FSDP over ``gpus`` GPUs (1/gpus of
    it, plus one unsharded block at a time), activations not included."""
    from ..models.backbones.videomae import VideoMAE
    rows = [
        '| backbone | parameters | DDP: weights / gradients / AdamW = total '
        f'per GPU | FSDP on {gpus} GPUs, per GPU |', '|---|---|---|---|']
    for name, arch, patch in (('ViT-B', 'base', 16), ('ViT-L', 'large', 16),
                              ('ViT-H', 'huge', 16), ('ViT-g', 'giant', 14)):
        with torch.device('meta'):  # counts without allocating
            model = VideoMAE(arch=arch, patch_size=patch)
        count = sum(p.numel() for p in model.parameters())
        parts = [count * b / 1e9 for b in STATE_BYTES.values()]
        rows.append(
            f'| {name} | {count / 1e6:.1f}M | '
            f'{" / ".join(f"{v:.2f}" for v in parts)} = '
            f'{sum(parts):.2f} GB | {sum(parts) / gpus:.2f} GB |')
    return '\n'.join(rows)
