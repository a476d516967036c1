"""``tools/test.py --dump`` (mmaction2 ``METRICS``)."""
from mmaction.registry import METRICS
from mmengine.evaluator import DumpResults


def keyframe_order(results: list) -> list:
    """Per-keyframe results (``video_id``, ``timestamp``) sorted by video
    and time: one order whatever the ranks and loader workers that made
    them (:class:`~videomae_det.datasets.ContiguousSampler`), so score
    ties rank alike."""
    return sorted(results, key=lambda r: (r['video_id'],
                                          int(r['timestamp'])))


@METRICS.register_module()
class OrderedDumpResults(DumpResults):
    """mmengine's ``DumpResults``, keyframe predictions (samples with a
    ``video_id`` and a ``timestamp``) in :func:`keyframe_order`; others as
    they come."""

    def compute_metrics(self, results: list) -> dict:
        if all('video_id' in r and 'timestamp' in r for r in results):
            results = keyframe_order(results)
        return super().compute_metrics(results)
