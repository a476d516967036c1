"""Test-only hook: each rank saves its own weights after training, so a test
can check that data-parallel ranks stayed identical."""
import os

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class RankWeightsHook(Hook):

    def before_train(self, runner) -> None:
        self._save(runner, 'init')

    def after_train(self, runner) -> None:
        self._save(runner, 'final')

    @staticmethod
    def _save(runner, tag: str) -> None:
        model = getattr(runner.model, 'module', runner.model)
        state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        torch.save(state, os.path.join(runner.work_dir,
                                       f'{tag}_rank{get_rank()}.pth'))
