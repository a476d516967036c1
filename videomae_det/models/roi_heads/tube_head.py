"""A single-label action head that learns "nobody acts here".

mmaction2's ``BBoxHeadAVA`` trains on positive boxes only (the AVA
convention: the background column is never a target), so with
``multilabel=False`` every box's softmax spreads over the actions: a person
who does not act, on one of the untrimmed frames of UCF101-24 or
MultiSports, scores as confidently as one who does, and a batch without a
positive box makes the loss the mean of nothing (NaN). Tubes are
single-label, so here the softmax runs over background plus actions and
every sampled box is a target: negatives (boxes that match no acting
person) train the background column, whose score the metrics drop.
"""
import torch
import torch.nn.functional as F
from mmaction.models.roi_heads.bbox_heads.bbox_head import BBoxHeadAVA
from mmaction.registry import MODELS
from mmdet.registry import MODELS as MMDET_MODELS


@MMDET_MODELS.register_module()  # FastRCNN configs build in mmdet's scope
@MODELS.register_module()
class BBoxHeadTube(BBoxHeadAVA):
    """``BBoxHeadAVA`` (same arguments, ``num_classes`` counting the
    background column 0) with a softmax over all columns and cross-entropy
    on every sampled box, negatives as class 0.

    Scores at test are the same softmax (``predict_by_feat`` of the base
    with ``multilabel=False``): column 0 is "no action".
    """

    def __init__(self, **kwargs) -> None:
        for key, want in (('multilabel', False), ('background_class', True)):
            if kwargs.setdefault(key, want) != want:
                raise ValueError(f'BBoxHeadTube: {key} must be {want}')
        super().__init__(**kwargs)

    def loss_and_target(self, cls_score: torch.Tensor, rois: torch.Tensor,
                        sampling_results: list, rcnn_train_cfg,
                        **kwargs) -> dict:
        """Args: ``cls_score`` (n, num_classes) logits of the sampled boxes,
        positives first per image as mmaction2's ``bbox_target`` orders
        their one-hot rows (n, num_classes)."""
        targets = self.get_targets(sampling_results, rcnn_train_cfg)
        labels = targets[0]
        positive = labels.sum(1) > 0
        # one action per tube: the largest column (the only one set)
        target = torch.where(positive, labels.argmax(1), 0)
        losses = dict(loss_action_cls=F.cross_entropy(cls_score, target))
        with torch.no_grad():
            hit = cls_score.argmax(1) == target
            losses['acc/action'] = hit[positive].float().mean() if \
                positive.any() else cls_score.new_tensor(0.)
            losses['acc/background'] = hit[~positive].float().mean() if \
                (~positive).any() else cls_score.new_tensor(0.)
        return dict(loss_bbox=losses, bbox_targets=targets)
