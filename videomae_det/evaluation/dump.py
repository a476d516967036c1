"""``tools/test.py --dump`` (mmaction2 ``METRICS``)."""
from mmaction.registry import METRICS
from mmengine.evaluator import DumpResults


@METRICS.register_module()
class OrderedDumpResults(DumpResults):
    """mmengine's ``DumpResults``, keyframe predictions (samples with a
    ``video_id`` and a ``timestamp``) in (video, timestamp) order, as the
    dataset has them, whatever the ranks and loader workers
    (:class:`~videomae_det.datasets.ContiguousSampler`); others as they
    come."""

    def compute_metrics(self, results: list) -> dict:
        if all('video_id' in r and 'timestamp' in r for r in results):
            results = sorted(results, key=lambda r: (r['video_id'],
                                                      int(r['timestamp'])))
        return super().compute_metrics(results)
