from .wrappers import CPUAmpOptimWrapper, CPUDistributedDataParallel

__all__ = ['CPUAmpOptimWrapper', 'CPUDistributedDataParallel']
