from .backbones import VideoMAE
from .data_preprocessor import MaskedVideoDataPreprocessor
from .pretrainer import VideoMAEPretrainer, patchify, unpatchify

__all__ = [
    'VideoMAE', 'MaskedVideoDataPreprocessor', 'VideoMAEPretrainer',
    'patchify', 'unpatchify'
]
