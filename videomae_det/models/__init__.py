from .backbones import VideoMAE
from .data_preprocessor import MaskedVideoDataPreprocessor
from .pretrainer import VideoMAEPretrainer, patchify, unpatchify
from .roi_heads import BBoxHeadTube

__all__ = [
    'BBoxHeadTube', 'VideoMAE', 'MaskedVideoDataPreprocessor',
    'VideoMAEPretrainer', 'patchify', 'unpatchify'
]
