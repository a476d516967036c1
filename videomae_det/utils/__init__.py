from videomae_det_core.sample_videos import sample_videos

from .files import set_default_mode

__all__ = ['sample_videos', 'set_default_mode']
