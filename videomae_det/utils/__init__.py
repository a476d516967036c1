from .sample_videos import sample_videos

__all__ = ['sample_videos']
