from .layer_decay import LayerDecayOptimWrapperConstructor
from .loops import CPUAmpTestLoop, CPUAmpValLoop
from .reliability import NonFiniteLossHook, RandomStateHook
from .runner import CheckedRunner
from .wrappers import CPUAmpOptimWrapper, CPUDistributedDataParallel

__all__ = [
    'CheckedRunner', 'CPUAmpOptimWrapper', 'CPUDistributedDataParallel',
    'CPUAmpTestLoop',
    'CPUAmpValLoop', 'LayerDecayOptimWrapperConstructor',
    'NonFiniteLossHook', 'RandomStateHook'
]
