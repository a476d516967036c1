from .transforms import DecodeClips, MultiScaleCropResize
from .unlabelled_videos import UnlabelledVideoDataset

__all__ = ['DecodeClips', 'MultiScaleCropResize', 'UnlabelledVideoDataset']
