"""mmengine's ``Runner`` with checked weight loading and a clear resume.

- Every checkpoint load goes through :mod:`videomae_det.checkpoint.load`:
  testing and resuming need an exact fit; training's ``load_from`` accepts
  only a classifier of another class count (and says so); ``--allow-partial``
  loads what fits and lists what stays random.
- ``--resume`` without a checkpoint in the work dir says that training
  starts fresh (mmengine logs "resumed from the latest checkpoint None").
- Data loaders tell a :class:`ContiguousSampler` their batch size and
  worker count, so each worker reads one stretch of the test set.
"""
from mmengine.runner import FlexibleRunner, Runner
from mmengine.runner.checkpoint import (
    _load_checkpoint,
    find_latest_checkpoint,
)

from ..checkpoint.fit import POLICIES
from ..checkpoint.load import fit_checkpoint


def fit_sampler(loader):
    """``loader``, its sampler told the loader's batch size and worker
    count if it asks (``fit_loader``)."""
    batches = loader.batch_sampler
    sampler = getattr(batches, 'sampler', loader.sampler)
    if hasattr(sampler, 'fit_loader'):
        sampler.fit_loader(getattr(batches, 'batch_size', 1) or 1,
                           loader.num_workers)
    return loader


def fits_samplers(build_dataloader):
    """A runner's ``build_dataloader`` that calls :func:`fit_sampler`."""
    return staticmethod(lambda *args, **kwargs: fit_sampler(
        build_dataloader(*args, **kwargs)))


class FittingFlexibleRunner(FlexibleRunner):
    """mmengine's ``FlexibleRunner`` (sharded training) whose loaders fit
    a :class:`ContiguousSampler`."""

    build_dataloader = fits_samplers(FlexibleRunner.build_dataloader)


class CheckedRunner(Runner):
    """``Runner`` whose checkpoint loads follow ``weights_policy``:
    ``'exact'``, ``'finetune'`` or ``'partial'`` (resuming is always
    exact)."""

    weights_policy = 'exact'
    _resuming = False
    build_dataloader = fits_samplers(Runner.build_dataloader)

    @classmethod
    def from_cfg(cls, cfg, weights_policy: str = 'exact') -> 'CheckedRunner':
        if weights_policy not in POLICIES:
            raise ValueError(f'weights_policy must be one of {POLICIES}')
        runner = super().from_cfg(cfg)
        runner.weights_policy = weights_policy
        return runner

    def load_or_resume(self) -> None:
        if self._resume and self._load_from is None and not \
                self._has_loaded and \
                find_latest_checkpoint(self.work_dir) is None:
            self.logger.info(f'--resume: no checkpoint in {self.work_dir}; '
                             'training starts fresh')
            self._resume = False
        super().load_or_resume()

    def resume(self, *args, **kwargs) -> None:
        self._resuming = True
        try:
            super().resume(*args, **kwargs)
        finally:
            self._resuming = False

    def load_checkpoint(self, filename: str, map_location='cpu',
                        strict: bool = False,
                        revise_keys=((r'^module.', ''),)) -> dict:
        checkpoint = _load_checkpoint(filename, map_location=map_location)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        policy = 'exact' if self._resuming or strict else self.weights_policy
        fit_checkpoint(self.model, checkpoint, filename, policy, revise_keys)
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint
