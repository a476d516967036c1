from .ava import AVAFormatError, evaluate_files, frame_map

__all__ = ['AVAFormatError', 'evaluate_files', 'frame_map']
