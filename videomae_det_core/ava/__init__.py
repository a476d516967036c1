"""AVA files (CSV rows, label maps, exclusions) and frame-mAP @ 0.5 IoU by
the official ActivityNet rules."""
from .evaluate import evaluate, evaluate_files
from .frame_map import (
    average_precision,
    chance_map,
    frame_map,
    true_positives,
)
from .io import (
    AVABoxes,
    AVAFormatError,
    group_rows,
    image_key,
    read_csv,
    read_exclusions,
    read_label_map,
)

__all__ = [
    'AVABoxes', 'AVAFormatError', 'average_precision', 'chance_map',
    'frame_map', 'group_rows', 'image_key', 'read_csv', 'read_exclusions',
    'read_label_map', 'true_positives', 'evaluate', 'evaluate_files'
]
