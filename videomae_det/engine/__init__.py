from .compile import CompileWarmupHook, compile_backbone
from .fsdp import (
    CheckedFSDPStrategy,
    DeviceFullyShardedDataParallel,
    vit_block_wrap_policy,
)
from .layer_decay import LayerDecayOptimWrapperConstructor
from .loops import CPUAmpTestLoop, CPUAmpValLoop
from .reliability import NonFiniteLossHook, RandomStateHook
from .runner import CheckedRunner
from .wrappers import CPUAmpOptimWrapper, CPUDistributedDataParallel

__all__ = [
    'CheckedFSDPStrategy', 'CheckedRunner', 'CompileWarmupHook',
    'compile_backbone', 'CPUAmpOptimWrapper',
    'DeviceFullyShardedDataParallel', 'vit_block_wrap_policy',
    'CPUDistributedDataParallel',
    'CPUAmpTestLoop',
    'CPUAmpValLoop', 'LayerDecayOptimWrapperConstructor',
    'NonFiniteLossHook', 'RandomStateHook'
]
