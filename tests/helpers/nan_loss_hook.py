"""Test helper: make the loss NaN at one iteration (0-based ``iter``)."""
import torch
from mmaction.registry import HOOKS
from mmengine.hooks import Hook


@HOOKS.register_module()
class NanLossAtIterHook(Hook):

    def __init__(self, iter: int) -> None:
        self.iter, self.poison = iter, False

    def before_train(self, runner) -> None:
        head = runner.model.cls_head
        loss = head.loss

        def poisoned(*args, **kwargs):
            out = loss(*args, **kwargs)
            if self.poison:
                out['loss_cls'] = out['loss_cls'] * torch.nan
            return out
        head.loss = poisoned

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        self.poison = runner.iter == self.iter
