"""Config handling shared by ``tools/train.py`` and ``tools/test.py``."""
import os
import os.path as osp
from typing import Optional

import torch
from mmengine.config import Config
from mmengine.logging import print_log

from videomae_det_core.archs import ARCH_SETTINGS
from videomae_det_core.errors import InputError

from ..utils import type_name


class ConfigError(InputError, ValueError):
    """Config keys that disagree; the message names them."""


def check_option_keys(cfg: Config, options: dict, path: str) -> None:
    """Raise ``KeyError`` for an option whose parent path is missing."""
    for key in options:
        node, parts = cfg, key.split('.')
        for depth, part in enumerate(parts[:-1]):
            if isinstance(node, (list, tuple)) and part.isdigit() and \
                    int(part) < len(node):
                node = node[int(part)]
            elif isinstance(node, (dict, Config)) and part in node and \
                    node[part] is not None:
                node = node[part]
            else:
                raise KeyError(f'--cfg-options {key}: '
                               f'{".".join(parts[:depth + 1])!r} is not in '
                               f'{path}')


def load_config(path: str, cfg_options: Optional[dict], launcher: str,
                work_dir: Optional[str]) -> Config:
    """Read a config, apply ``--cfg-options``, launcher and work dir, and
    check that its AVA class settings agree.

    A ``--cfg-options`` key whose path does not exist up to its last part
    (``trian_cfg.max_epochs``, ``model.bakbone.arch``) is an error naming
    it; a new last part is merged as mmengine does (a new argument). A new
    ``train_cfg.max_epochs`` stretches the schedule
    (:func:`follow_max_epochs`) unless ``param_scheduler`` is set too. The
    work dir defaults to ``./work_dirs/<config name>`` as in mmaction2.
    ``path`` may name a shipped config (:func:`~videomae_det.shipped.
    find_config`).
    """
    from ..shipped import find_config
    path = find_config(path)
    cfg = Config.fromfile(path)
    if cfg_options:
        check_option_keys(cfg, cfg_options, path)
        epochs = cfg.get('train_cfg', {}).get('max_epochs')
        cfg.merge_from_dict(cfg_options)
        if 'split' in cfg_options:
            follow_split(cfg)
        if not any(k.startswith('param_scheduler') for k in cfg_options):
            follow_max_epochs(cfg, epochs)
    fit_schedule(cfg, path)
    from ..datasets.ava_checks import check_ava_config
    check_ava_config(cfg)
    check_head_width(cfg)
    cfg.launcher = launcher
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(path))[0])
    return adapt_to_device(cfg)


def check_weights_exist(cfg: Config) -> None:
    """The local files a training run loads (``load_from``, the backbone's
    ``init_cfg`` checkpoint) exist, before anything is built.

    Raises:
        ConfigError: Naming the key, the path and what to do.
    """
    init = ((cfg.get('model') or {}).get('backbone') or {}).get('init_cfg')
    checks = [] if cfg.get('resume') else [('load_from',
                                           cfg.get('load_from'))]
    if isinstance(init, dict) and type_name(init.get('type')) == \
            'Pretrained':
        checks.append(('model.backbone.init_cfg.checkpoint',
                       init.get('checkpoint')))
    for key, path in checks:
        if isinstance(path, str) and '://' not in path and \
                not osp.exists(osp.expanduser(path)):
            hint = ('; set model.backbone.init_cfg=None to train from '
                    'scratch' if key.startswith('model') else '')
            raise ConfigError(f'{key}={path}: no such file (a pre-trained '
                              f'VideoMAE or a converted checkpoint){hint}')


def fit_schedule(cfg: Config, path: str) -> None:
    """A config (a child of ours) that shortened ``train_cfg.max_epochs``
    below its schedule's fixed boundaries (a 5-epoch warm-up, 1 epoch)
    gets the schedule fitted as ``--cfg-options`` fits it, from the length
    the schedule was written for (our configs' ``epochs``); without that
    length the error names the keys."""
    new = cfg.get('train_cfg', {}).get('max_epochs')
    schedulers = cfg.get('param_scheduler')
    if not new or not isinstance(schedulers, list):
        return
    bad = [(i, s) for i, s in enumerate(schedulers)
           if s.get('by_epoch', True) and (s.get('begin', 0) >= new or
                                           (s.get('end') or 0) > new)]
    if not bad:
        return
    old = cfg.get('epochs')
    if isinstance(old, int) and old > new:
        follow_max_epochs(cfg, old)
        print_log(f'{path}: train_cfg.max_epochs={new} is shorter than the '
                  f'{old}-epoch schedule: fitted to it (as --cfg-options '
                  'train_cfg.max_epochs would)', logger='current')
        return
    i, s = bad[0]
    raise ConfigError(
        f'{path}: param_scheduler[{i}] ({type_name(s.get("type"))}) spans '
        f'epochs {s.get("begin", 0)}-{s.get("end")} but train_cfg.max_epochs'
        f'={new}: set param_scheduler in the config too')


def follow_split(cfg: Config) -> None:
    """``--cfg-options split=N`` on a tube config: every ``TubeDataset``
    and ``TubeMAP`` takes split ``N`` (mmengine does not re-read the
    variable the config's dicts were written with)."""
    nodes = [cfg.get(f'{s}_dataloader', {}).get('dataset', {})
             for s in ('train', 'val', 'test')]
    nodes += [cfg.get(f'{s}_evaluator', {}) for s in ('val', 'test')]
    for node in nodes:
        for item in node if isinstance(node, list) else [node]:
            if type_name(item.get('type')) in ('TubeDataset', 'TubeMAP'):
                item['split'] = cfg.split


def follow_max_epochs(cfg: Config, old: Optional[int]) -> None:
    """Fit the epoch-based ``param_scheduler`` of an ``old``-epoch schedule
    to a new ``train_cfg.max_epochs``: every boundary scaled in proportion
    (warm-up at least one epoch; a phase starts where the one before it
    ends); a phase without ``end`` runs to the new end (mmengine's default
    end, its own ``T_max`` its span), one with an explicit end at ``old``
    ends at the new one; a phase left with no epochs goes.

    Our configs leave the last phase's ``end`` and ``T_max`` to mmengine,
    so a config that only sets ``max_epochs`` gets the right cosine; this
    stretches the warm-up with it for ``--cfg-options``."""
    new = cfg.get('train_cfg', {}).get('max_epochs')
    schedulers = cfg.get('param_scheduler')
    if not old or not new or new == old or not isinstance(schedulers, list):
        return
    fitted, last_end = [], 0
    for sched in schedulers:
        end = sched.get('end')
        if not sched.get('by_epoch', True) or (end is not None and
                                               end > old):
            fitted.append(sched)
            continue
        begin = min(max(round(sched.get('begin', 0) * new / old), last_end),
                    new)
        if end is not None:
            end = new if end == old else min(
                max(round(end * new / old), 1), new)
        if (new if end is None else end) <= begin:
            continue
        sched['begin'] = begin
        if end is not None:
            sched['end'] = end
            if 'T_max' in sched:
                sched['T_max'] = end - begin
        fitted.append(sched)
        last_end = new if end is None else end
    cfg.param_scheduler = fitted


HEADS = ('roi_head.bbox_head', 'cls_head')


def check_head_width(cfg: Config) -> None:
    """A head's ``in_channels`` must be the ``VideoMAE`` backbone's width.

    Raises:
        ConfigError: Naming both keys and values.
    """
    backbone = cfg.get('model', {}).get('backbone') or {}
    if type_name(backbone.get('type', '')) != 'VideoMAE':
        return
    arch = backbone.get('arch', 'base')
    width = (ARCH_SETTINGS.get(arch, {}) if isinstance(arch, str) else
             arch).get('embed_dims')
    for key in HEADS:
        node = cfg.model
        for part in key.split('.'):
            node = (node or {}).get(part)
        channels = (node or {}).get('in_channels')
        if width is not None and channels is not None and channels != width:
            raise ConfigError(
                f'model.{key}.in_channels={channels} but the backbone '
                f'(model.backbone.arch={arch!r}) outputs {width} channels')


def adapt_to_device(cfg: Config) -> Config:
    """Without CUDA, swap the GPU-only pieces for their CPU counterparts:
    nccl -> gloo, the DDP wrapper without device ids, fp16 AMP -> bf16 (in
    training and in fp16 test/val loops)."""
    if torch.cuda.is_available():
        return cfg
    dist_cfg = cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
    if dist_cfg.get('backend', 'nccl') == 'nccl':
        dist_cfg['backend'] = 'gloo'
    if cfg.launcher != 'none':
        wrapper = cfg.get('model_wrapper_cfg') or {}
        if type_name(wrapper.get('type', 'MMDistributedDataParallel')) \
                == 'MMDistributedDataParallel':
            wrapper['type'] = 'CPUDistributedDataParallel'
            cfg.model_wrapper_cfg = wrapper
    optim = cfg.get('optim_wrapper')
    if optim is not None and type_name(optim.get('type')) == \
            'AmpOptimWrapper':
        optim.type = 'CPUAmpOptimWrapper'
        optim.pop('loss_scale', None)
        if optim.get('dtype') in (None, 'float16'):
            optim.dtype = 'bfloat16'
    for key, loop in (('test_cfg', 'CPUAmpTestLoop'),
                      ('val_cfg', 'CPUAmpValLoop')):
        loop_cfg = cfg.get(key)
        if loop_cfg and loop_cfg.get('fp16') and type_name(loop_cfg.get(
                'type', key[:-4].capitalize() + 'Loop')) in ('TestLoop',
                                                             'ValLoop'):
            loop_cfg['type'] = loop
    return cfg


def enable_amp(cfg: Config) -> None:
    """``--amp``: fp16 with dynamic loss scaling on GPUs (the mmaction2
    convention), bf16 on CPUs."""
    optim = cfg.optim_wrapper
    kind = type_name(optim.get('type', 'OptimWrapper'))
    if kind not in ('OptimWrapper', 'AmpOptimWrapper', 'CPUAmpOptimWrapper'):
        raise ValueError(f'--amp needs an OptimWrapper, got {kind}')
    optim.type = 'AmpOptimWrapper'
    optim.setdefault('loss_scale', 'dynamic')
    adapt_to_device(cfg)


def set_local_rank(local_rank: int) -> None:
    """Old launchers pass ``--local_rank``; mmengine reads the env var."""
    os.environ.setdefault('LOCAL_RANK', str(local_rank))


def init_cpu_distributed(cfg: Config) -> None:
    """Start the process group on a machine without CUDA.

    mmengine's ``init_dist`` maps the pytorch/slurm/mpi launchers' variables
    to torch's and then calls ``torch.cuda.set_device``, which fails without
    CUDA. We reuse its mapping with that one call disabled and the gloo
    backend; the Runner then finds the group initialised and skips its own.
    """
    if cfg.launcher == 'none' or torch.cuda.is_available():
        return
    from unittest import mock

    from mmengine.dist import init_dist, is_distributed
    if is_distributed():
        return
    dist_cfg = dict(cfg.env_cfg.get('dist_cfg', {}), backend='gloo')
    with mock.patch('torch.cuda.set_device', lambda *_: None):
        init_dist(cfg.launcher, **dist_cfg)


def close_distributed() -> None:
    """Wait for every rank, then tear the process group down: a gloo rank
    that exits while another still writes a checkpoint aborts the job."""
    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def build_runner(cfg: Config, weights_policy: str = 'exact'):
    """The runner a config asks for: ``CheckedRunner`` (mmengine's
    ``Runner`` with checked weight loading), or mmengine's
    ``FlexibleRunner`` when ``runner_type='FlexibleRunner'`` (sharded
    training: its ``strategy`` builds, wraps and loads the model); both
    fit a ``ContiguousSampler`` to its loader."""
    init_cpu_distributed(cfg)
    kind = cfg.get('runner_type', 'Runner')
    if kind == 'FlexibleRunner':
        if weights_policy == 'partial':
            raise ConfigError('--allow-partial needs runner_type=Runner: '
                              'FlexibleRunner loads checkpoints through its '
                              'strategy')
        from .runner import FittingFlexibleRunner
        return FittingFlexibleRunner.from_cfg(cfg)
    if kind not in ('Runner', 'CheckedRunner'):
        raise ConfigError(f"runner_type={kind!r}: use 'Runner' (default) or "
                          "'FlexibleRunner'")
    from .runner import CheckedRunner
    return CheckedRunner.from_cfg(cfg, weights_policy)
