from .files import set_default_mode
from .sample_videos import sample_videos

__all__ = ['sample_videos', 'set_default_mode']
