from .layer_decay import LayerDecayOptimWrapperConstructor
from .loops import CPUAmpTestLoop, CPUAmpValLoop
from .reliability import NonFiniteLossHook, RandomStateHook
from .wrappers import CPUAmpOptimWrapper, CPUDistributedDataParallel

__all__ = [
    'CPUAmpOptimWrapper', 'CPUDistributedDataParallel', 'CPUAmpTestLoop',
    'CPUAmpValLoop', 'LayerDecayOptimWrapperConstructor',
    'NonFiniteLossHook', 'RandomStateHook'
]
