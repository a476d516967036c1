from .ava_dataset import CheckedAVADataset
from .ava_video import AVAVideoDecode
from .rand_augment import VideoRandAugment
from .seeded import SeededSampler
from .transforms import DecodeClips, MultiScaleCropResize
from .tube_dataset import TubeDataset
from .unlabelled_videos import UnlabelledVideoDataset
from .video_list import CheckedVideoDataset, VideoListError

__all__ = [
    'AVAVideoDecode', 'CheckedAVADataset', 'CheckedVideoDataset',
    'DecodeClips', 'MultiScaleCropResize', 'SeededSampler',
    'TubeDataset', 'UnlabelledVideoDataset', 'VideoListError',
    'VideoRandAugment'
]
