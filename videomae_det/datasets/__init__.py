from .ava_dataset import CheckedAVADataset
from .ava_kinetics import KineticsAVADataset
from .ava_video import AVAVideoDecode
from .contiguous_sampler import ContiguousSampler
from .official_ava import PackAVAInputs, SampleAVAFramesOffset
from .rand_augment import VideoRandAugment
from .seeded import SeededConcatDataset, SeededSampler
from .transforms import DecodeClips, MultiScaleCropResize
from .tube_dataset import TubeDataset
from .unlabelled_videos import UnlabelledVideoDataset
from .video_list import CheckedVideoDataset, VideoListError

__all__ = [
    'AVAVideoDecode', 'CheckedAVADataset', 'CheckedVideoDataset',
    'ContiguousSampler',
    'DecodeClips', 'KineticsAVADataset', 'MultiScaleCropResize',
    'PackAVAInputs', 'SampleAVAFramesOffset', 'SeededConcatDataset',
    'SeededSampler', 'TubeDataset',
    'UnlabelledVideoDataset', 'VideoListError', 'VideoRandAugment'
]
