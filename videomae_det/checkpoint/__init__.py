from .safe_load import UnsafeCheckpointError, load_checkpoint_file

__all__ = ['UnsafeCheckpointError', 'load_checkpoint_file']
