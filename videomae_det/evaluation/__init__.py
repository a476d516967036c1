from .ava import AVAFormatError, evaluate_files, frame_map
from .dump import OrderedDumpResults
from .tubes import TubeMAP

__all__ = [
    'AVAFormatError', 'OrderedDumpResults', 'TubeMAP', 'evaluate_files',
    'frame_map'
]
