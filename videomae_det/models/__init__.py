from .backbones import VideoMAE
from .data_preprocessor import MaskedVideoDataPreprocessor
from .official_ava import OfficialAVARoIHead, PaddedActionDataPreprocessor
from .pretrainer import VideoMAEPretrainer, patchify, unpatchify
from .roi_heads import BBoxHeadTube

__all__ = [
    'BBoxHeadTube', 'MaskedVideoDataPreprocessor', 'OfficialAVARoIHead',
    'PaddedActionDataPreprocessor', 'VideoMAE', 'VideoMAEPretrainer',
    'patchify', 'unpatchify'
]
