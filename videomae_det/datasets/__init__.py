from .ava_video import AVAVideoDecode
from .rand_augment import VideoRandAugment
from .transforms import DecodeClips, MultiScaleCropResize
from .unlabelled_videos import UnlabelledVideoDataset
from .video_list import CheckedVideoDataset, VideoListError

__all__ = [
    'AVAVideoDecode', 'CheckedVideoDataset', 'DecodeClips',
    'MultiScaleCropResize', 'UnlabelledVideoDataset', 'VideoListError',
    'VideoRandAugment'
]
