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
    'frame_map',
    'group_rows', 'image_key', 'read_csv', 'read_exclusions', 'read_label_map',
    'true_positives', 'evaluate_files', 'AVAFrameMAP'
]


def evaluate_files(detections: str, gt: str, labels: str,
                   exclusions: str = None, chance_draws: int = 0) -> dict:
    """The official evaluator's ``run_evaluation`` on files: label map,
    exclusions, groundtruth (no cap), detections (50 per keyframe).

    Returns :func:`frame_map`'s dict plus ``categories`` (id -> name),
    ``dropped`` (rows whose action id is not in the label map, per file),
    ``rows`` (rows kept per file), ``warnings`` (what looks wrong but was
    scored) and, if ``chance_draws``, ``chance``: :func:`chance_map`'s
    mAPs.

    Raises:
        AVAFormatError: Malformed input, naming the file and line.
    """
    from .io import DETECTIONS_PER_KEYFRAME, check_readable
    for path, what in ((detections, 'detections'), (gt, 'groundtruth'),
                       (labels, 'label map'), (exclusions, 'exclusions')):
        check_readable(path, what)
    categories, whitelist = read_label_map(labels)
    excluded = read_exclusions(exclusions)
    gt_boxes = read_csv(gt, whitelist)
    det_boxes = read_csv(detections, whitelist, DETECTIONS_PER_KEYFRAME)
    result = frame_map(gt_boxes, det_boxes, [c['id'] for c in categories],
                       excluded)
    result['categories'] = {c['id']: c['name'] for c in categories}
    result['dropped'] = dict(groundtruth=gt_boxes.dropped_labels,
                             detections=det_boxes.dropped_labels)
    result['rows'] = dict(groundtruth=len(gt_boxes),
                          detections=len(det_boxes))
    result['warnings'] = gt_boxes.warnings + det_boxes.warnings
    if chance_draws:
        result['chance'] = chance_map(gt_boxes, [c['id'] for c in categories],
                                      excluded, chance_draws)
    return result


from .metric import AVAFrameMAP  # noqa: E402  (registers the metric)
