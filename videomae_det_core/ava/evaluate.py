"""The one AVA evaluation, for the CLI (files) and the metric (memory):
label map, exclusions, groundtruth, detections, frame-mAP, report data."""
from typing import Callable, List, Optional, Set, Union

from .frame_map import chance_map, frame_map
from .io import (
    DETECTIONS_PER_KEYFRAME,
    AVABoxes,
    check_readable,
    merge_boxes,
    read_csv,
    read_exclusions,
    read_label_map,
)


def evaluate(detections: Callable[[Set[int]], AVABoxes],
             gt: Union[str, List[str]],
             labels: str, exclusions: Optional[str] = None,
             chance_draws: int = 0, keep_hits: bool = False) -> dict:
    """The official evaluator's ``run_evaluation``: the label map, the
    exclusions, the groundtruth (no cap), and the detections that
    ``detections(action id whitelist)`` returns (capped at 50 per keyframe
    by the caller). ``gt`` may list several files scored as one
    (AVA-Kinetics: AVA val and the Kinetics val part).

    Returns :func:`frame_map`'s dict plus ``categories`` (id -> name),
    ``dropped`` (rows whose action id is not in the label map, per side),
    ``rows`` (rows kept per side), ``warnings`` (what looks wrong but was
    scored) and, if ``chance_draws``, ``chance``: :func:`chance_map`'s
    mAPs.

    Raises:
        AVAFormatError: Malformed input, naming the file and line.
    """
    categories, whitelist = read_label_map(labels)
    ids = [c['id'] for c in categories]
    excluded = read_exclusions(exclusions)
    gt_boxes = read_csv(gt, whitelist) if isinstance(gt, str) else \
        merge_boxes([read_csv(g, whitelist) for g in gt], gt)
    det_boxes = detections(whitelist)
    result = frame_map(gt_boxes, det_boxes, ids, excluded, keep_hits)
    result['categories'] = {c['id']: c['name'] for c in categories}
    result['dropped'] = dict(groundtruth=gt_boxes.dropped_labels,
                             detections=det_boxes.dropped_labels)
    result['rows'] = dict(groundtruth=len(gt_boxes),
                          detections=len(det_boxes))
    result['warnings'] = gt_boxes.warnings + det_boxes.warnings
    if chance_draws:
        result['chance'] = chance_map(gt_boxes, ids, excluded, chance_draws)
    return result


def evaluate_files(detections: str, gt: str, labels: str,
                   exclusions: Optional[str] = None,
                   chance_draws: int = 0, keep_hits: bool = False) -> dict:
    """:func:`evaluate` on a detection CSV (50 rows per keyframe kept, as
    the official reader)."""
    for path, what in ((detections, 'detections'), (gt, 'groundtruth'),
                       (labels, 'label map'), (exclusions, 'exclusions')):
        check_readable(path, what)
    return evaluate(
        lambda whitelist: read_csv(detections, whitelist,
                                   DETECTIONS_PER_KEYFRAME),
        gt, labels, exclusions, chance_draws, keep_hits)
