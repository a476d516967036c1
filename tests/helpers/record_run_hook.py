"""Test-only hook: each rank writes its exact losses, its optimizer groups
(parameter name -> lr, weight decay) and, after training, the full weights
(gathered under FSDP), so a test can compare an FSDP run with a DDP run."""
import json
import os

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.registry import HOOKS
from torch.distributed.fsdp import FullyShardedDataParallel as FSDP
from torch.distributed.fsdp._common_utils import clean_tensor_name


def _named_parameters(model):
    if not isinstance(model, FSDP):  # FSDP names its parameters cleanly
        model = getattr(model, 'module', model)
    return {clean_tensor_name(n): p for n, p in model.named_parameters()}


@HOOKS.register_module()
class RecordRunHook(Hook):

    def _path(self, runner, name):
        return os.path.join(runner.work_dir, f'{name}_rank{get_rank()}')

    def before_train(self, runner) -> None:
        names = {id(p): n for n, p in _named_parameters(runner.model).items()}
        groups = {}
        for group in runner.optim_wrapper.optimizer.param_groups:
            for p in group['params']:
                groups[names[id(p)]] = [group['lr'], group['weight_decay']]
        with open(self._path(runner, 'groups') + '.json', 'w') as f:
            json.dump(groups, f, sort_keys=True)

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        with open(self._path(runner, 'losses') + '.jsonl', 'a') as f:
            lr = runner.optim_wrapper.optimizer.param_groups[-1]["lr"]
            f.write(json.dumps([runner.iter + 1, float(outputs['loss']),
                                lr]) + '\n')

    def after_train(self, runner) -> None:
        model = runner.model
        if isinstance(model, FSDP):
            with FSDP.summon_full_params(model, writeback=False):
                state = {n: p.detach().clone()
                         for n, p in _named_parameters(model).items()}
        else:
            state = {n: p.detach().clone()
                     for n, p in _named_parameters(model).items()}
        torch.save(state, self._path(runner, 'final') + '.pth')
