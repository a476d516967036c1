"""Training that survives being killed, and stops cleanly on a bad loss.

- :func:`atomic_save_checkpoint` replaces mmengine's ``save_checkpoint`` for
  local files: the checkpoint is written to a temporary file in the same
  folder, flushed to disk, then renamed over the final name, so a crash
  mid-write never leaves a truncated file under that name and the previous
  checkpoint (and ``last_checkpoint``, written after) stays good.
- :class:`RandomStateHook` saves the torch, numpy and Python random states
  in each checkpoint and restores them on ``--resume``. With the epoch's
  sampler order fixed by (seed, epoch), each sample's augmentation drawn
  under a seed from (seed, epoch, index) (``SeededSampler``) and the
  loaders' worker seeds drawn from their own generator, a run killed
  mid-epoch resumes from its last checkpoint and replays that epoch
  exactly, with or without loader workers: same weights, same losses.
- :class:`NonFiniteLossHook` checks every loss before the optimiser step:
  ``action='stop'`` raises with the iteration (the checkpoints on disk are
  untouched), ``action='skip'`` drops the step and counts it in the log.
"""
import io
import math
import os
import random
import tempfile
from typing import Optional

import numpy as np
import torch
from mmaction.registry import HOOKS
from mmengine.dist import all_gather_object, get_rank, get_world_size
from mmengine.hooks import CheckpointHook, Hook
from mmengine.logging import print_log

from ..utils.files import set_default_mode

_original_save = None


def atomic_save_checkpoint(checkpoint: dict, filename: str,
                           file_client_args: Optional[dict] = None,
                           backend_args: Optional[dict] = None) -> None:
    """mmengine's ``save_checkpoint``, atomic for local paths."""
    if '://' in str(filename) or file_client_args or backend_args:
        return _original_save(checkpoint, filename, file_client_args,
                              backend_args)
    buffer = io.BytesIO()
    torch.save(checkpoint, buffer)
    folder = os.path.dirname(os.path.abspath(filename))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix='.tmp_',
                               suffix=os.path.basename(filename))
    set_default_mode(tmp)  # not mkstemp's 0600
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(buffer.getvalue())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filename)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def install_atomic_save() -> None:
    """Route the Runner's checkpoint writes through the atomic writer."""
    global _original_save
    import mmengine.runner.checkpoint as ckpt
    import mmengine.runner.runner as runner
    if _original_save is None:
        _original_save = ckpt.save_checkpoint
    ckpt.save_checkpoint = runner.save_checkpoint = atomic_save_checkpoint


@HOOKS.register_module()
class RandomStateHook(Hook):
    """Checkpoint the random generators; restore them on resume."""

    priority = 'LOW'

    def before_train(self, runner) -> None:
        """Loaders draw their workers' base seed from the global torch
        generator when an iterator is made: once per run with persistent
        workers, so a resumed run would draw where an uninterrupted one
        does not. A generator of their own keeps the global stream (RoI
        sampling, dropout) the same; the data's own draws come from the
        :class:`~videomae_det.datasets.SeededSampler`."""
        loops = (getattr(runner, '_train_loop', None),
                 getattr(runner, '_val_loop', None))
        for loop in loops:
            loader = getattr(loop, 'dataloader', None)
            if loader is not None and getattr(loader, 'generator',
                                              0) is None:
                loader.generator = torch.Generator().manual_seed(
                    runner.seed)

    # Each rank draws its own augmentations and masks, but only rank 0
    # writes a Runner checkpoint: where the CheckpointHook is about to
    # save, every rank's generators are gathered first (a collective, at a
    # point every rank reaches; priority LOW runs before the CheckpointHook).
    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        hook = self._checkpoint_hook(runner)
        if hook is not None and not hook.by_epoch and (
                hook.every_n_train_iters(runner, hook.interval,
                                         hook.save_begin) or
                (hook.save_last and hook.is_last_train_iter(runner))):
            self._gather(runner)

    def after_train_epoch(self, runner) -> None:
        hook = self._checkpoint_hook(runner)
        if hook is not None and hook.by_epoch and (
                hook.every_n_epochs(runner, hook.interval, hook.save_begin)
                or (hook.save_last and hook.is_last_train_epoch(runner))):
            self._gather(runner)

    @staticmethod
    def _checkpoint_hook(runner):
        return next((h for h in runner.hooks
                     if isinstance(h, CheckpointHook)), None)

    def _gather(self, runner) -> None:
        state = self._state()
        self._gathered = (runner.iter, all_gather_object(state)
                          if get_world_size() > 1 else [state])

    @staticmethod
    def _state() -> dict:
        return dict(torch=torch.get_rng_state(),
                    numpy=np.random.get_state(),  # noqa: NPY002
                    python=random.getstate())

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Every rank's generators when gathered for this save, else (a
        best-checkpoint save) this rank's."""
        at, states = getattr(self, '_gathered', (None, None))
        checkpoint['random_state'] = states if at == runner.iter else [
            self._state()]

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        states = checkpoint.get('random_state')
        if states is None:
            return
        if isinstance(states, dict):  # saved before per-rank states
            states = [states]
        rank, world = get_rank(), get_world_size()
        if len(states) != world:
            runner.logger.warning(
                f'random state saved on {len(states)} rank(s), resumed on '
                f'{world}: rank {rank} restores the state of rank '
                f'{rank % len(states)}')
        state = states[rank % len(states)]
        torch.set_rng_state(state['torch'])
        np.random.set_state(state['numpy'])  # noqa: NPY002
        version, internal, gauss = state['python']
        random.setstate((version, tuple(internal), gauss))


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Guard the optimiser step against NaN/inf losses.

    Args:
        action: ``'stop'`` (raise ``FloatingPointError`` naming the
            iteration) or ``'skip'`` (no step, counted and logged).
    """

    priority = 'VERY_HIGH'

    def __init__(self, action: str = 'stop') -> None:
        if action not in ('stop', 'skip'):
            raise ValueError(f"action must be 'stop' or 'skip', got "
                             f'{action!r}')
        self.action, self.skipped = action, 0

    def before_train(self, runner) -> None:
        wrapper = runner.optim_wrapper
        update = wrapper.update_params

        def guarded(loss: torch.Tensor, *args, **kwargs):
            value = float(loss.detach())
            if math.isfinite(value):
                return update(loss, *args, **kwargs)
            where = f'iteration {runner.iter + 1} (epoch {runner.epoch + 1})'
            if self.action == 'stop':
                raise FloatingPointError(
                    f'non-finite loss {value} at {where}: training stopped; '
                    f'the checkpoints in {runner.work_dir} are intact')
            self.skipped += 1
            wrapper.zero_grad()
            print_log(f'non-finite loss {value} at {where}: step skipped '
                      f'({self.skipped} so far)', logger='current',
                      level=30)

        wrapper.update_params = guarded

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        runner.message_hub.update_info('skipped_steps', self.skipped)
