from .ava import AVAFormatError, evaluate_files, frame_map
from .tubes import TubeMAP

__all__ = ['AVAFormatError', 'TubeMAP', 'evaluate_files', 'frame_map']
