from .layer_decay import LayerDecayOptimWrapperConstructor
from .loops import CPUAmpTestLoop, CPUAmpValLoop
from .wrappers import CPUAmpOptimWrapper, CPUDistributedDataParallel

__all__ = [
    'CPUAmpOptimWrapper', 'CPUDistributedDataParallel', 'CPUAmpTestLoop',
    'CPUAmpValLoop', 'LayerDecayOptimWrapperConstructor'
]
