"""An opt-in compiled inference path: the backbone through ``torch.compile``
(inductor; on CPUs its C++ backend), the RoI extraction and head eager.

Only the backbone is compiled because its input shape is the clip's, the
same for every keyframe of a video, while the number of person boxes
changes from keyframe to keyframe: compiling the RoI part would recompile
(or trace dynamic shapes) for each new count. A video of another frame size
recompiles once; from the second new size on, torch marks the sizes
dynamic. The first call pays the compilation: :class:`CompileWarmupHook`
and the inferencer report it, never hide it.
"""
import time
import warnings

import torch
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS


def compile_backbone(model: torch.nn.Module, **kwargs) -> torch.nn.Module:
    """Compile ``model``'s backbone in place (``nn.Module.compile``: the
    state dict keys stay, so checkpoints load before or after)."""
    if is_model_wrapper(model):
        model = model.module
    backbone = getattr(model, 'backbone', None)
    if backbone is None:
        raise ValueError(f'{type(model).__name__} has no backbone to compile')
    # the position tables are cached pure functions of the token grid:
    # dynamo traces through the cache into constants, which is right here
    warnings.filterwarnings('ignore', message='Dynamo detected a call to a '
                            '`functools.lru_cache`')
    backbone.compile(**kwargs)
    return model


@HOOKS.register_module()
class CompileWarmupHook(Hook):
    """Logs the first test iteration's time (compilation and warm-up) and
    the steady rate of the others."""

    priority = 'VERY_LOW'

    def before_test(self, runner) -> None:
        self.times = []

    def before_test_iter(self, runner, batch_idx, data_batch=None) -> None:
        self.start = time.perf_counter()

    def after_test_iter(self, runner, batch_idx, data_batch=None,
                        outputs=None) -> None:
        self.times.append(time.perf_counter() - self.start)
        if len(self.times) == 1:
            print_log(f'compiled backbone: first iteration (compilation '
                      f'and warm-up) {self.times[0]:.1f} s', logger='current')

    def after_test(self, runner) -> None:
        if len(self.times) > 1:
            rest = self.times[1:]
            print_log(f'compiled backbone: {len(rest)} further iterations '
                      f'at {len(rest) / sum(rest):.3f} it/s', logger='current')
