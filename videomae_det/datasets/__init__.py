from .ava_video import AVAVideoDecode
from .transforms import DecodeClips, MultiScaleCropResize
from .unlabelled_videos import UnlabelledVideoDataset

__all__ = [
    'AVAVideoDecode', 'DecodeClips', 'MultiScaleCropResize',
    'UnlabelledVideoDataset'
]
